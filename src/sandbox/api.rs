//! The Stripe REST subset under `/sandbox/v1/`: what the app's Stripe provider calls, plus
//! customers and listing subscriptions. Each handler authenticates, runs one operation in a
//! write transaction at the time of the customer it concerns (its test clock's, or real time),
//! answers Stripe-shaped JSON, and leaves the events it caused to be delivered after the answer.
//! Also the merchant's event log (`/sandbox/events.json`) and redelivery, behind the same key.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::auth::ApiKey;
use super::error::SandboxError;
use super::events::Event;
use super::form::StripeForm;
use super::store::{Customer, Invoice, PortalSession, Session, Subscription, new_id};
use super::time::now_for_customer;
use super::{SandboxState, checkout, events, ops, shapes, subscriptions, test_clocks, transaction};
use crate::db::DbConnection;

type Answer = Result<HttpResponse, SandboxError>;

fn json(value: Value) -> Answer {
    Ok(HttpResponse::Ok().json(value))
}

fn query(req: &HttpRequest) -> Result<StripeForm, SandboxError> {
    StripeForm::parse(req.query_string().as_bytes())
}

/// The time of a subscription's customer.
fn now_for_subscription(conn: &mut DbConnection, id: &str) -> Result<NaiveDateTime, SandboxError> {
    let sub = subscriptions::find(conn, id)?;
    Ok(now_for_customer(conn, Some(&sub.customer_id))?)
}

/// `POST /v1/customers`; `test_clock` attaches the new customer to a clock, whose frozen time
/// it then lives in.
pub async fn create_customer(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let email = form.get("email").map(str::to_owned);
    let clock = form.get("test_clock").filter(|c| !c.is_empty()).map(str::to_owned);
    let customer = transaction(&state, move |conn| {
        let created_at = match &clock {
            Some(id) => test_clocks::admit_customer(conn, id)?,
            None => now_for_customer(conn, None)?,
        };
        let customer = Customer { id: new_id("cus"), email, card: None, created_at, test_clock_id: clock };
        customer.insert(conn)?;
        Ok(customer)
    })
    .await?;
    json(shapes::customer(&customer)?)
}

pub async fn retrieve_customer(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let customer = transaction(&state, move |conn| {
        Customer::find(conn, &id)?.ok_or_else(|| SandboxError::missing("customer", &id))
    })
    .await?;
    json(shapes::customer(&customer)?)
}

pub async fn create_checkout_session(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let urls = state.clone();
    let session = transaction(&state, move |conn| {
        let now = now_for_customer(conn, form.get("customer"))?;
        checkout::create(conn, &form, now, &|param, url| urls.check_return_url(param, url))
    })
    .await?;
    json(shapes::checkout_session(&session, &state.page_url("checkout", &session.id), None)?)
}

