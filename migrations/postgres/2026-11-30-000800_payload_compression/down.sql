ALTER TABLE billing_events ALTER COLUMN payload SET COMPRESSION default;
