//! Catalog edits from the admin console: create and edit plans, add-ons and credit packs,
//! archive and restore them — never delete, since workspaces and renewals may still use
//! them. Each write is audited with the terms before and after; the catalog's version row
//! is bumped by the database's triggers, so `/pricing` and every instance's cached catalog
//! show the change on their next read.

use serde_json::{Value, json};

use super::{Operator, Subject, audit, bad_field};
use crate::db::{DbConnection, write_transaction};
use crate::domain::catalog::{
    Addon, AddonFields, AddonForm, CreditPack, CreditPackFields, CreditPackForm, FieldError, Plan, PlanFields, PlanForm,
};
use crate::domain::ids::{AddonId, CreditPackId, PlanId};
use crate::error::AppError;
use crate::state::AppState;

/// Which kind of catalog entry, as the admin addresses name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Plan,
    Addon,
    CreditPack,
}

impl EntryKind {
    pub fn parse(s: &str) -> Option<EntryKind> {
        match s {
            "plans" => Some(EntryKind::Plan),
            "addons" => Some(EntryKind::Addon),
            "packs" => Some(EntryKind::CreditPack),
            _ => None,
        }
    }

    pub fn subject(self) -> &'static str {
        match self {
            EntryKind::Plan => "plan",
            EntryKind::Addon => "addon",
            EntryKind::CreditPack => "credit_pack",
        }
    }
}

fn plan_json(p: &PlanFields) -> Value {
    json!({
        "code": p.code, "name": p.name, "description": p.description, "currency": p.currency,
        "price_month_minor": p.price_month_minor, "price_year_minor": p.price_year_minor,
        "stripe_price_month": p.stripe_price_month, "stripe_price_year": p.stripe_price_year,
        "chargebee_item_price_month": p.chargebee_item_price_month,
        "chargebee_item_price_year": p.chargebee_item_price_year,
        "trial_days": p.trial_days, "monthly_credits": p.monthly_credits, "seats": p.seat_limit,
        "limits": p.limits, "features": p.features, "sort_order": p.sort_order,
        "is_active": p.is_active, "is_default": p.is_default, "contact_sales": p.contact_sales,
    })
}

fn addon_json(a: &AddonFields) -> Value {
    json!({
        "code": a.code, "name": a.name, "description": a.description, "currency": a.currency,
        "price_minor": a.price_minor, "interval": a.interval.as_str(), "stripe_price": a.stripe_price,
        "chargebee_item_price": a.chargebee_item_price, "sort_order": a.sort_order, "is_active": a.is_active,
    })
}

fn pack_json(p: &CreditPackFields) -> Value {
    json!({
        "code": p.code, "name": p.name, "credits": p.credits, "currency": p.currency,
        "price_minor": p.price_minor, "stripe_price": p.stripe_price,
        "chargebee_item_price": p.chargebee_item_price, "sort_order": p.sort_order, "is_active": p.is_active,
    })
}

fn taken(kind: &str) -> AppError {
    bad_field(FieldError::new("code", format!("is already used by another {kind}")))
}

fn record(
    conn: &mut DbConnection,
    operator: &Operator,
    kind: EntryKind,
    action: &str,
    id: i64,
    before: Option<Value>,
    after: Value,
) -> Result<(), AppError> {
    let subject = Subject { kind: kind.subject(), id: id.to_string(), workspace: None };
    audit(conn, operator, &format!("{}.{action}", kind.subject()), &subject, before, Some(after), None)?;
    Ok(())
}

/// The catalog as the admin page lists it, archived entries too, with the newest audit
/// entries about it (or about one entry, when `entry` names it).
pub struct CatalogView {
    pub plans: Vec<Plan>,
    pub addons: Vec<Addon>,
    pub packs: Vec<CreditPack>,
    pub audit: Vec<crate::models::AuditEntry>,
}

pub async fn catalog(state: &AppState, entry: Option<(EntryKind, i64)>) -> Result<CatalogView, AppError> {
    state
        .db
        .run(move |conn| {
            let audit = match entry {
                Some((kind, id)) => crate::models::AuditEntry::for_subject(conn, kind.subject(), &id.to_string(), 50)?,
                None => crate::models::audit_search::for_subject_types(conn, &["plan", "addon", "credit_pack"], 50)?,
            };
            Ok(CatalogView { plans: Plan::all(conn)?, addons: Addon::all(conn)?, packs: CreditPack::all(conn)?, audit })
        })
        .await
}

/// Creates a plan (`id: None`) or edits one; a plan's code never changes once made (the
/// catalog file and provider metadata name plans by it). Returns the plan's id.
pub async fn save_plan(
    state: &AppState,
    operator: Operator,
    id: Option<PlanId>,
    form: PlanForm,
) -> Result<i64, AppError> {
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let mut form = form;
                let existing = id.map(|id| Plan::find(conn, id)).transpose()?;
                if let Some(plan) = &existing {
                    form.code.clone_from(&plan.code);
                }
                let (active, default) = existing.as_ref().map_or((true, false), |p| (p.is_active, p.is_default));
                let fields = form.parse(active, default).map_err(bad_field)?;
                match existing {
                    Some(plan) => {
                        Plan::update(conn, plan.id, &fields)?;
                        record(
                            conn,
                            &operator,
                            EntryKind::Plan,
                            "update",
                            plan.id.0,
                            Some(plan_json(&plan)),
                            plan_json(&fields),
                        )?;
                        Ok(plan.id.0)
                    }
                    None => {
                        if Plan::find_by_code(conn, &fields.code)?.is_some() {
                            return Err(taken("plan"));
                        }
                        let plan = Plan::insert(conn, &fields)?;
                        record(conn, &operator, EntryKind::Plan, "create", plan.id.0, None, plan_json(&fields))?;
                        Ok(plan.id.0)
                    }
                }
            })
        })
        .await
}

