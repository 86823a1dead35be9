//! Invoices as the provider reported them, kept so the billing page can list them offline.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::WorkspaceId;
use crate::domain::invoice_rows::{ReportedInvoice, supersedes};
use crate::domain::normalized::Provider;
use crate::schema::invoices;

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = invoices)]
pub struct Invoice {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub provider_invoice_id: String,
    pub number: Option<String>,
    pub status: String,
    pub amount_due_minor: i64,
    pub amount_paid_minor: i64,
    pub currency: String,
    pub hosted_url: Option<String>,
    pub pdf_url: Option<String>,
    pub period_start: Option<NaiveDateTime>,
    pub period_end: Option<NaiveDateTime>,
    pub issued_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Provider time of the state recorded (orders reports of the same invoice).
    pub state_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = invoices)]
pub struct InvoiceFields {
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub provider_invoice_id: String,
    pub number: Option<String>,
    pub status: String,
    pub amount_due_minor: i64,
    pub amount_paid_minor: i64,
    pub currency: String,
    pub hosted_url: Option<String>,
    pub pdf_url: Option<String>,
    pub period_start: Option<NaiveDateTime>,
    pub period_end: Option<NaiveDateTime>,
    pub issued_at: NaiveDateTime,
    pub state_at: Option<NaiveDateTime>,
}

impl Invoice {
    pub fn for_workspace<const LIMIT: i64>(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
    ) -> QueryResult<Vec<Invoice>> {
        invoices::table
            .filter(invoices::workspace_id.eq(workspace_id))
            .order((invoices::issued_at.desc(), invoices::id.desc()))
            .load_rows::<Invoice, LIMIT>(conn)
    }

    /// Inserts the invoice, or updates the row the provider's id already names when this
    /// report supersedes the recorded one (see [`supersedes`]); returns whether it wrote.
    /// Callers hold the workspace lock, so check-then-write cannot race.
    pub fn record(conn: &mut DbConnection, fields: &InvoiceFields) -> QueryResult<bool> {
        let existing: Option<(i64, String, Option<NaiveDateTime>)> = invoices::table
            .filter(invoices::provider.eq(fields.provider))
            .filter(invoices::provider_invoice_id.eq(&fields.provider_invoice_id))
            .select((invoices::id, invoices::status, invoices::state_at))
            .first_row(conn)
            .optional()?;
        let now = super::now();
        match existing {
            Some((id, status, at)) => {
                let recorded = ReportedInvoice { status: &status, at: at.map(|t| t.and_utc()) };
                let reported = ReportedInvoice { status: &fields.status, at: fields.state_at.map(|t| t.and_utc()) };
                if !supersedes(&recorded, &reported) {
                    return Ok(false);
                }
                diesel::update(invoices::table.find(id))
                    .set((fields, invoices::updated_at.eq(now)))
                    .execute_prepared(conn)?;
            }
            None => {
                diesel::insert_into(invoices::table)
                    .values((fields, invoices::created_at.eq(now), invoices::updated_at.eq(now)))
                    .execute_prepared(conn)?;
            }
        }
        Ok(true)
    }
}
