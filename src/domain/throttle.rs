//! Throttling rules: how often each costly or guessable action may happen, counted per
//! what (an email, a client address, a workspace), and what a refusal tells the caller.
//! Pure rules only: the counters live in the database so every instance shares them
//! (`models::rate_limit`), and `services::throttle` applies these rules to them.

use std::net::IpAddr;

use chrono::{NaiveDateTime, TimeDelta};
use sha2::{Digest, Sha256};

use super::ids::WorkspaceId;

/// At most `max` hits per `window`; the window opens at a bucket's first hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window: TimeDelta,
}

/// Checkouts and portal sessions per workspace: each costs a provider call, and nobody
/// opens ten checkouts a minute on purpose.
pub const CHECKOUT_PER_WORKSPACE: Limit = Limit { max: 10, window: TimeDelta::minutes(1) };
/// Checkouts and portal sessions per client address, across workspaces.
pub const CHECKOUT_PER_IP: Limit = Limit { max: 30, window: TimeDelta::minutes(1) };
/// Failed sign-ins per account. Someone who forgot a password rarely types ten wrong ones in
/// a quarter hour; a guesser is held to 40 tries an hour. A success clears the count.
pub const SIGN_IN_FAILURES_PER_EMAIL: Limit = Limit { max: 10, window: TimeDelta::minutes(15) };
/// Sign-in attempts per client address, whatever the account: stops one address trying
/// leaked passwords against many accounts. Sessions last two weeks, so even an office
/// behind one address signs in far less often than this.
pub const SIGN_IN_ATTEMPTS_PER_IP: Limit = Limit { max: 30, window: TimeDelta::minutes(15) };
/// Sign-ups per client address: a team behind one address can all join in an hour; a
/// script creating accounts (each a password hash and a workspace) is cut off.
pub const SIGN_UP_PER_IP: Limit = Limit { max: 10, window: TimeDelta::hours(1) };
/// Sign-ups per email: "that email already exists" must not become a fast way to test
/// which addresses have accounts.
pub const SIGN_UP_PER_EMAIL: Limit = Limit { max: 5, window: TimeDelta::hours(1) };

/// One counter: what is being counted, and for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bucket {
    SignInEmail(String),
    SignInIp(IpAddr),
    SignUpEmail(String),
    SignUpIp(IpAddr),
    CheckoutWorkspace(WorkspaceId),
    CheckoutIp(IpAddr),
    PortalWorkspace(WorkspaceId),
    PortalIp(IpAddr),
}

impl Bucket {
    /// The row key. Emails are hashed, so the table holds no addresses people typed.
    pub fn key(&self) -> String {
        match self {
            Bucket::SignInEmail(email) => format!("sign-in:email:{}", digest(email)),
            Bucket::SignInIp(ip) => format!("sign-in:ip:{}", ip_key(*ip)),
            Bucket::SignUpEmail(email) => format!("sign-up:email:{}", digest(email)),
            Bucket::SignUpIp(ip) => format!("sign-up:ip:{}", ip_key(*ip)),
            Bucket::CheckoutWorkspace(id) => format!("checkout:ws:{id}"),
            Bucket::CheckoutIp(ip) => format!("checkout:ip:{}", ip_key(*ip)),
            Bucket::PortalWorkspace(id) => format!("portal:ws:{id}"),
            Bucket::PortalIp(ip) => format!("portal:ip:{}", ip_key(*ip)),
        }
    }

    pub fn limit(&self) -> Limit {
        match self {
            Bucket::SignInEmail(_) => SIGN_IN_FAILURES_PER_EMAIL,
            Bucket::SignInIp(_) => SIGN_IN_ATTEMPTS_PER_IP,
            Bucket::SignUpEmail(_) => SIGN_UP_PER_EMAIL,
            Bucket::SignUpIp(_) => SIGN_UP_PER_IP,
            Bucket::CheckoutWorkspace(_) | Bucket::PortalWorkspace(_) => CHECKOUT_PER_WORKSPACE,
            Bucket::CheckoutIp(_) | Bucket::PortalIp(_) => CHECKOUT_PER_IP,
        }
    }
}

fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

/// An address as a throttle counts it. One IPv6 subscriber gets a whole /64 to pick
/// addresses from, so IPv6 is counted per /64; IPv4-mapped IPv6 counts as the IPv4 address.
pub fn ip_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{network}/64")
        }
    }
}

/// A refused action: how long until it may be tried again, in whole minutes (rounded up,
/// so waiting that long always works).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Refusal {
    minutes: u64,
}

impl Refusal {
    pub fn minutes(self) -> u64 {
        self.minutes
    }

    /// The `Retry-After` value.
    pub fn retry_after_secs(self) -> u64 {
        self.minutes * 60
    }

    /// "1 minute", "15 minutes".
    pub fn wait(self) -> String {
        match self.minutes {
            1 => "1 minute".to_owned(),
            n => format!("{n} minutes"),
        }
    }
}

/// The window for a bucket whose first hit is `now`.
pub fn window_end(limit: Limit, now: NaiveDateTime) -> NaiveDateTime {
    now + limit.window
}

/// Whether `hits` (this one included) fit `limit` in the window ending `window_ends_at`.
pub fn judge(limit: Limit, hits: i64, window_ends_at: NaiveDateTime, now: NaiveDateTime) -> Result<(), Refusal> {
    if hits <= limit.max {
        return Ok(());
    }
    let seconds = (window_ends_at - now).num_seconds().max(1).unsigned_abs();
    Err(Refusal { minutes: seconds.div_ceil(60) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap().naive_utc()
    }

    #[test]
    fn allows_up_to_the_limit_then_says_how_long_to_wait() {
        let limit = SIGN_IN_FAILURES_PER_EMAIL;
        let ends = window_end(limit, at(0));
        assert_eq!(judge(limit, 10, ends, at(5)), Ok(()));
        let refusal = judge(limit, 11, ends, at(5)).unwrap_err();
        assert_eq!((refusal.minutes(), refusal.retry_after_secs()), (15, 900), "14:55 left rounds up");
        assert_eq!(refusal.wait(), "15 minutes");
        let late = judge(limit, 11, ends, at(899)).unwrap_err();
        assert_eq!((late.minutes(), late.wait()), (1, "1 minute".to_owned()), "never less than a minute");
    }

    #[test]
    fn a_full_minute_window_asks_for_a_minute() {
        let ends = window_end(CHECKOUT_PER_WORKSPACE, at(0));
        assert_eq!(judge(CHECKOUT_PER_WORKSPACE, 11, ends, at(2)).unwrap_err().retry_after_secs(), 60);
    }

    #[test]
    fn keys_hide_emails_and_group_ipv6_by_network() {
        let key = Bucket::SignInEmail("ada@example.com".into()).key();
        assert!(key.starts_with("sign-in:email:") && !key.contains("ada"), "{key}");
        assert_ne!(key, Bucket::SignUpEmail("ada@example.com".into()).key());
        let v6 = |s: &str| Bucket::SignUpIp(s.parse().unwrap()).key();
        assert_eq!(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff::9"));
        assert_eq!(v6("2001:db8:1:2::1"), "sign-up:ip:2001:db8:1:2::/64");
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(v6("::ffff:192.0.2.7"), "sign-up:ip:192.0.2.7");
        assert_eq!(Bucket::CheckoutWorkspace(WorkspaceId(7)).key(), "checkout:ws:7");
    }
}
