//! The Stripe REST subset under `/sandbox/v1/`: what the app's Stripe provider calls, plus
//! customers. Each handler authenticates, runs one operation in a write transaction, answers
//! Stripe-shaped JSON, and leaves the events it caused to be delivered after the answer.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::auth::ApiKey;
use super::error::SandboxError;
use super::form::StripeForm;
use super::store::{Customer, Invoice, PortalSession, Session, new_id};
use super::{SandboxState, checkout, events, ops, shapes, subscriptions, transaction};

type Answer = Result<HttpResponse, SandboxError>;

fn json(value: Value) -> Answer {
    Ok(HttpResponse::Ok().json(value))
}

fn query(req: &HttpRequest) -> Result<StripeForm, SandboxError> {
    StripeForm::parse(req.query_string().as_bytes())
}

pub async fn create_customer(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let email = form.get("email").map(str::to_owned);
    let clock = state.clock;
    let customer = transaction(&state, move |conn| {
        let customer = Customer { id: new_id("cus"), email, card: None, created_at: clock.now(conn)? };
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
    let clock = state.clock;
    let session = transaction(&state, move |conn| {
        let now = clock.now(conn)?;
        checkout::create(conn, &form, now)
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
    let clock = state.clock;
    let session = transaction(&state, move |conn| {
        if Customer::find(conn, &customer_id)?.is_none() {
            return Err(SandboxError::missing("customer", &customer_id));
        }
        let session = PortalSession { id: new_id("bps"), customer_id, return_url, created_at: clock.now(conn)? };
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
    let clock = state.clock;
    let value = transaction(&state, move |conn| {
        let now = clock.now(conn)?;
        let sub = subscriptions::update(conn, &id, &form, now)?;
        ops::subscription_json(conn, &sub)
    })
    .await?;
    events::deliver_later(state);
    json(value)
}

pub async fn cancel_subscription(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let clock = state.clock;
    let value = transaction(&state, move |conn| {
        let now = clock.now(conn)?;
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
