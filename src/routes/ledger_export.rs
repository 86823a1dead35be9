//! `GET /w/{workspace_id}/credits/ledger.csv`: the workspace's whole credit ledger as CSV,
//! for its accountants — a paid-plan perk, gated by `RequirePaidPlan` (Free workspaces are
//! sent to the billing page naming the cheapest paid plan).

use actix_web::{HttpResponse, http::header, web};

use crate::domain::credits::CreditBucket;
use crate::error::AppResult;
use crate::models::CreditEntry;
use crate::services::credit_history::full_ledger;
use crate::state::AppState;
use crate::web::RequirePaidPlan;

/// One CSV field: quoted when it holds a separator, a quote or a line break; a leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not run it as a formula.
fn field(value: &str) -> String {
    let value = match value.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

fn line(entry: &CreditEntry) -> String {
    let bucket = match entry.bucket {
        CreditBucket::Monthly => "monthly",
        CreditBucket::Purchased => "purchased",
    };
    format!(
        "{},{},{},{},{},{}\r\n",
        entry.id,
        entry.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
        bucket,
        entry.delta,
        field(&entry.reason),
        field(entry.reference.as_deref().unwrap_or("")),
    )
}

pub async fn download(state: web::Data<AppState>, gate: RequirePaidPlan) -> AppResult<HttpResponse> {
    let workspace_id = gate.access.workspace.id;
    let entries = full_ledger(&state, workspace_id).await?;
    let mut body = String::from("id,created_at,bucket,delta,reason,reference\r\n");
    body.extend(entries.iter().map(line));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"credit-ledger-{workspace_id}.csv\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("monthly credits"), "monthly credits");
        assert_eq!(field("spent: a, b"), "\"spent: a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
