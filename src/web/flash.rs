//! One-shot notices ("Welcome to Pro", "Member removed") carried across a redirect in
//! the session and shown once by the next page.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use super::keys;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "notice notice-success",
            FlashKind::Info => "notice notice-info",
            FlashKind::Error => "notice notice-error",
        }
    }
}

pub fn set_flash(session: &Session, kind: FlashKind, message: impl Into<String>) {
    if let Err(e) = session.insert(keys::FLASH, Flash { kind, message: message.into() }) {
        log::warn!("could not store flash message: {e}");
    }
}

/// The notice waiting in the session, removed as it is read. Only a session that holds one is
/// touched: any removal makes the session middleware encrypt and send the cookie again.
pub fn take_flash(session: &Session) -> Option<Flash> {
    if !session.contains_key(keys::FLASH) {
        return None;
    }
    session.remove_as::<Flash>(keys::FLASH).and_then(Result::ok)
}
