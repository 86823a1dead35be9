//! API authentication, as Stripe does it: every `/sandbox/v1/` request carries the
//! installation's secret key as `Authorization: Bearer sk_test_…`. The key is generated per
//! installation (not a constant anyone can read in the source), so a sandbox reachable from a
//! network is not an open API. A refusal never prints the expected key, and of the key that was
//! sent only its last four characters, as Stripe does.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use subtle::ConstantTimeEq;

use super::SandboxState;
use super::error::SandboxError;

/// A request that carried the sandbox's API key.
pub struct ApiKey;

impl FromRequest for ApiKey {
    type Error = SandboxError;
    type Future = Ready<Result<ApiKey, SandboxError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<SandboxState>>() else {
            return ready(Err(SandboxError::Internal("the sandbox's routes are mounted without its state".into())));
        };
        let sent = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        ready(check(sent, &state.api_key))
    }
}

fn check(authorization: Option<&str>, expected: &str) -> Result<ApiKey, SandboxError> {
    match authorization.and_then(|v| v.strip_prefix("Bearer ")) {
        Some(key) if !expected.is_empty() && bool::from(key.as_bytes().ct_eq(expected.as_bytes())) => Ok(ApiKey),
        Some(key) => Err(SandboxError::Unauthorized(format!(
            "Invalid API Key provided: ****{}",
            key.chars().skip(key.chars().count().saturating_sub(4)).collect::<String>()
        ))),
        None => Err(SandboxError::Unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
             using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                .to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_test_the_installations_own_key";

    #[test]
    fn refusals_never_show_the_expected_key() {
        assert!(check(Some(&format!("Bearer {KEY}")), KEY).is_ok());
        for sent in [None, Some("Bearer sk_test_wrong_key_1234"), Some("Basic abc"), Some("Bearer ")] {
            let Err(err) = check(sent, KEY) else { panic!("{sent:?} was accepted") };
            assert!(!err.to_string().contains(KEY), "{err}");
            assert!(!err.to_string().contains("installations_own"), "{err}");
        }
        let Err(err) = check(Some("Bearer sk_test_wrong_key_1234"), KEY) else { panic!("accepted") };
        assert_eq!(err.to_string(), "Invalid API Key provided: ****1234");
        assert!(check(Some("Bearer "), "").is_err(), "no key configured accepts nothing");
    }
}
