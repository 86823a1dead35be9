//! The catalog API under `/sandbox/v1/`: products (`POST /v1/products`, `GET` and `POST
//! /v1/products/{id}`) and prices (`POST /v1/prices`, `GET /v1/prices/{id}`, `GET /v1/prices`),
//! with Stripe's parameters and answers in Stripe's shapes. The app registers its catalog through
//! these at start, as a merchant would; `catalog` explains the one extension (a price's `id`).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::ApiKey;
use super::catalog::{self, PriceFilter, PriceRow, PriceTerms, Product};
use super::error::SandboxError;
use super::form::StripeForm;
use super::store::new_id;
use super::time::real_now_seconds;
use super::{SandboxState, shapes, transaction};

type Answer = Result<HttpResponse, SandboxError>;

fn json(value: serde_json::Value) -> Answer {
    Ok(HttpResponse::Ok().json(value))
}

/// The object's id: the one sent (Stripe accepts one for products; the sandbox also for
/// prices), else a generated `prefix_…` one.
fn object_id(form: &StripeForm, prefix: &str) -> Result<String, SandboxError> {
    match form.get("id") {
        None => Ok(new_id(prefix)),
        Some(id)
            if !id.is_empty()
                && id.len() <= 200
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            Ok(id.to_owned())
        }
        Some(id) => {
            Err(SandboxError::invalid(format!("Invalid id: '{id}'. Ids are 1 to 200 letters, digits, '_' or '-'.")))
        }
    }
}

fn to_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

/// An optional text parameter; sending it empty means "none", as Stripe reads it.
fn text(form: &StripeForm, key: &str) -> Option<String> {
    form.get(key).filter(|v| !v.is_empty()).map(str::to_owned)
}

pub async fn create_product(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let id = object_id(&form, "prod")?;
    let name = form.require("name")?.to_owned();
    let description = text(&form, "description");
    let active = form.bool("active")?.unwrap_or(true);
    let metadata_json = to_json(&form.map("metadata"));
    let product = transaction(&state, move |conn| {
        let now = real_now_seconds();
        let product = Product { id, name, description, active, metadata_json, created_at: now, updated_at: now };
        product.insert(conn)?;
        Ok(product)
    })
    .await?;
    json(shapes::product(&product)?)
}

pub async fn retrieve_product(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let product =
        transaction(&state, move |conn| Product::find(conn, &id)?.ok_or_else(|| SandboxError::missing("product", &id)))
            .await?;
    json(shapes::product(&product)?)
}

/// `POST /v1/products/{id}`: sets what is sent; `metadata[key]=` (empty) removes a key.
pub async fn update_product(
    _: ApiKey,
    state: web::Data<SandboxState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let form = StripeForm::parse(&body)?;
    let id = id.into_inner();
    let product = transaction(&state, move |conn| {
        let mut product = Product::find(conn, &id)?.ok_or_else(|| SandboxError::missing("product", &id))?;
        let before = product.clone();
        if let Some(name) = form.get("name") {
            if name.is_empty() {
                return Err(SandboxError::invalid("A product's name cannot be empty."));
            }
            name.clone_into(&mut product.name);
        }
        if form.get("description").is_some() {
            product.description = text(&form, "description");
        }
        product.active = form.bool("active")?.unwrap_or(product.active);
        let mut metadata: BTreeMap<String, String> = serde_json::from_str(&product.metadata_json).unwrap_or_default();
        for (key, value) in form.map("metadata") {
            match value.is_empty() {
                true => metadata.remove(&key),
                false => metadata.insert(key, value),
            };
        }
        product.metadata_json = to_json(&metadata);
        if product != before {
            product.updated_at = real_now_seconds();
            product.save(conn)?;
        }
        Ok(product)
    })
    .await?;
    json(shapes::product(&product)?)
}

