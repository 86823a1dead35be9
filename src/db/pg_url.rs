//! The PostgreSQL URL Tollgate connects with.
//!
//! libpq's default `sslmode` is `prefer`: it negotiates TLS whenever the server offers it, and
//! Debian's (and many distributions') PostgreSQL does, with a self-signed certificate. On a
//! loopback address that buys nothing — the bytes never leave the machine, and `prefer`
//! checks no certificate, so it never guarded against an impostor anyway — while encrypting
//! every round trip costs about a quarter of PostgreSQL's throughput here. So when every host
//! the URL names is loopback and nothing chose a mode (no `sslmode` in the URL, no
//! `PGSSLMODE`, no service file entry), Tollgate asks for `sslmode=disable`. Any `sslmode`
//! the operator writes is kept as written.

use std::borrow::Cow;
use std::net::IpAddr;

/// `url` with `sslmode=disable` added when it names only loopback hosts and leaves the mode
/// to libpq's default. `env_chooses_mode`: `PGSSLMODE` or `PGSERVICE` is set.
pub fn connect_url(url: &str, env_chooses_mode: bool) -> Cow<'_, str> {
    if env_chooses_mode {
        return Cow::Borrowed(url);
    }
    let Some((_, rest)) = url.split_once("://") else { return Cow::Borrowed(url) };
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params: Vec<(&str, &str)> =
        query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    if params.iter().any(|(key, _)| matches!(*key, "sslmode" | "requiressl" | "service")) {
        return Cow::Borrowed(url);
    }
    // `host=` (or `hostaddr=`) in the query overrides the URL's own hosts.
    let from_query: Vec<&str> = params
        .iter()
        .filter(|(key, _)| matches!(*key, "host" | "hostaddr"))
        .flat_map(|(_, value)| value.split(','))
        .collect();
    let hosts = if from_query.is_empty() { url_hosts(location) } else { from_query };
    if hosts.is_empty() || !hosts.iter().all(|host| is_loopback(host)) {
        return Cow::Borrowed(url);
    }
    let separator =
        if url.contains('?') { if url.ends_with('?') || url.ends_with('&') { "" } else { "&" } } else { "?" };
    Cow::Owned(format!("{url}{separator}sslmode=disable"))
}

/// The hosts of `user:password@host1:5432,host2/dbname`, without ports.
fn url_hosts(location: &str) -> Vec<&str> {
    let authority = location.split('/').next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, hosts)| hosts);
    hosts
        .split(',')
        .map(|host| match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.split(':').next().unwrap_or(""),
        })
        .collect()
}

/// `localhost` or a loopback address. An empty host (libpq's default Unix socket) or a socket
/// directory is not: no TLS is negotiated over a socket, so there is nothing to change.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> String {
        connect_url(u, false).into_owned()
    }

    #[test]
    fn loopback_hosts_without_a_mode_connect_without_tls() {
        assert_eq!(
            url("postgres://postgres@127.0.0.1:5432/db"),
            "postgres://postgres@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(url("postgresql://u:p@localhost/db"), "postgresql://u:p@localhost/db?sslmode=disable");
        assert_eq!(
            url("postgres://u@[::1]:5432/db?application_name=tg"),
            "postgres://u@[::1]:5432/db?application_name=tg&sslmode=disable"
        );
        assert_eq!(
            url("postgres://u@127.0.0.2,localhost:5433/db"),
            "postgres://u@127.0.0.2,localhost:5433/db?sslmode=disable"
        );
        assert_eq!(
            url("postgres://u@db.internal/db?host=127.0.0.1"),
            "postgres://u@db.internal/db?host=127.0.0.1&sslmode=disable"
        );
    }

    #[test]
    fn a_chosen_mode_or_a_remote_host_is_left_as_written() {
        for kept in [
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?application_name=x&sslmode=verify-full",
            "postgres://u@db.internal:5432/db",
            "postgres://u@10.0.0.5/db",
            "postgres://u@127.0.0.1,db.internal/db",
            "postgres://u@127.0.0.1/db?host=db.internal",
            "postgres://u@127.0.0.1/db?service=billing",
            "postgres:///db",
            "postgres://u@/db?host=/var/run/postgresql",
            // The `@` of a password is not a host.
            "postgres://u:p%40127.0.0.1@db.internal/db",
        ] {
            assert_eq!(url(kept), kept);
        }
        assert_eq!(connect_url("postgres://u@127.0.0.1/db", true), "postgres://u@127.0.0.1/db", "PGSSLMODE decides");
    }
}
