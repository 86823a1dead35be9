//! What happens when someone clicks a billing button: the provider call (never inside a
//! transaction), then the database change (always inside one). Handlers call exactly one
//! of these functions.

mod checkout;
mod manage;

pub use checkout::{Purchase, complete_checkout, start_checkout};
pub use manage::{cancel_addon, cancel_subscription, change_plan, open_portal, resume_subscription};

use crate::billing::BillingError;
use crate::error::AppError;

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
