-- Instance administrators granted from the command line (ADMIN_EMAILS names the others),
-- and the audit log every administrative change writes: who, what, before → after, when.
CREATE TABLE instance_admins (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    actor TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE SET NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, created_at);
CREATE INDEX audit_log_workspace_idx ON audit_log (workspace_id, created_at);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
