DROP TABLE sandbox_prices;
DROP TABLE sandbox_products;
