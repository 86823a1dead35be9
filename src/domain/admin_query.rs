//! The admin console's searches, parsed from query strings at the boundary into typed
//! filters: pages, the workspace search, and the webhook event log's filters. A value that
//! does not parse is an error naming its field, never silently dropped.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::catalog::FieldError;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::Provider;

/// Rows per page of an admin list.
pub const PAGE_SIZE: i64 = 25;
/// The last page anyone can ask for (keeps OFFSET bounded).
const MAX_PAGE: i64 = 10_000;
/// Search text longer than this is refused.
const MAX_SEARCH: usize = 200;

/// A 1-based page number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page(i64);

impl Page {
    pub fn parse(raw: Option<&str>) -> Result<Page, FieldError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Page(1)),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(Page(n)),
                _ => Err(FieldError::new("page", format!("must be a whole number from 1 to {MAX_PAGE}"))),
            },
        }
    }

    pub fn number(self) -> i64 {
        self.0
    }

    pub fn offset(self) -> i64 {
        (self.0 - 1) * PAGE_SIZE
    }

    /// How many pages `total` rows fill (at least one).
    pub fn count(total: i64) -> i64 {
        ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
    }
}

/// Free text for a `LIKE` pattern: bounded, with `%`, `_` and the escape character escaped
/// (the pattern is written with `\` as its escape).
fn like_pattern(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

fn bounded(field: &'static str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let text = raw.map(str::trim).filter(|s| !s.is_empty());
    match text {
        Some(t) if t.chars().count() > MAX_SEARCH => {
            Err(FieldError::new(field, format!("must be at most {MAX_SEARCH} characters")))
        }
        Some(t) if t.chars().any(char::is_control) => {
            Err(FieldError::new(field, "must not contain control characters"))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// `/admin/workspaces?q=`: one box that matches a workspace id exactly, or part of its name
/// or of an owner's email (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkspaceSearch {
    /// What was typed, trimmed (shown back in the box).
    pub text: Option<String>,
    /// `%text%`, escaped, lower-case.
    pub pattern: Option<String>,
    /// The text read as a workspace id, when it is a number.
    pub id: Option<WorkspaceId>,
}

impl WorkspaceSearch {
    pub fn parse(raw: Option<&str>) -> Result<WorkspaceSearch, FieldError> {
        let text = bounded("q", raw)?;
        let id =
            text.as_deref().map(|t| t.trim_start_matches('#')).and_then(|t| t.parse::<i64>().ok()).map(WorkspaceId);
        let pattern = text.as_deref().map(like_pattern);
        Ok(WorkspaceSearch { text, pattern, id })
    }
}

/// An event's processing status as the admin filters by it (the stored statuses).
pub const EVENT_STATUSES: [&str; 5] = ["processed", "ignored", "pending", "failed", "dismissed"];

/// `/admin/events?provider=&type=&status=&workspace=&from=&to=`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventFilter {
    pub provider: Option<Provider>,
    /// An exact event type such as `invoice.paid`.
    pub event_type: Option<String>,
    pub status: Option<String>,
    pub workspace: Option<WorkspaceId>,
    /// Received on or after the start of this day (UTC).
    pub from: Option<NaiveDate>,
    /// Received before the end of this day (UTC).
    pub to: Option<NaiveDate>,
}

/// The raw query-string values of an event search.
#[derive(Debug, Clone, Default)]
pub struct EventFilterInput<'a> {
    pub provider: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub status: Option<&'a str>,
    pub workspace: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

fn date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| FieldError::new(field, "must be a date written YYYY-MM-DD")),
    }
}

impl EventFilter {
    pub fn parse(input: &EventFilterInput<'_>) -> Result<EventFilter, FieldError> {
        let provider = match input.provider.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(p) => {
                Some(Provider::parse(p).ok_or_else(|| FieldError::new("provider", "must be stripe or chargebee"))?)
            }
        };
        let event_type = bounded("type", input.event_type)?;
        if event_type.as_deref().is_some_and(|t| !t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))) {
            return Err(FieldError::new("type", "must be an event type such as invoice.paid"));
        }
        let status = match input.status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) if EVENT_STATUSES.contains(&s) => Some(s.to_owned()),
            Some(_) => return Err(FieldError::new("status", format!("must be one of {}", EVENT_STATUSES.join(", ")))),
        };
        let workspace = match input.workspace.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(w) => Some(
                w.trim_start_matches('#')
                    .parse::<i64>()
                    .map(WorkspaceId)
                    .map_err(|_| FieldError::new("workspace", "must be a workspace id (a number)"))?,
            ),
        };
        let (from, to) = (date("from", input.from)?, date("to", input.to)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(FieldError::new("to", "must not be before from"));
        }
        Ok(EventFilter { provider, event_type, status, workspace, from, to })
    }

    /// The received-at bounds: from the start of `from` to the start of the day after `to`.
    pub fn received_bounds(&self) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
        (self.from.and_then(start), self.to.and_then(|d| d.succ_opt()).and_then(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded() {
        assert_eq!(Page::parse(None).unwrap().offset(), 0);
        assert_eq!(Page::parse(Some("3")).unwrap().offset(), 2 * PAGE_SIZE);
        for bad in ["0", "-1", "x", "99999999"] {
            assert_eq!(Page::parse(Some(bad)).unwrap_err().field, "page", "{bad}");
        }
        assert_eq!((Page::count(0), Page::count(25), Page::count(26)), (1, 1, 2));
    }

    #[test]
    fn search_escapes_like_wildcards_and_reads_ids() {
        let s = WorkspaceSearch::parse(Some(" 100%_Off ")).unwrap();
        assert_eq!(s.pattern.as_deref(), Some("%100\\%\\_off%"));
        assert_eq!(WorkspaceSearch::parse(Some("#42")).unwrap().id, Some(WorkspaceId(42)));
        assert!(WorkspaceSearch::parse(Some(&"x".repeat(201))).is_err());
    }

    #[test]
    fn event_filters_name_the_bad_field() {
        let bad = |input: EventFilterInput<'_>| EventFilter::parse(&input).unwrap_err().field;
        assert_eq!(bad(EventFilterInput { provider: Some("paypal"), ..Default::default() }), "provider");
        assert_eq!(bad(EventFilterInput { status: Some("lost"), ..Default::default() }), "status");
        assert_eq!(bad(EventFilterInput { workspace: Some("abc"), ..Default::default() }), "workspace");
        assert_eq!(bad(EventFilterInput { from: Some("2026-13-01"), ..Default::default() }), "from");
        assert_eq!(
            bad(EventFilterInput { from: Some("2026-02-02"), to: Some("2026-02-01"), ..Default::default() }),
            "to"
        );
        assert_eq!(bad(EventFilterInput { event_type: Some("a b"), ..Default::default() }), "type");
        let ok = EventFilter::parse(&EventFilterInput { to: Some("2026-02-01"), ..Default::default() }).unwrap();
        assert_eq!(ok.received_bounds().1.unwrap().to_string(), "2026-02-02 00:00:00");
    }
}
