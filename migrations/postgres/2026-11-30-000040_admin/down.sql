DROP TABLE audit_log;
DROP TABLE instance_admins;