pub async fn retrieve_checkout_session(
    _: ApiKey,
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Answer {
    let expand = query(&req)?.list("expand");
    let id = id.into_inner();
    let url = state.page_url("checkout", &id);
    let value = transaction(&state, move |conn| {
        let session = Session::find(conn, &id)?.ok_or_else(|| SandboxError::missing("checkout.session", &id))?;
        checkout::session_json(conn, &session, &url, &expand)
    })
    .await?;
    json(value)
}

pub async fn create_portal_session(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let customer_id = form.require("customer")?.to_owned();
    let return_url = form.require("return_url")?.to_owned();
    state.check_return_url("return_url", &return_url)?;
    let session = transaction(&state, move |conn| {
        if Customer::find(conn, &customer_id)?.is_none() {
            return Err(SandboxError::missing("customer", &customer_id));
        }
        let created_at = now_for_customer(conn, Some(&customer_id))?;
        let session = PortalSession { id: new_id("bps"), customer_id, return_url, created_at };
        session.insert(conn)?;
        Ok(session)
    })
    .await?;
    json(shapes::portal_session(&session, &state.page_url("portal", &session.id))?)
}

pub async fn retrieve_subscription(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let value = transaction(&state, move |conn| {
        let sub = subscriptions::find(conn, &id)?;
        ops::subscription_json(conn, &sub)
    })
    .await?;
    json(value)
}

pub async fn update_subscription(
    _: ApiKey,
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let form = StripeForm::parse(&body)?;
    let id = id.into_inner();
    let value = transaction(&state, move |conn| {
        let now = now_for_subscription(conn, &id)?;
        let sub = subscriptions::update(conn, &id, &form, now)?;
        ops::subscription_json(conn, &sub)
    })
    .await?;
    events::deliver_later(state);
    json(value)
}

pub async fn cancel_subscription(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let value = transaction(&state, move |conn| {
        let now = now_for_subscription(conn, &id)?;
        let sub = subscriptions::cancel_now(conn, &id, now)?;
        ops::subscription_json(conn, &sub)
    })
    .await?;
    events::deliver_later(state);
    json(value)
}

pub async fn list_invoices(_: ApiKey, state: web::Data<SandboxState>, req: HttpRequest) -> Answer {
    let form = query(&req)?;
    let customer = form.require("customer")?.to_owned();
    let subscription = form.get("subscription").map(str::to_owned);
    let limit = form.int("limit")?.unwrap_or(10).clamp(1, 100);
    let data = transaction(&state, move |conn| {
        let invoices = Invoice::for_customer(conn, &customer, limit)?;
        invoices
            .iter()
            .filter(|i| subscription.is_none() || i.subscription_id == subscription)
            .map(|i| ops::invoice_json(conn, i))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    json(shapes::list(data, "/v1/invoices"))
}

pub async fn preview_invoice(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let customer = form.require("customer")?.to_owned();
    let subscription = form.require("subscription")?.to_owned();
    json(transaction(&state, move |conn| subscriptions::preview(conn, &customer, &subscription)).await?)
}

/// Which subscriptions `GET /v1/subscriptions` lists: Stripe's `status` filter, where the
/// default leaves out cancelled ones, `all` lists every one and `ended` the finished ones.
fn status_matches(filter: Option<&str>, sub: &Subscription) -> Result<bool, SandboxError> {
    const STATUSES: [&str; 8] =
        ["active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused"];
    let status = sub.status.as_str();
    Ok(match filter {
        None => status != "canceled",
        Some("all") => true,
        Some("ended") => matches!(status, "canceled" | "incomplete_expired"),
        Some(wanted) if STATUSES.contains(&wanted) => status == wanted,
        Some(other) => {
            return Err(SandboxError::invalid(format!(
                "Invalid status: must be one of {}, ended or all (got {other}).",
                STATUSES.join(", ")
            )));
        }
    })
}

/// `GET /v1/subscriptions`: newest first; `customer`, `status`, `price`, `test_clock`, `limit`
/// (1–100, default 10) and `starting_after` as Stripe reads them.
pub async fn list_subscriptions(_: ApiKey, state: web::Data<SandboxState>, req: HttpRequest) -> Answer {
    let form = query(&req)?;
    let customer = form.get("customer").filter(|c| !c.is_empty()).map(str::to_owned);
    let clock = form.get("test_clock").filter(|c| !c.is_empty()).map(str::to_owned);
    let price = form.get("price").filter(|p| !p.is_empty()).map(str::to_owned);
    let status = form.get("status").map(str::to_owned);
    let limit = usize::try_from(form.int("limit")?.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
    let after = form.get("starting_after").map(str::to_owned);
    let data = transaction(&state, move |conn| {
        let mut page = Vec::new();
        let mut started = after.is_none();
        let mut has_more = false;
        for sub in Subscription::list(conn, customer.as_deref())? {
            if !started {
                started = after.as_deref() == Some(sub.id.as_str());
                continue;
            }
            if !status_matches(status.as_deref(), &sub)? {
                continue;
            }
            if clock.is_some() && Customer::clock_of(conn, &sub.customer_id)? != clock {
                continue;
            }
            let value = ops::subscription_json(conn, &sub)?;
            let has_price = |p: &str| {
                value["items"]["data"].as_array().is_some_and(|items| items.iter().any(|i| i["price"]["id"] == p))
            };
            if price.as_deref().is_some_and(|p| !has_price(p)) {
                continue;
            }
            if page.len() == limit {
                has_more = true;
                break;
            }
            page.push(value);
        }
        if !started {
            return Err(SandboxError::missing("subscription", after.as_deref().unwrap_or_default()));
        }
        Ok((page, has_more))
    })
    .await?;
    json(shapes::list_page(data.0, "/v1/subscriptions", data.1))
}

/// Every stored event with its delivery state, oldest first (the merchant's view, with the key).
pub async fn events_json(_: ApiKey, state: web::Data<SandboxState>) -> Answer {
    let all = transaction(&state, |conn| Ok(Event::all(conn)?)).await?;
    json(json!({ "data": all }))
}

/// Retries every undelivered event, past the automatic attempt limit too.
pub async fn redeliver(_: ApiKey, state: web::Data<SandboxState>) -> Answer {
    let report = events::deliver_pending(&state, true).await?;
    Ok(HttpResponse::Ok().json(report))
}
