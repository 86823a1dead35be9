DROP TABLE api_keys;
DROP TABLE usage_records;
DROP TABLE credit_spends;
DROP TABLE credit_balances;