/// The terms `POST /v1/prices` describes.
fn price_terms(form: &StripeForm) -> Result<PriceTerms, SandboxError> {
    let unit_amount =
        form.int("unit_amount")?.ok_or_else(|| SandboxError::invalid("Missing required param: unit_amount."))?;
    if unit_amount < 0 {
        return Err(SandboxError::invalid("Invalid unit_amount: it must be 0 or more (in the currency's minor unit)."));
    }
    let currency = form.require("currency")?.to_ascii_lowercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(SandboxError::invalid(format!("Invalid currency: {currency}.")));
    }
    let recurring_interval = match form.get("recurring[interval]") {
        None => None,
        Some(interval @ ("month" | "year")) => Some(interval.to_owned()),
        Some(other) => {
            return Err(SandboxError::invalid(format!(
                "Invalid recurring[interval]: {other}. The sandbox bills monthly or yearly: use month or year."
            )));
        }
    };
    if form.int("recurring[interval_count]")?.is_some_and(|n| n != 1) {
        return Err(SandboxError::invalid(
            "The sandbox bills every single interval: recurring[interval_count] must be 1.",
        ));
    }
    if form.get("recurring[usage_type]").is_some_and(|u| u != "licensed") {
        return Err(SandboxError::invalid("The sandbox supports licensed prices only (recurring[usage_type])."));
    }
    Ok(PriceTerms {
        product_id: form.require("product")?.to_owned(),
        unit_amount,
        currency,
        recurring_interval,
        nickname: text(form, "nickname"),
        lookup_key: text(form, "lookup_key"),
        active: form.bool("active")?.unwrap_or(true),
        metadata_json: to_json(&form.map("metadata")),
    })
}

async fn register(state: &SandboxState, id: String, terms: PriceTerms) -> Result<PriceRow, SandboxError> {
    transaction(state, move |conn| {
        let now = real_now_seconds();
        catalog::register_price(conn, &id, terms, now)
    })
    .await
}

pub async fn create_price(_: ApiKey, state: web::Data<SandboxState>, body: web::Bytes) -> Answer {
    let form = StripeForm::parse(&body)?;
    let id = object_id(&form, "price")?;
    let terms = price_terms(&form)?;
    let price = match register(&state, id.clone(), terms.clone()).await {
        // Another instance registered the same id at the same moment: now it is there to compare.
        Err(SandboxError::AlreadyExists(_)) => register(&state, id, terms).await?,
        other => other?,
    };
    json(shapes::price(&price)?)
}

pub async fn retrieve_price(_: ApiKey, state: web::Data<SandboxState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let price =
        transaction(&state, move |conn| PriceRow::find(conn, &id)?.ok_or_else(|| SandboxError::missing("price", &id)))
            .await?;
    json(shapes::price(&price)?)
}

/// `GET /v1/prices`: newest first; `active`, `product`, `currency`, `type`, `limit` (1–100,
/// default 10) and `starting_after` as Stripe reads them.
pub async fn list_prices(_: ApiKey, state: web::Data<SandboxState>, req: HttpRequest) -> Answer {
    let form = StripeForm::parse(req.query_string().as_bytes())?;
    let filter = PriceFilter {
        active: form.bool("active")?,
        product: text(&form, "product"),
        currency: text(&form, "currency").map(|c| c.to_ascii_lowercase()),
        recurring: match form.get("type") {
            None => None,
            Some("recurring") => Some(true),
            Some("one_time") => Some(false),
            Some(other) => return Err(SandboxError::invalid(format!("Invalid type: {other}."))),
        },
    };
    let limit = usize::try_from(form.int("limit")?.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
    let after = text(&form, "starting_after");
    let all = transaction(&state, move |conn| Ok(PriceRow::list(conn, &filter)?)).await?;
    let start = match &after {
        None => 0,
        Some(id) => all.iter().position(|p| &p.id == id).ok_or_else(|| SandboxError::missing("price", id))? + 1,
    };
    let rest = all.get(start..).unwrap_or_default();
    let page = rest.iter().take(limit).map(shapes::price).collect::<Result<Vec<_>, _>>()?;
    json(shapes::list_page(page, "/v1/prices", rest.len() > limit))
}
