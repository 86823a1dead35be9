-- Billing correctness: the facts the state machine needs to order and judge events.
-- When a scheduled cancellation really takes effect (Stripe `cancel_at`, Chargebee's
-- future `cancelled_at`), which can lie beyond the current period's end.
ALTER TABLE workspaces ADD COLUMN cancel_at TIMESTAMP;
-- The billing interval a scheduled change moves to (a year-to-month change keeps the plan).
ALTER TABLE workspaces ADD COLUMN scheduled_interval TEXT;
-- Which failure made the workspace past due, and when (provider time): only that invoice
-- being paid, or a payment after it, ends the past-due state.
ALTER TABLE workspaces ADD COLUMN past_due_since TIMESTAMP;
ALTER TABLE workspaces ADD COLUMN past_due_invoice_id TEXT;
-- Provider time of the current subscription's latest paid invoice that moved money.
ALTER TABLE workspaces ADD COLUMN last_paid_at TIMESTAMP;
-- Add-ons order their events like the plan does, and keep a grace deadline while overdue.
ALTER TABLE workspace_addons ADD COLUMN state_at TIMESTAMP;
ALTER TABLE workspace_addons ADD COLUMN grace_until TIMESTAMP;
-- Provider time of the invoice state recorded, so an older report never replaces it.
ALTER TABLE invoices ADD COLUMN state_at TIMESTAMP;

-- Workspaces that already paid keep their grace period: their latest paid invoice counts.
UPDATE workspaces SET last_paid_at = (
    SELECT MAX(invoices.issued_at) FROM invoices
    WHERE invoices.workspace_id = workspaces.id AND invoices.status = 'paid' AND invoices.amount_paid_minor > 0
) WHERE provider_subscription_id IS NOT NULL;
