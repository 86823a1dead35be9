//! Registers the catalog's prices with the offline sandbox, as a merchant registers them with
//! Stripe: through the sandbox's Stripe-shaped API (`POST /v1/products`, `POST /v1/prices`,
//! form-encoded, `Authorization: Bearer <key>`), never by the sandbox reading our tables.
//!
//! `startup.rs` runs this at every start (with the catalog `services::catalog` read) with the
//! sandbox as provider, after the server listens
//! and before the app is handed over, so the sandbox knows every price the app can sell. It is
//! idempotent (the sandbox's `id` extension upserts prices), so re-running it is harmless, and a
//! `tollgate catalog sync` made while a server ran is picked up by the next start.
//!
//! reqwest rather than async-stripe: the crate's typed `CreatePrice` cannot send the `id` the
//! sandbox needs to keep the catalog's price ids.

use std::time::Duration;

use serde_json::Value;

use super::{BillingError, Purchase, SandboxAccess, metadata};
use crate::domain::catalog::{Addon, CreditPack, Plan};
use crate::domain::money::Interval;

/// One catalog price as the sandbox should know it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogPrice {
    pub price_id: String,
    pub purchase: Purchase,
    /// The catalog code of the plan, add-on or pack.
    pub code: String,
    pub product_name: String,
    pub unit_amount: i64,
    pub currency: String,
    /// `month` / `year`; `None` for a one-time price (credit packs).
    pub interval: Option<String>,
    /// Archived catalog entries stay registered, inactive, as archived Stripe prices do.
    pub active: bool,
}

impl CatalogPrice {
    /// One product per plan, add-on or pack: `prod_plan_pro`, `prod_addon_custom_domain`.
    pub fn product_id(&self) -> String {
        format!("prod_{}_{}", self.purchase.as_str(), self.code)
    }
}

/// What a plan, add-on or pack contributes to each of its prices.
struct Entry<'a> {
    purchase: Purchase,
    code: &'a str,
    name: &'a str,
    currency: &'a str,
    active: bool,
}

impl Entry<'_> {
    /// The price, when the entry has both a Stripe price id and an amount for it.
    fn price(&self, id: Option<&str>, amount: Option<i64>, interval: Option<&str>) -> Option<CatalogPrice> {
        Some(CatalogPrice {
            price_id: id?.to_owned(),
            purchase: self.purchase,
            code: self.code.to_owned(),
            product_name: self.name.to_owned(),
            unit_amount: amount?,
            currency: self.currency.to_owned(),
            interval: interval.map(str::to_owned),
            active: self.active,
        })
    }
}

/// Every catalog entry with a Stripe price id and an amount, archived ones included (inactive):
/// subscriptions on them still renew and show their names.
pub fn catalog_prices(plans: &[Plan], addons: &[Addon], packs: &[CreditPack]) -> Vec<CatalogPrice> {
    let mut prices = Vec::new();
    for plan in plans {
        let entry = Entry {
            purchase: Purchase::Plan,
            code: &plan.code,
            name: &plan.name,
            currency: &plan.currency,
            active: plan.is_active,
        };
        for interval in [Interval::Month, Interval::Year] {
            prices.extend(entry.price(plan.stripe_price(interval), plan.price(interval), Some(interval.as_str())));
        }
    }
    for addon in addons {
        let entry = Entry {
            purchase: Purchase::Addon,
            code: &addon.code,
            name: &addon.name,
            currency: &addon.currency,
            active: addon.is_active,
        };
        prices.extend(entry.price(
            addon.stripe_price.as_deref(),
            Some(addon.price_minor),
            Some(addon.interval.as_str()),
        ));
    }
    for pack in packs {
        let entry = Entry {
            purchase: Purchase::CreditPack,
            code: &pack.code,
            name: &pack.name,
            currency: &pack.currency,
            active: pack.is_active,
        };
        prices.extend(entry.price(pack.stripe_price.as_deref(), Some(pack.price_minor), None));
    }
    prices
}

/// A client for the sandbox's API, speaking Stripe's form encoding.
struct SandboxApi<'a> {
    http: reqwest::Client,
    access: &'a SandboxAccess,
}

