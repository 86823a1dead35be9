//! Stripe's subscription-schedule API under `/sandbox/v1/subscription_schedules`: create
//! (`from_subscription`), retrieve, update and release, each in one write transaction at the
//! time of the schedule's customer, answering Stripe-shaped JSON (see `schedules`).

use actix_web::{HttpResponse, web};

use super::auth::ApiKey;
use super::error::SandboxError;
use super::form::StripeForm;
use super::time::now_for_customer;
use super::{SandboxState, events, schedules, subscriptions, transaction};

type Answer = Result<HttpResponse, SandboxError>;

pub async fn create(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let value = transaction(&state, move |conn| {
        let sub = form.get("from_subscription").map(|id| subscriptions::find(conn, id)).transpose()?;
        let now = now_for_customer(conn, sub.as_ref().map(|s| s.customer_id.as_str()))?;
        let schedule = schedules::create(conn, &form, now)?;
        schedules::json(conn, &schedule)
    })
    .await?;
    events::deliver_later(state);
    Ok(HttpResponse::Ok().json(value))
}

pub async fn retrieve(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let value = transaction(&state, move |conn| {
        let schedule = schedules::find(conn, &id)?;
        schedules::json(conn, &schedule)
    })
    .await?;
    Ok(HttpResponse::Ok().json(value))
}

pub async fn update(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let id = id.into_inner();
    let value = transaction(&state, move |conn| {
        let customer = schedules::find(conn, &id)?.customer_id;
        let now = now_for_customer(conn, Some(&customer))?;
        let schedule = schedules::update(conn, &id, &form, now)?;
        schedules::json(conn, &schedule)
    })
    .await?;
    events::deliver_later(state);
    Ok(HttpResponse::Ok().json(value))
}

pub async fn release(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let value = transaction(&state, move |conn| {
        let customer = schedules::find(conn, &id)?.customer_id;
        let now = now_for_customer(conn, Some(&customer))?;
        let schedule = schedules::release(conn, &id, now)?;
        schedules::json(conn, &schedule)
    })
    .await?;
    events::deliver_later(state);
    Ok(HttpResponse::Ok().json(value))
}
