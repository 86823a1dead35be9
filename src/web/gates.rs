//! Gates as extractors: put `RequireFeature<Analytics>` or `RequirePaidPlan` among a
//! handler's arguments and it only runs for workspaces whose plan allows it. Both read
//! `services::entitlements` (one function answers for every gate). A page request that is
//! refused is sent to `/w/{id}/billing?upgrade=<feature>`, where the billing page names the
//! cheapest plan that unlocks it; an `/api/` request gets 402 with
//! `{"error", "code", "feature", "upgrade_url"}`.
//!
//! The second type parameter says who is asking: `WorkspaceAccess` (pages, the default) or
//! `ApiCaller` (the JSON API); the gate hands it to the handler as `access`.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::WorkspaceAccess;
use super::api_auth::ApiCaller;
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::services::entitlements::{WorkspaceEntitlements, entitlements_now, require_feature, require_paid_plan};
use crate::state::AppState;

/// A feature a plan may list in `catalog.toml`, as a type so a gate names it once.
pub trait Feature {
    const NAME: &'static str;
}

/// The analytics page and its JSON twin.
pub struct Analytics;
impl Feature for Analytics {
    const NAME: &'static str = "analytics";
}

/// Workspace API keys.
pub struct ApiAccess;
impl Feature for ApiAccess {
    const NAME: &'static str = "api_access";
}

/// Who a gate checks: a page's workspace member or an API caller.
pub trait GateSubject: FromRequest<Error = AppError> + 'static {
    fn workspace_id(&self) -> WorkspaceId;
}

impl GateSubject for WorkspaceAccess {
    fn workspace_id(&self) -> WorkspaceId {
        self.workspace.id
    }
}

impl GateSubject for ApiCaller {
    fn workspace_id(&self) -> WorkspaceId {
        self.workspace.id
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::internal("AppState missing from app data"))
}

/// Resolves `A`, then its entitlements, then asks `check`.
fn gate<A: GateSubject>(
    req: &HttpRequest,
    payload: &mut Payload,
    check: fn(&WorkspaceEntitlements, &str) -> Result<(), AppError>,
) -> LocalBoxFuture<'static, Result<(A, WorkspaceEntitlements), AppError>> {
    let access = A::from_request(req, payload);
    let state = app_state(req);
    Box::pin(async move {
        let access = access.await?;
        let state = state?;
        let snap = entitlements_now(&state, access.workspace_id()).await?;
        check(&snap, &state.config.base_url)?;
        Ok((access, snap))
    })
}

/// Passes when the plan that applies includes `F`.
pub struct RequireFeature<F, A = WorkspaceAccess> {
    pub access: A,
    pub entitlements: WorkspaceEntitlements,
    feature: PhantomData<F>,
}

impl<F: Feature + 'static, A: GateSubject> FromRequest for RequireFeature<F, A> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let gated = gate::<A>(req, payload, |snap, base_url| require_feature(snap, F::NAME, base_url));
        Box::pin(async move {
            let (access, entitlements) = gated.await?;
            Ok(RequireFeature { access, entitlements, feature: PhantomData })
        })
    }
}

/// Passes on any paid plan (a trial or a grace period included).
pub struct RequirePaidPlan<A = WorkspaceAccess> {
    pub access: A,
    pub entitlements: WorkspaceEntitlements,
}

impl<A: GateSubject> FromRequest for RequirePaidPlan<A> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let gated = gate::<A>(req, payload, require_paid_plan);
        Box::pin(async move {
            let (access, entitlements) = gated.await?;
            Ok(RequirePaidPlan { access, entitlements })
        })
    }
}
