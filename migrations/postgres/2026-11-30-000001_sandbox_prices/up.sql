-- Sandbox catalog (PostgreSQL): products and prices as Stripe knows them. The app registers its
-- catalog's prices through the sandbox's API at start (POST /v1/products, POST /v1/prices), as a
-- merchant registers them with Stripe, instead of the sandbox reading the app's tables. Keep in
-- step with migrations/sqlite (same names, same columns). Times are sandbox time.

CREATE TABLE sandbox_products (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- `recurring_interval` is `month` or `year`; NULL for a one-time price.
CREATE TABLE sandbox_prices (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES sandbox_products (id),
    unit_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    recurring_interval TEXT,
    nickname TEXT,
    lookup_key TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_prices_product_idx ON sandbox_prices (product_id);
