-- The catalog's version: bumped by triggers on every write to plans, add-ons or credit packs
-- (catalog sync, admin edits, an operator's SQL), so every instance can keep the catalog in memory and reload it only
-- when this number moves. `epoch` tells one database from another (tests run many).
CREATE TABLE catalog_versions (
    id BIGINT PRIMARY KEY NOT NULL,
    epoch TEXT NOT NULL,
    version BIGINT NOT NULL
);
INSERT INTO catalog_versions (id, epoch, version) VALUES (1, md5(random()::text || clock_timestamp()::text), 0);
CREATE FUNCTION bump_catalog_version() RETURNS trigger AS $$
BEGIN
    UPDATE catalog_versions SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER plans_bump_catalog AFTER INSERT OR UPDATE OR DELETE ON plans FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
CREATE TRIGGER addons_bump_catalog AFTER INSERT OR UPDATE OR DELETE ON addons FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
CREATE TRIGGER credit_packs_bump_catalog AFTER INSERT OR UPDATE OR DELETE ON credit_packs FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
