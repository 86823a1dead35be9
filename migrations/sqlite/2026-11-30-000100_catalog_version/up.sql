-- The catalog's version: bumped by triggers on every write to plans, add-ons or credit packs
-- (catalog sync, admin edits, an operator's SQL), so every instance can keep the catalog in memory and reload it only
-- when this number moves. `epoch` tells one database from another (tests run many).
CREATE TABLE catalog_versions (
    id INTEGER PRIMARY KEY NOT NULL,
    epoch TEXT NOT NULL,
    version BIGINT NOT NULL
);
INSERT INTO catalog_versions (id, epoch, version) VALUES (1, lower(hex(randomblob(16))), 0);
CREATE TRIGGER plans_insert_bumps_catalog AFTER INSERT ON plans BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER plans_update_bumps_catalog AFTER UPDATE ON plans BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER plans_delete_bumps_catalog AFTER DELETE ON plans BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER addons_insert_bumps_catalog AFTER INSERT ON addons BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER addons_update_bumps_catalog AFTER UPDATE ON addons BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER addons_delete_bumps_catalog AFTER DELETE ON addons BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER credit_packs_insert_bumps_catalog AFTER INSERT ON credit_packs BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER credit_packs_update_bumps_catalog AFTER UPDATE ON credit_packs BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER credit_packs_delete_bumps_catalog AFTER DELETE ON credit_packs BEGIN UPDATE catalog_versions SET version = version + 1 WHERE id = 1; END;
