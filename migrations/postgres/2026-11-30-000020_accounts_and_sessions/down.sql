DROP TABLE user_sessions;
DROP TABLE rate_limit_hits;
