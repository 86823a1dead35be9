//! A small sliding-window rate limiter for actions that cost a provider call (checkout and
//! portal sessions). In memory, per instance: behind a load balancer each instance counts
//! its own share, which still bounds abuse; the provider's own limits sit behind it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

pub struct RateLimiter {
    hits: Mutex<HashMap<String, Vec<Instant>>>,
}

/// How many actions a key may take per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: usize,
    pub window: Duration,
}

pub const PER_WORKSPACE: Limit = Limit { max: 10, window: Duration::from_secs(60) };
pub const PER_IP: Limit = Limit { max: 30, window: Duration::from_secs(60) };

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter { hits: Mutex::new(HashMap::new()) }
    }
}

impl RateLimiter {
    /// Counts one action for every key, or refuses (counting nothing) when any key is over.
    pub fn check(&self, keys: &[(String, Limit)]) -> Result<(), AppError> {
        self.check_at(keys, Instant::now())
    }

    fn check_at(&self, keys: &[(String, Limit)], now: Instant) -> Result<(), AppError> {
        let mut hits = self.hits.lock().map_err(|_| AppError::internal("rate limiter lock poisoned"))?;
        // Forget keys that have gone quiet, so the map does not grow without bound.
        if hits.len() > 10_000 {
            hits.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < Duration::from_secs(3600)));
        }
        for (key, limit) in keys {
            let times = hits.entry(key.clone()).or_default();
            times.retain(|t| now.duration_since(*t) < limit.window);
            if times.len() >= limit.max {
                return Err(AppError::TooManyRequests);
            }
        }
        for (key, _) in keys {
            hits.entry(key.clone()).or_default().push(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_recovers_after_the_window() {
        let limiter = RateLimiter::default();
        let limit = Limit { max: 2, window: Duration::from_secs(60) };
        let key = || vec![("ws:1".to_owned(), limit)];
        let t0 = Instant::now();
        assert!(limiter.check_at(&key(), t0).is_ok());
        assert!(limiter.check_at(&key(), t0).is_ok());
        assert!(matches!(limiter.check_at(&key(), t0), Err(AppError::TooManyRequests)));
        assert!(limiter.check_at(&key(), t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn a_refused_action_counts_against_no_key() {
        let limiter = RateLimiter::default();
        let tight = Limit { max: 1, window: Duration::from_secs(60) };
        let loose = Limit { max: 5, window: Duration::from_secs(60) };
        let t0 = Instant::now();
        assert!(limiter.check_at(&[("ip".into(), tight)], t0).is_ok());
        assert!(limiter.check_at(&[("ws".into(), loose), ("ip".into(), tight)], t0).is_err());
        let hits = limiter.hits.lock().unwrap();
        assert!(hits.get("ws").is_none_or(Vec::is_empty));
    }
}
