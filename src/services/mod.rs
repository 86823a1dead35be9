//! The use cases: everything that opens a transaction or calls the billing provider, one
//! file per use case. Each takes ids, roles and typed input (never HTTP extractors), so a
//! handler is "extract, authorize, call one of these, render", and jobs and tests call the
//! same functions. A provider call never happens inside a transaction.

pub mod accounts;
mod addon_events;
pub mod admin_keys;
pub mod admins;
pub mod analytics;
pub mod api_keys;
pub mod apply_event;
pub mod billing_overview;
pub mod billing_state;
pub mod cancel_addon;
pub mod catalog;
pub mod change_plan;
pub mod checkout;
pub mod clock;
pub mod complete_checkout;
pub mod console;
pub mod credit_history;
pub mod credits;
pub mod entitlements;
pub mod fulfil_checkout;
mod invoices_and_refunds;
pub mod jobs;
pub mod platform_health;
pub mod portal;
pub mod pricing;
pub mod provider_answer;
pub mod reconcile;
pub mod retry_events;
pub mod sessions;
pub mod subscription;
pub mod team;
pub mod test_clock;
pub mod throttle;
pub mod upcoming_invoice;
pub mod usage;
pub mod webhooks;

use crate::billing::BillingError;
use crate::domain::members::Role;
use crate::error::AppError;

/// Owners and admins only; members get a 403 that says who can do it.
pub fn require_manager(role: Role) -> Result<(), AppError> {
    if role.can_manage() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only workspace owners and admins can do that. Ask one of them."))
    }
}

/// Provider errors as people see them: a refusal says what the provider said went wrong,
/// an outage says to try again. Details are logged where the error is handled.
pub fn provider_error(e: BillingError) -> AppError {
    match e {
        BillingError::Rejected { message, .. } => {
            log::warn!("billing provider refused: {message}");
            AppError::Validation(format!("The billing provider refused the request: {message}"))
        }
        BillingError::NotFound(what) => {
            log::warn!("billing provider has no {what}");
            AppError::bad_request("The billing provider does not know that checkout or subscription.")
        }
        other => AppError::Provider(other.to_string()),
    }
}
