//! Which report of an invoice the billing page keeps. Providers send an invoice's events
//! late and out of order, and each carries the invoice as it was then: a stale
//! `invoice.payment_failed` must not turn a row already recorded `paid` back into `open`.
//!
//! The rule: a settled invoice (`paid`, `void`) never moves to another state, since neither
//! provider un-pays or un-voids one; otherwise the newer report (by the provider's own event
//! time) wins, and a report of the same state refreshes the row (amounts can grow).

use chrono::{DateTime, Utc};

/// One report of an invoice: its normalized status and the provider time it was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportedInvoice<'a> {
    pub status: &'a str,
    /// `None` for rows recorded before reports carried a time: any report supersedes them
    /// unless the settled-state rule says otherwise.
    pub at: Option<DateTime<Utc>>,
}

/// States an invoice never leaves.
fn is_settled(status: &str) -> bool {
    matches!(status, "paid" | "void")
}

/// Whether `reported` replaces what is `recorded`.
pub fn supersedes(recorded: &ReportedInvoice<'_>, reported: &ReportedInvoice<'_>) -> bool {
    if recorded.status != reported.status {
        if is_settled(recorded.status) {
            return false;
        }
        if is_settled(reported.status) {
            return true;
        }
    }
    match (recorded.at, reported.at) {
        (Some(recorded), Some(reported)) => reported >= recorded,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn report(status: &str, secs: i64) -> ReportedInvoice<'_> {
        ReportedInvoice { status, at: Some(Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()) }
    }

    #[test]
    fn a_paid_invoice_never_reopens_whatever_the_order() {
        assert!(!supersedes(&report("paid", 10), &report("open", 5)), "stale failure");
        assert!(!supersedes(&report("paid", 10), &report("open", 20)), "a later failure report of a paid invoice");
        assert!(supersedes(&report("open", 10), &report("paid", 5)), "paid wins even when stamped earlier");
        assert!(!supersedes(&report("void", 1), &report("paid", 2)));
    }

    #[test]
    fn otherwise_the_newer_report_wins() {
        assert!(supersedes(&report("draft", 1), &report("open", 2)));
        assert!(!supersedes(&report("open", 2), &report("draft", 1)));
        assert!(supersedes(&report("paid", 2), &report("paid", 2)), "the same state refreshes");
        assert!(!supersedes(&report("paid", 3), &report("paid", 2)));
        let legacy = ReportedInvoice { status: "open", at: None };
        assert!(supersedes(&legacy, &report("open", 1)));
        assert!(supersedes(&report("open", 1), &ReportedInvoice { status: "open", at: None }));
    }
}
