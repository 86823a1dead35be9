-- PostgreSQL compresses large webhook payloads and now does so with LZ4 where it can; SQLite
-- stores them as they come, so there is nothing to change here.
SELECT 1;
