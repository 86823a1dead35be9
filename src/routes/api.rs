//! JSON endpoints. `GET /api/me`: who is signed in and their workspaces.

use actix_web::HttpResponse;

use crate::web::SignedIn;

pub async fn me(who: SignedIn) -> HttpResponse {
    let workspaces: Vec<_> =
        who.nav.iter().map(|w| serde_json::json!({ "id": w.id, "name": w.name, "role": w.role })).collect();
    HttpResponse::Ok().json(serde_json::json!({
        "id": who.user.id,
        "email": who.user.email,
        "workspaces": workspaces,
    }))
}
