ALTER TABLE workspace_addons DROP COLUMN addon_price_id;
DROP TABLE job_leases;
DROP TABLE checkout_fulfilments;
