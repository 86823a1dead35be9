//! The client's address for per-address limits: the connecting peer, unless that peer is a
//! proxy named in `TRUSTED_PROXIES`, whose forwarding headers are then followed (see
//! `domain::network`). Headers from anyone else are ignored, so rotating them gains nothing.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, web};

use crate::state::AppState;

/// Every value of a header, joined as one list (a proxy chain may send several lines).
fn joined(req: &HttpRequest, name: HeaderName) -> Option<String> {
    let values: Vec<&str> = req.headers().get_all(name).filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(","))
}

pub fn client_ip(req: &HttpRequest) -> IpAddr {
    // Only a request built without a connection (never served) has no peer.
    let peer = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip().to_canonical());
    let Some(state) = req.app_data::<web::Data<AppState>>() else { return peer };
    let proxies = &state.config.trusted_proxies;
    if !proxies.contains(peer) {
        return peer;
    }
    let xff = joined(req, HeaderName::from_static("x-forwarded-for"));
    let forwarded = joined(req, header::FORWARDED);
    proxies.client_address(peer, xff.as_deref(), forwarded.as_deref())
}
