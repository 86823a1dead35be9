//! Stripe's test-clock API under `/sandbox/v1/test_helpers/test_clocks`, in Stripe's exact
//! shapes, so Stripe's SDKs can drive the sandbox's clocks: create, retrieve, list, delete and
//! advance (see `test_clocks` for the rules). Parameters are read as Stripe reads them, and a
//! bad one — not a number, before 1970, past what the sandbox keeps — is a 400 with a sentence,
//! never a panic or an overflowed date.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::auth::ApiKey;
use super::error::SandboxError;
use super::form::StripeForm;
use super::test_clocks::{self, TestClock};
use super::time::{from_unix, latest, unix};
use super::{SandboxState, events, shapes, transaction};

type Answer = Result<HttpResponse, SandboxError>;

fn json(value: Value) -> Answer {
    Ok(HttpResponse::Ok().json(value))
}

/// `frozen_time`, required, as a time the sandbox can keep.
fn frozen_time(form: &StripeForm) -> Result<chrono::NaiveDateTime, SandboxError> {
    let raw = form.require("frozen_time")?;
    let seconds: i64 = raw.parse().map_err(|_| {
        SandboxError::invalid(format!("Invalid frozen_time: {raw:?} is not a unix timestamp in whole seconds."))
    })?;
    from_unix(seconds).ok_or_else(|| {
        SandboxError::invalid(format!(
            "Invalid frozen_time: {seconds} is outside the times the sandbox keeps (from 0, 1 January 1970, to {}).",
            unix(latest())
        ))
    })
}

pub async fn create(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let frozen = frozen_time(&form)?;
    let name = form.get("name").map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.chars().count() > 300) {
        return Err(SandboxError::invalid("Invalid name: it can be at most 300 characters long."));
    }
    let customer = form.get("customer").filter(|c| !c.is_empty()).map(str::to_owned);
    let clock = transaction(&state, move |conn| test_clocks::create(conn, frozen, name, customer.as_deref())).await?;
    json(shapes::test_clock(&clock))
}

pub async fn retrieve(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let clock = transaction(&state, move |conn| test_clocks::find(conn, &id)).await?;
    json(shapes::test_clock(&clock))
}

/// `GET /v1/test_helpers/test_clocks`: newest first, `limit` (1–100, default 10),
/// `starting_after` and `ending_before`.
pub async fn list(_: ApiKey, state: web::Data<SandboxState>, req: HttpRequest) -> Answer {
    let form = StripeForm::parse(req.query_string().as_bytes())?;
    let limit = usize::try_from(form.int("limit")?.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
    let all = transaction(&state, test_clocks::list).await?;
    let position = |id: &str| {
        all.iter().position(|c| c.id == id).ok_or_else(|| SandboxError::missing("test_helpers.test_clock", id))
    };
    let (page, has_more): (&[TestClock], bool) = match (form.get("starting_after"), form.get("ending_before")) {
        (Some(after), _) => {
            let rest = all.get(position(after)? + 1..).unwrap_or_default();
            (rest.get(..limit).unwrap_or(rest), rest.len() > limit)
        }
        (None, Some(before)) => {
            let head = all.get(..position(before)?).unwrap_or_default();
            let from = head.len().saturating_sub(limit);
            (head.get(from..).unwrap_or_default(), from > 0)
        }
        (None, None) => (all.get(..limit).unwrap_or(&all), all.len() > limit),
    };
    let data = page.iter().map(shapes::test_clock).collect();
    json(shapes::list_page(data, "/v1/test_helpers/test_clocks", has_more))
}

pub async fn delete(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let answer = shapes::deleted_test_clock(&id);
    transaction(&state, move |conn| test_clocks::delete(conn, &id)).await?;
    json(answer)
}

/// Advances the clock, then delivers the events it caused before answering, so the merchant
/// has processed them once the clock reads `ready`.
pub async fn advance(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let to = frozen_time(&form)?;
    let id = id.into_inner();
    let (clock, processed) = transaction(&state, move |conn| test_clocks::advance(conn, &id, to)).await?;
    if processed > 0 {
        events::deliver_pending(&state, false).await?;
    }
    json(shapes::test_clock(&clock))
}
