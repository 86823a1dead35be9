//! The hosted pages a customer sees on "Stripe": checkout (pay with a test card) and the
//! billing portal (plan, next invoice, invoices, card, cancel/resume). Both deliver the
//! events they cause before answering, so the app has processed them by the time the
//! browser follows the redirect.

use actix_session::Session as CookieSession;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cards::{self, Card};
use super::catalog::Price;
use super::checkout::{self, PayOutcome};
use super::error::{PageError, SandboxError};
use super::html::{CsrfForm, csrf_token, redirect, render};
use super::money::format_money;
use super::store::{Customer, Invoice, Item, PortalSession, Session, Subscription};
use super::time::{day, now_for_customer};
use super::{SandboxState, events, subscriptions, transaction};

type PageResult<T> = Result<T, PageError>;

#[derive(Template)]
#[template(path = "sandbox/checkout.html")]
pub struct CheckoutPage {
    pub session: Session,
    pub product: String,
    pub price: String,
    pub interval: Option<String>,
    pub trial_days: Option<i32>,
    pub email: Option<String>,
    pub error: Option<String>,
    pub card: String,
    pub csrf: String,
    /// Where a completed session sends the browser (Stripe fills in the session id), and where
    /// "cancel" goes: both only ever on the app's own address.
    pub continue_url: String,
    pub cancel_url: String,
    pub demo: bool,
}

async fn checkout_view(
    state: &SandboxState,
    id: String,
    session: &CookieSession,
    error: Option<String>,
    card: String,
) -> PageResult<CheckoutPage> {
    let (checkout, price, email) = transaction(state, move |conn| {
        let checkout = Session::find(conn, &id)?.ok_or_else(|| SandboxError::missing("checkout session", &id))?;
        let price = Price::find(conn, &checkout.price_id)?;
        let email = match &checkout.customer_id {
            Some(c) => Customer::find(conn, c)?.and_then(|c| c.email),
            None => checkout.customer_email.clone(),
        };
        Ok((checkout, price, email))
    })
    .await?;
    let price = price.ok_or_else(|| SandboxError::Internal(format!("sandbox price {} vanished", checkout.price_id)))?;
    Ok(CheckoutPage {
        product: price.product_name.clone(),
        price: format_money(price.unit_amount, &price.currency),
        interval: price.interval.clone(),
        trial_days: checkout.trial_days.filter(|d| *d > 0),
        email,
        error,
        card,
        csrf: csrf_token(session),
        continue_url: state.safe_link(&checkout::success_redirect(&checkout)),
        cancel_url: state.safe_link(&checkout.cancel_url),
        demo: state.public_demo,
        session: checkout,
    })
}