impl SandboxApi<'_> {
    /// Sends a request (a form body for POST) and reads the answer as Stripe's: an object, or
    /// `{"error": {"message": …}}` with a status.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(String, String)],
    ) -> Result<Value, BillingError> {
        let url = format!("{}v1/{path}", self.access.api_base);
        let what = format!("{method} {url}");
        let mut request = self.http.request(method.clone(), &url).bearer_auth(&self.access.api_key);
        if method == reqwest::Method::POST {
            request = request.form(form);
        }
        let res = request.send().await.map_err(|e| BillingError::Unavailable(format!("{what}: {e}")))?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.map_err(|e| BillingError::Protocol(format!("{what}: {e}")))?;
        let message = || body["error"]["message"].as_str().unwrap_or("no message").to_owned();
        match status {
            200..=299 => Ok(body),
            404 => Err(BillingError::NotFound(message())),
            400..=499 => Err(BillingError::Rejected { status, message: message() }),
            _ => Err(BillingError::Unavailable(format!("{what} answered {status}: {}", message()))),
        }
    }

    async fn post(&self, path: &str, form: &[(String, String)]) -> Result<(), BillingError> {
        self.call(reqwest::Method::POST, path, form).await.map(drop)
    }

    /// Creates the product, or brings it up to date when its name or metadata changed.
    async fn put_product(&self, price: &CatalogPrice) -> Result<(), BillingError> {
        let id = price.product_id();
        let (kind, code) = (price.purchase.as_str(), price.code.as_str());
        let fields = vec![
            ("name".to_owned(), price.product_name.clone()),
            (format!("metadata[{}]", metadata::KIND), kind.to_owned()),
            (format!("metadata[{}]", metadata::CODE), code.to_owned()),
        ];
        let update = format!("products/{id}");
        match self.call(reqwest::Method::GET, &update, &[]).await {
            Ok(existing)
                if existing["name"] == price.product_name.as_str()
                    && existing["metadata"][metadata::KIND] == kind
                    && existing["metadata"][metadata::CODE] == code =>
            {
                Ok(())
            }
            Ok(_) => self.post(&update, &fields).await,
            Err(BillingError::NotFound(_)) => {
                let create = [vec![("id".to_owned(), id.clone())], fields.clone()].concat();
                match self.post("products", &create).await {
                    // Another instance created it a moment ago: bring it up to date instead.
                    Err(BillingError::Rejected { status: 400, .. }) => self.post(&update, &fields).await,
                    other => other,
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn put_price(&self, price: &CatalogPrice) -> Result<(), BillingError> {
        let nickname = match &price.interval {
            Some(interval) => format!("{} ({interval})", price.product_name),
            None => price.product_name.clone(),
        };
        let mut form = vec![
            ("id".to_owned(), price.price_id.clone()),
            ("product".to_owned(), price.product_id()),
            ("unit_amount".to_owned(), price.unit_amount.to_string()),
            ("currency".to_owned(), price.currency.clone()),
            ("nickname".to_owned(), nickname),
            ("active".to_owned(), price.active.to_string()),
            (format!("metadata[{}]", metadata::KIND), price.purchase.as_str().to_owned()),
            (format!("metadata[{}]", metadata::CODE), price.code.clone()),
        ];
        if let Some(interval) = &price.interval {
            form.push(("recurring[interval]".to_owned(), interval.clone()));
        }
        self.post("prices", &form).await
    }
}

/// Registers `prices` (and their products) with the sandbox; returns how many prices.
pub async fn register(access: &SandboxAccess, prices: &[CatalogPrice]) -> Result<usize, BillingError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| BillingError::Unavailable(format!("HTTP client: {e}")))?;
    let api = SandboxApi { http, access };
    let mut products_done: Vec<String> = Vec::new();
    for price in prices {
        if !products_done.contains(&price.product_id()) {
            api.put_product(price).await?;
            products_done.push(price.product_id());
        }
        api.put_price(price).await?;
    }
    Ok(prices.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_interval_with_a_price_id_is_a_catalog_price() {
        let mut plans = crate::domain::catalog::default_plans();
        if let Some(pro) = plans.iter_mut().find(|p| p.code == "pro") {
            pro.terms.is_active = false;
        }
        let prices = catalog_prices(&plans, &[], &[]);
        let ids: Vec<&str> = prices.iter().map(|p| p.price_id.as_str()).collect();
        assert_eq!(ids, ["price_starter_monthly", "price_starter_yearly", "price_pro_monthly", "price_pro_yearly"]);
        let pro = prices.iter().find(|p| p.price_id == "price_pro_yearly").cloned().unwrap_or_else(|| panic!("pro"));
        assert_eq!((pro.unit_amount, pro.interval.as_deref(), pro.active), (50_000, Some("year"), false));
        assert_eq!((pro.product_id(), pro.product_name.as_str()), ("prod_plan_pro".to_owned(), "Pro"));
        assert!(prices.iter().filter(|p| p.code == "starter").all(|p| p.active));
    }
}
