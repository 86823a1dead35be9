//! How Chargebee's status words and event types map: every documented status (`transferred`
//! included) and the event types that change state.

use super::*;

#[test]
fn status_mapping_and_scheduled_cancel() {
    let cases = [
        ("in_trial", Some(SubscriptionStatus::Trialing), false),
        ("active", Some(SubscriptionStatus::Active), false),
        ("non_renewing", Some(SubscriptionStatus::NonRenewing), true),
        ("cancelled", Some(SubscriptionStatus::Canceled), false),
        ("paused", Some(SubscriptionStatus::Paused), false),
        ("future", Some(SubscriptionStatus::Future), false),
        // Moved to another business entity under a new id: this id has ended.
        ("transferred", Some(SubscriptionStatus::Canceled), false),
        ("brand_new", None, false),
    ];
    for (word, status, cancel) in cases {
        let mut v = load(SUB_RENEWED);
        v["content"]["subscription"]["status"] = json!(word);
        let sub = parse_value(&v).unwrap().subscription.unwrap();
        assert_eq!(sub.status, status, "{word}");
        assert_eq!(sub.cancel_at_period_end, Some(cancel), "{word}");
    }
    // An active subscription with a cancel scheduled in the future.
    let mut v = load(SUB_RENEWED);
    v["content"]["subscription"]["cancelled_at"] = json!(1_604_784_735);
    let sub = parse_value(&v).unwrap().subscription.unwrap();
    assert_eq!(sub.cancel_at_period_end, Some(true));
    assert_eq!(sub.cancel_at.map(|t| t.timestamp()), Some(1_604_784_735), "the real end is kept");
    assert_eq!(sub.has_scheduled_changes, Some(false));
    v["content"]["subscription"]["has_scheduled_changes"] = json!(true);
    assert_eq!(parse_value(&v).unwrap().subscription.unwrap().has_scheduled_changes, Some(true));
}

#[test]
fn event_type_mapping() {
    let cases = [
        ("subscription_started", EventKind::SubscriptionUpdated),
        ("subscription_resumed", EventKind::SubscriptionUpdated),
        ("subscription_paused", EventKind::SubscriptionUpdated),
        ("subscription_scheduled_cancellation_removed", EventKind::SubscriptionUpdated),
        ("subscription_trial_end_reminder", EventKind::SubscriptionUpdated),
        ("invoice_updated", EventKind::InvoiceGenerated),
        ("customer_changed", EventKind::Ignored),
        // Deleting a subscription ends it (this was wrongly ignored before).
        ("subscription_deleted", EventKind::SubscriptionDeleted),
        ("subscription_canceled_with_backdating", EventKind::SubscriptionDeleted),
        ("subscription_changes_scheduled", EventKind::SubscriptionUpdated),
        ("subscription_scheduled_changes_removed", EventKind::SubscriptionUpdated),
        ("subscription_items_renewed", EventKind::SubscriptionUpdated),
        ("subscription_reactivated_with_backdating", EventKind::SubscriptionUpdated),
        ("subscription_changed_with_backdating", EventKind::SubscriptionUpdated),
        ("subscription_trial_extended", EventKind::SubscriptionUpdated),
        ("subscription_business_entity_changed", EventKind::Ignored),
    ];
    for (t, kind) in cases {
        let mut v = load(SUB_RENEWED);
        v["event_type"] = json!(t);
        let ev = parse_value(&v).unwrap();
        assert_eq!(ev.kind, kind, "{t}");
        assert_eq!(ev.event_type, t);
    }
}
