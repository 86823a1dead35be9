//! Who the client is, for per-address limits. `X-Forwarded-For` and `Forwarded` are headers
//! anyone can send, so they are believed only when the connection comes from a proxy the
//! operator named in `TRUSTED_PROXIES`; otherwise the connecting address is the client.

use std::net::{IpAddr, SocketAddr};

/// One address or CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let addr = addr.to_canonical();
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Network { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose forwarding headers are believed (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Comma-separated addresses and CIDR ranges; empty trusts nobody. The error names the
    /// entry that is neither.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Network::parse(entry).ok_or_else(|| entry.to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client's address. Starting from the connecting `peer`, each hop a trusted proxy
    /// reports is followed from the right (the proxy nearest us appended last) until an
    /// address that is not a trusted proxy: that is the client. `X-Forwarded-For` is read
    /// when present, else `Forwarded`. An entry that is not an address stops the walk at
    /// the last trusted hop, so a malformed header never lets the sender pick an address.
    pub fn client_address(&self, peer: IpAddr, x_forwarded_for: Option<&str>, forwarded: Option<&str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = match (x_forwarded_for, forwarded) {
            (Some(xff), _) => xff.split(',').map(parse_hop).collect(),
            (None, Some(fwd)) => fwd.split(',').map(forwarded_for).collect(),
            (None, None) => return peer,
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            if !self.contains(client) {
                break;
            }
            match hop {
                Some(ip) => client = ip,
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port (`[2001:db8::1]:443`, `192.0.2.1:80`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).and_then(|t| t.parse().ok()))
        .map(|ip: IpAddr| ip.to_canonical())
}

/// The `for=` of one `Forwarded` element (RFC 7239), e.g. `for="[2001:db8::1]:4711";proto=https`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
        .and_then(|(_, value)| parse_hop(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_ranges_and_names_a_bad_entry() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8,").unwrap();
        assert!(proxies.contains(ip("10.1.2.3")));
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(proxies.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peers count as IPv4");
        assert!(proxies.contains(ip("fd12::1")));
        assert!(!proxies.contains(ip("11.0.0.1")));
        assert!(!proxies.contains(ip("127.0.0.2")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.1/x", "::1/129"] {
            assert_eq!(TrustedProxies::parse(&format!("127.0.0.1,{bad}")), Err(bad.to_owned()));
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let proxies = TrustedProxies::parse("10.0.0.1").unwrap();
        let peer = ip("198.51.100.7");
        assert_eq!(proxies.client_address(peer, Some("1.2.3.4"), Some("for=5.6.7.8")), peer);
        assert_eq!(TrustedProxies::default().client_address(ip("127.0.0.1"), Some("1.2.3.4"), None), ip("127.0.0.1"));
    }

    #[test]
    fn trusted_hops_are_followed_from_the_right() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let lb = ip("10.0.0.1");
        // The client prepended a lie; the proxy appended the address it saw.
        assert_eq!(proxies.client_address(lb, Some("6.6.6.6, 203.0.113.5"), None), ip("203.0.113.5"));
        // Two proxies in a row.
        assert_eq!(proxies.client_address(lb, Some("203.0.113.5, 10.0.0.9"), None), ip("203.0.113.5"));
        // Only trusted hops: the leftmost is as far as we can see.
        assert_eq!(proxies.client_address(lb, Some("10.0.0.3"), None), ip("10.0.0.3"));
        assert_eq!(proxies.client_address(lb, None, None), lb);
        assert_eq!(proxies.client_address(lb, Some("203.0.113.5:443"), None), ip("203.0.113.5"));
        assert_eq!(proxies.client_address(lb, Some("[2001:db8::1]:443"), None), ip("2001:db8::1"));
        // Garbage stops at the last trusted hop instead of being believed.
        assert_eq!(proxies.client_address(lb, Some("203.0.113.5, nonsense"), None), lb);
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let proxies = TrustedProxies::parse("10.0.0.1").unwrap();
        let lb = ip("10.0.0.1");
        let header = r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1"#;
        assert_eq!(proxies.client_address(lb, None, Some(header)), ip("2001:db8:cafe::17"));
        assert_eq!(proxies.client_address(lb, None, Some("For=192.0.2.60;proto=http")), ip("192.0.2.60"));
        assert_eq!(proxies.client_address(lb, None, Some("for=_hidden")), lb);
        assert_eq!(proxies.client_address(lb, Some("192.0.2.1"), Some("for=192.0.2.60")), ip("192.0.2.1"));
    }
}
