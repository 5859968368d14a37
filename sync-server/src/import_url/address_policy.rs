//! Which addresses the page fetcher may reach. A user chooses the address, so the relay must
//! never be turned into a way into its own network: only public unicast addresses are allowed
//! (plus networks an operator allows explicitly, for tests). The check runs on every address a
//! name resolves to, in [`PolicyResolver`], which is the fetcher's only DNS resolver, so the
//! address checked is the address connected to (no second lookup a rebinding DNS server could
//! answer differently), on the first request and on every redirect.
//!
//! Written by hand because `IpAddr::is_global` is not stable and no maintained crate answers
//! "public unicast" for both families, IPv4-mapped and NAT64 forms included.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// The addresses the fetcher may connect to.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Non-public networks an operator allowed (`[import_url] allow_private_networks`).
    allowed: Arc<Vec<IpNet>>,
}

/// A name or address the policy refused (the resolver's error, found again in reqwest's error
/// chain to answer 403 rather than "unreachable").
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} is a private, loopback or otherwise non-public address")]
pub struct RefusedAddress {
    pub host: String,
}

impl AddressPolicy {
    pub fn new(allowed: Vec<IpNet>) -> Self {
        AddressPolicy {
            allowed: Arc::new(allowed),
        }
    }

    /// Whether the fetcher may connect to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|net| net.contains(&ip))
    }
}

/// Whether `ip` is a public unicast address: not loopback, private, shared (CGNAT),
/// link-local (cloud metadata lives at 169.254.169.254 and fd00:ec2::254), unique-local,
/// multicast, broadcast, documentation, benchmarking, reserved or unspecified. IPv4 addresses
/// carried in IPv6 (mapped, compatible, NAT64, 6to4) are judged as the IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation 2001:db8::/32
        || (first == 0x3fff && ip.segments()[1] <= 0x0fff) // documentation 3fff::/20
        || (first == 0x2001 && ip.segments()[1] < 0x0200) // IETF assignments (Teredo etc.)
        || first == 0x0100 // discard-only 100::/64
        || (first & 0xe000) != 0x2000) // outside global unicast 2000::/3
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low(hi, lo)),
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) > (0, 1) => Some(low(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// The fetcher's DNS resolver: the system's lookup, then only the addresses the policy allows.
/// A name with none left fails with [`RefusedAddress`].
#[derive(Debug, Clone)]
pub struct PolicyResolver {
    pub policy: AddressPolicy,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|addr| policy.allows(addr.ip()))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                return Err(Box::new(RefusedAddress { host }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_addresses_are_allowed() {
        for s in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(s)), "{s} should be public");
        }
    }

    #[test]
    fn loopback_private_link_local_metadata_and_reserved_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "3fff:fff::1",
        ] {
            assert!(!is_public(ip(s)), "{s} should be refused");
        }
    }

    #[test]
    fn allowed_networks_open_exactly_what_they_name() {
        let policy = AddressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()]);
        assert!(policy.allows(ip("127.0.0.1")));
        assert!(!policy.allows(ip("127.0.0.2")));
        assert!(!policy.allows(ip("::1")));
        assert!(!policy.allows(ip("10.0.0.1")));
        assert!(policy.allows(ip("8.8.8.8")));
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_only_to_refused_addresses() {
        use reqwest::dns::Resolve as _;
        let resolver = PolicyResolver {
            policy: AddressPolicy::default(),
        };
        let err = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(err.downcast_ref::<RefusedAddress>().is_some(), "{err}");

        let open = PolicyResolver {
            policy: AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]),
        };
        let addrs: Vec<_> = open
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.is_ipv4()));
    }
}