pub async fn save_addon(
    state: &AppState,
    operator: Operator,
    id: Option<AddonId>,
    form: AddonForm,
) -> Result<i64, AppError> {
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let mut form = form;
                let all = Addon::all(conn)?;
                let existing = match id {
                    Some(id) => Some(all.iter().find(|a| a.id == id).cloned().ok_or(AppError::NotFound)?),
                    None => None,
                };
                if let Some(addon) = &existing {
                    form.code.clone_from(&addon.code);
                }
                let fields = form.parse(existing.as_ref().is_none_or(|a| a.is_active)).map_err(bad_field)?;
                match existing {
                    Some(addon) => {
                        Addon::update(conn, addon.id, &fields)?;
                        let before = Some(addon_json(&addon));
                        record(conn, &operator, EntryKind::Addon, "update", addon.id.0, before, addon_json(&fields))?;
                        Ok(addon.id.0)
                    }
                    None => {
                        if all.iter().any(|a| a.code == fields.code) {
                            return Err(taken("add-on"));
                        }
                        let addon = Addon::insert(conn, &fields)?;
                        record(conn, &operator, EntryKind::Addon, "create", addon.id.0, None, addon_json(&fields))?;
                        Ok(addon.id.0)
                    }
                }
            })
        })
        .await
}

pub async fn save_pack(
    state: &AppState,
    operator: Operator,
    id: Option<CreditPackId>,
    form: CreditPackForm,
) -> Result<i64, AppError> {
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let mut form = form;
                let all = CreditPack::all(conn)?;
                let existing = match id {
                    Some(id) => Some(all.iter().find(|p| p.id == id).cloned().ok_or(AppError::NotFound)?),
                    None => None,
                };
                if let Some(pack) = &existing {
                    form.code.clone_from(&pack.code);
                }
                let fields = form.parse(existing.as_ref().is_none_or(|p| p.is_active)).map_err(bad_field)?;
                match existing {
                    Some(pack) => {
                        CreditPack::update(conn, pack.id, &fields)?;
                        let before = Some(pack_json(&pack));
                        record(
                            conn,
                            &operator,
                            EntryKind::CreditPack,
                            "update",
                            pack.id.0,
                            before,
                            pack_json(&fields),
                        )?;
                        Ok(pack.id.0)
                    }
                    None => {
                        if all.iter().any(|p| p.code == fields.code) {
                            return Err(taken("credit pack"));
                        }
                        let pack = CreditPack::insert(conn, &fields)?;
                        record(conn, &operator, EntryKind::CreditPack, "create", pack.id.0, None, pack_json(&fields))?;
                        Ok(pack.id.0)
                    }
                }
            })
        })
        .await
}

/// Takes an entry off sale (`active = false`) or puts it back. Archived entries stay in the
/// catalog: workspaces on them keep them, renewals still resolve their prices. The default
/// plan cannot be archived: new workspaces start on it.
pub async fn set_active(
    state: &AppState,
    operator: Operator,
    kind: EntryKind,
    id: i64,
    active: bool,
) -> Result<(), AppError> {
    let action = if active { "restore" } else { "archive" };
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                match kind {
                    EntryKind::Plan => {
                        let plan = Plan::find(conn, PlanId(id))?;
                        if plan.is_default && !active {
                            return Err(AppError::bad_request(
                                "The default plan cannot be archived: new workspaces start on it.",
                            ));
                        }
                        let fields = PlanFields { is_active: active, ..plan.terms.clone() };
                        Plan::update(conn, plan.id, &fields)?;
                        record(conn, &operator, kind, action, id, Some(plan_json(&plan)), plan_json(&fields))?;
                    }
                    EntryKind::Addon => {
                        let addon = Addon::all(conn)?.into_iter().find(|a| a.id.0 == id).ok_or(AppError::NotFound)?;
                        let fields = AddonFields { is_active: active, ..addon.terms.clone() };
                        Addon::update(conn, addon.id, &fields)?;
                        record(conn, &operator, kind, action, id, Some(addon_json(&addon)), addon_json(&fields))?;
                    }
                    EntryKind::CreditPack => {
                        let pack =
                            CreditPack::all(conn)?.into_iter().find(|p| p.id.0 == id).ok_or(AppError::NotFound)?;
                        let fields = CreditPackFields { is_active: active, ..pack.terms.clone() };
                        CreditPack::update(conn, pack.id, &fields)?;
                        record(conn, &operator, kind, action, id, Some(pack_json(&pack)), pack_json(&fields))?;
                    }
                }
                Ok(())
            })
        })
        .await
}