pub async fn checkout_page(
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    session: CookieSession,
) -> PageResult<HttpResponse> {
    let page = checkout_view(&state, id.into_inner(), &session, None, String::new()).await?;
    render(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CardForm {
    #[serde(default)]
    pub card: String,
}

pub async fn pay(
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    session: CookieSession,
    CsrfForm(form): CsrfForm<CardForm>,
) -> PageResult<HttpResponse> {
    let id = id.into_inner();
    let typed = form.card.clone();
    let outcome = {
        let id = id.clone();
        transaction(&state, move |conn| {
            let customer = Session::find(conn, &id)?.and_then(|s| s.customer_id);
            let now = now_for_customer(conn, customer.as_deref())?;
            checkout::pay(conn, &id, &typed, now)
        })
        .await?
    };
    let (status, message) = match outcome {
        PayOutcome::Paid { redirect: to } => {
            events::deliver_pending(&state, false).await?;
            return Ok(redirect(&state.safe_link(&to)));
        }
        PayOutcome::Declined => (
            StatusCode::PAYMENT_REQUIRED,
            "Your card was declined. Nothing was charged; try another test card.".to_owned(),
        ),
        PayOutcome::Expired => (StatusCode::GONE, "This checkout has expired.".to_owned()),
        PayOutcome::UnknownCard => {
            (StatusCode::UNPROCESSABLE_ENTITY, "This is a sandbox: use one of the test cards listed below.".to_owned())
        }
    };
    let page = checkout_view(&state, id, &session, Some(message), form.card).await?;
    render(&page, status)
}

/// One subscription as the portal shows it.
pub struct PortalSubscription {
    pub id: String,
    pub plan: String,
    pub price: String,
    pub status: String,
    pub live: bool,
    pub cancel_at_period_end: bool,
    pub period_end: String,
    pub next_invoice: Option<String>,
}

pub struct PortalInvoice {
    pub number: String,
    pub date: String,
    pub amount: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "sandbox/portal.html")]
pub struct PortalPage {
    pub portal: PortalSession,
    pub email: Option<String>,
    pub card: Option<String>,
    pub subscriptions: Vec<PortalSubscription>,
    pub invoices: Vec<PortalInvoice>,
    pub past_due: bool,
    pub notice: Option<&'static str>,
    pub csrf: String,
    /// The session's `return_url`, when it is on the app's address (else the app's address).
    pub return_url: String,
    pub demo: bool,
}

fn portal_subscription(sub: &Subscription, item: &Item) -> PortalSubscription {
    let price = format!("{} / {}", format_money(item.unit_amount, &item.currency), item.billing_interval);
    PortalSubscription {
        id: sub.id.clone(),
        plan: item.product_name.clone(),
        price,
        status: sub.status.clone(),
        live: sub.is_live(),
        cancel_at_period_end: sub.cancel_at.is_some() || sub.cancel_at_period_end,
        period_end: day(sub.ended_at.or(sub.cancel_at).unwrap_or(item.current_period_end)),
        next_invoice: (sub.is_live()
            && sub.cancel_at.is_none_or(|at| at > item.current_period_end)
            && !sub.cancel_at_period_end)
            .then(|| format!("{} on {}", format_money(item.unit_amount, &item.currency), day(item.current_period_end))),
    }
}

#[derive(Deserialize)]
pub struct PortalQuery {
    done: Option<String>,
}

pub async fn portal_page(
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    query: web::Query<PortalQuery>,
    session: CookieSession,
) -> PageResult<HttpResponse> {
    let id = id.into_inner();
    let (portal, customer, subs, invoices) = transaction(&state, move |conn| {
        let portal = PortalSession::find(conn, &id)?.ok_or_else(|| SandboxError::missing("portal session", &id))?;
        let customer = Customer::find(conn, &portal.customer_id)?
            .ok_or_else(|| SandboxError::missing("customer", &portal.customer_id))?;
        let mut subs = Vec::new();
        for sub in Subscription::for_customer(conn, &customer.id)? {
            if let Some(item) = Item::of(conn, &sub.id)?.into_iter().next() {
                subs.push(portal_subscription(&sub, &item));
            }
        }
        let invoices = Invoice::for_customer(conn, &customer.id, 24)?;
        Ok((portal, customer, subs, invoices))
    })
    .await?;
    let notice = match query.done.as_deref() {
        Some("card") => Some("Your card was updated and any open invoices were paid."),
        Some("declined") => Some("That card was declined, or is not a test card. Nothing changed."),
        Some("cancel") => Some("Your subscription will end at the end of the current period."),
        Some("resume") => Some("Your subscription will continue."),
        _ => None,
    };
    let page = PortalPage {
        past_due: invoices.iter().any(|i| i.status == "open"),
        invoices: invoices
            .iter()
            .map(|i| PortalInvoice {
                number: i.number.clone(),
                date: day(i.created_at),
                amount: format_money(i.amount_due, &i.currency),
                status: i.status.clone(),
            })
            .collect(),
        email: customer.email.clone(),
        card: cards::masked(customer.card.as_deref()),
        subscriptions: subs,
        notice,
        csrf: csrf_token(&session),
        return_url: state.safe_link(&portal.return_url),
        demo: state.public_demo,
        portal,
    };
    render(&page, StatusCode::OK)
}

pub async fn update_card(
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<CardForm>,
) -> PageResult<HttpResponse> {
    let id = id.into_inner();
    let card = Card::parse(&form.card);
    let portal_id = id.clone();
    let taken = transaction(&state, move |conn| {
        let portal = PortalSession::find(conn, &id)?.ok_or_else(|| SandboxError::missing("portal session", &id))?;
        match card {
            Some(card) => {
                let now = now_for_customer(conn, Some(&portal.customer_id))?;
                subscriptions::update_card(conn, &portal.customer_id, card, now)
            }
            None => Ok(false),
        }
    })
    .await?;
    events::deliver_pending(&state, false).await?;
    let done = if taken { "card" } else { "declined" };
    Ok(redirect(&format!("/sandbox/portal/{portal_id}?done={done}")))
}

#[derive(Deserialize)]
pub struct NoFields {}

async fn set_cancel(state: &SandboxState, path: (String, String), cancel: bool) -> PageResult<HttpResponse> {
    let (portal_id, sub_id) = path;
    let back = portal_id.clone();
    transaction(state, move |conn| {
        let portal = PortalSession::find(conn, &portal_id)?
            .ok_or_else(|| SandboxError::missing("portal session", &portal_id))?;
        // The portal session is the customer's key: only their own subscriptions.
        let sub = subscriptions::find(conn, &sub_id)?;
        if sub.customer_id != portal.customer_id {
            return Err(SandboxError::missing("subscription", &sub_id));
        }
        let now = now_for_customer(conn, Some(&sub.customer_id))?;
        subscriptions::set_cancel_at_period_end(conn, &sub_id, cancel, now)
    })
    .await?;
    events::deliver_pending(state, false).await?;
    Ok(redirect(&format!("/sandbox/portal/{back}?done={}", if cancel { "cancel" } else { "resume" })))
}

pub async fn cancel(
    state: web::Data<SandboxState>,
    path: web::Path<(String, String)>,
    _: CsrfForm<NoFields>,
) -> PageResult<HttpResponse> {
    set_cancel(&state, path.into_inner(), true).await
}

pub async fn resume(
    state: web::Data<SandboxState>,
    path: web::Path<(String, String)>,
    _: CsrfForm<NoFields>,
) -> PageResult<HttpResponse> {
    set_cancel(&state, path.into_inner(), false).await
}
