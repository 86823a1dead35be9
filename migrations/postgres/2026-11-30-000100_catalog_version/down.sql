DROP TRIGGER plans_bump_catalog ON plans;
DROP TRIGGER addons_bump_catalog ON addons;
DROP TRIGGER credit_packs_bump_catalog ON credit_packs;
DROP FUNCTION bump_catalog_version();
DROP TABLE catalog_versions;
