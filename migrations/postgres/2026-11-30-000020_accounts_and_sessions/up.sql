-- Throttle counters shared by every instance on this database. One row per bucket (say,
-- failed sign-ins for one email): `hits` counts what happened in a window that opens at the
-- bucket's first hit and ends at `window_ends_at`. Rows are bumped with one UPSERT, so
-- concurrent requests on any instance count exactly; expired rows are pruned by the jobs.
CREATE TABLE rate_limit_hits (
    bucket TEXT PRIMARY KEY NOT NULL,
    hits BIGINT NOT NULL,
    window_ends_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limit_hits_window_ends_idx ON rate_limit_hits (window_ends_at);

-- Signed-in sessions. The cookie carries a random token; only its SHA-256 is stored, so
-- reading this table does not let anyone sign in. Deleting a row ends that session on
-- every instance (sign-out), deleting a user's rows ends all of them (sign out everywhere).
CREATE TABLE user_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expires_idx ON user_sessions (expires_at);

-- Names stored before names were checked may hold text-direction overrides (U+202E made a
-- name read backwards to other members) or line breaks: remove them from existing rows.
UPDATE workspaces SET name = TRIM(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(name, chr(1564), ''), chr(8203), ''), chr(8206), ''), chr(8207), ''), chr(8234), ''), chr(8235), ''), chr(8236), ''), chr(8237), ''), chr(8238), ''), chr(8288), ''), chr(8294), ''), chr(8295), ''), chr(8296), ''), chr(8297), ''), chr(65279), ''), chr(9), ' '), chr(10), ' '), chr(13), ' '))
WHERE name <> TRIM(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(name, chr(1564), ''), chr(8203), ''), chr(8206), ''), chr(8207), ''), chr(8234), ''), chr(8235), ''), chr(8236), ''), chr(8237), ''), chr(8238), ''), chr(8288), ''), chr(8294), ''), chr(8295), ''), chr(8296), ''), chr(8297), ''), chr(65279), ''), chr(9), ' '), chr(10), ' '), chr(13), ' '));
UPDATE workspaces SET name = 'Workspace' WHERE name = '';
