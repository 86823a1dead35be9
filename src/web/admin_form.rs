//! `AdminForm<T>`: an administrator's CSRF-checked form. The admin check runs first, so a
//! non-administrator gets the same 404 for a POST as for any other admin address, whatever
//! the form holds — a CSRF refusal would reveal that the address exists.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::{AdminAccess, CsrfForm};
use crate::error::AppError;

pub struct AdminForm<T> {
    pub admin: AdminAccess,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for AdminForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = AdminAccess::from_request(req, payload);
        let form = CsrfForm::<T>::from_request(req, payload);
        Box::pin(async move {
            let admin = admin.await?;
            let CsrfForm(form) = form.await?;
            Ok(AdminForm { admin, form })
        })
    }
}
