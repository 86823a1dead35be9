ALTER TABLE workspaces ADD COLUMN ended_subscription_ids TEXT NOT NULL DEFAULT '[]';
UPDATE workspaces SET ended_subscription_ids = COALESCE(
    (SELECT json_group_array(subscription_id) FROM ended_subscriptions WHERE workspace_id = workspaces.id), '[]');
DROP TABLE ended_subscriptions;
