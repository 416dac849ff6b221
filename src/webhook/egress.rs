//! Where the gateway may send requests that a *client* chose the URL of (a submission's
//! `callback_url`, a Kannel `dlr-url`).
//!
//! A gateway that fetches any URL it is handed is a way into the network it sits in (the
//! router's admin page, a metadata service at 169.254.169.254, a database on localhost). So a
//! client-supplied URL may only reach public addresses, unless the operator allow-lists it
//! (`[callbacks] allow`, `[kannel] dlr_allow`: URL prefixes or host names). The check is made
//! twice: on the URL when it is submitted (a clear `invalid_callback_url`), and on the
//! addresses a host name resolves to when the request connects ([`GuardedResolver`]), so a name
//! that resolved to a public address at submit time and to a private one later (DNS
//! rebinding) is still refused. Redirects are never followed. Operator-configured
//! `[[webhooks]]` are not restricted: the operator chose them.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a client-supplied URL is refused; the text goes into `invalid_callback_url`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EgressError {
    /// Not an absolute http(s) URL with a host.
    #[error("not an absolute http:// or https:// URL with a host")]
    NotHttp,
    /// A literal address (or `localhost`) the gateway must not reach for clients.
    #[error(
        "{host} is {why}; client-supplied URLs may only reach public addresses unless allow-listed"
    )]
    Forbidden {
        /// The host as written.
        host: String,
        /// "a loopback address", "a private address", …
        why: &'static str,
    },
    /// Every address the name resolved to is forbidden.
    #[error("{host} resolves only to addresses the gateway must not reach for clients ({why})")]
    ResolvesInside {
        /// The host name.
        host: String,
        /// What the first refused address was.
        why: &'static str,
    },
}

/// What a client-supplied URL may reach: public addresses, plus what the operator listed.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    /// `http://…`/`https://…` prefixes, matched against the whole URL.
    prefixes: Vec<String>,
    /// Host names or literal addresses, matched case-insensitively against the URL's host.
    hosts: Vec<String>,
}

/// How a request to a checked URL goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress {
    /// The operator allow-listed it: any address.
    Allowed,
    /// Only to public addresses, checked again on the resolved addresses at connect time.
    PublicOnly,
}

impl EgressPolicy {
    /// A policy allowing `allow` (URL prefixes and host names) beyond public addresses.
    pub fn new(allow: &[String]) -> Self {
        let (prefixes, hosts): (Vec<_>, Vec<_>) = allow
            .iter()
            .map(|a| a.trim().to_string())
            .partition(|a| a.starts_with("http://") || a.starts_with("https://"));
        Self {
            // Prefixes are compared in the parsed URL's normal form, as the URLs they admit
            // are: `http://crm.lan` becomes `http://crm.lan/`, so it does not also admit
            // `http://crm.lan.example.com/`, and `/hooks/../admin` cannot climb out of a path.
            prefixes: prefixes
                .into_iter()
                .filter_map(|p| Url::parse(&p).ok().map(String::from))
                .collect(),
            hosts: hosts
                .into_iter()
                .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether `url` may be used, and how it must go out.
    pub fn check(&self, url: &str) -> Result<Egress, EgressError> {
        let parsed = Url::parse(url).map_err(|_| EgressError::NotHttp)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EgressError::NotHttp);
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(EgressError::NotHttp),
        };
        if self
            .prefixes
            .iter()
            .any(|p| parsed.as_str().starts_with(p.as_str()))
            || self.hosts.contains(&host)
        {
            return Ok(Egress::Allowed);
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        let why = match literal {
            Some(ip) => forbidden(ip),
            None if host == "localhost" || host.ends_with(".localhost") => {
                Some("a loopback address")
            }
            None => None,
        };
        match why {
            Some(why) => Err(EgressError::Forbidden { host, why }),
            None => Ok(Egress::PublicOnly),
        }
    }
}

/// Why `ip` is not a public address, or `None` when it is. Covers loopback, private
/// (RFC 1918, RFC 4193), shared (RFC 6598), link-local (cloud metadata at 169.254.169.254
/// among them), multicast, broadcast, unspecified and "this network"; IPv4 addresses inside
/// IPv6 (mapped, compatible, NAT64 well-known prefix) are judged as IPv4.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return forbidden_v4(v4);
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("a private address")
            } else if seg[0] & 0xffc0 == 0xfe80 || seg[0] & 0xffc0 == 0xfec0 {
                Some("a link-local address")
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if ip.is_broadcast() {
        Some("the broadcast address")
    } else if o[0] == 0 {
        Some("the unspecified address")
    } else if o[0] >= 240 {
        Some("a reserved address")
    } else {
        None
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`)
/// or NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5].iter().all(|&x| x == 0) && s[5] == 0xffff;
    let compatible = s[..6].iter().all(|&x| x == 0) && !ip.is_loopback() && !ip.is_unspecified();
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    (mapped || compatible || nat64).then_some(tail)
}

/// A name lookup: the system's by default, a fake one in tests.
pub type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

/// The system resolver (getaddrinfo on a blocking thread, through tokio).
pub fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move {
            tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect())
        })
    })
}

/// reqwest's resolver for client-supplied URLs: resolves, then keeps only public addresses.
/// The connection is made to what this returns, so what was checked is what is reached.
#[derive(Clone)]
pub struct GuardedResolver {
    lookup: Lookup,
}

impl std::fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuardedResolver")
    }
}

impl GuardedResolver {
    /// Resolves with `lookup`.
    pub fn new(lookup: Lookup) -> Self {
        Self { lookup }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let lookup = (self.lookup)(host.clone());
        Box::pin(async move {
            let addrs = lookup.await?;
            let mut refused = None;
            let public: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match forbidden(a.ip()) {
                    Some(why) => {
                        refused.get_or_insert(why);
                        false
                    }
                    None => true,
                })
                .collect();
            if public.is_empty() {
                let why = refused.unwrap_or("no address");
                return Err(Box::new(EgressError::ResolvesInside { host, why })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_networks_should_be_refused_and_public_ones_not() {
        for (ip, why) in [
            ("127.0.0.1", "a loopback address"),
            ("10.1.2.3", "a private address"),
            ("172.16.0.1", "a private address"),
            ("192.168.1.1", "a private address"),
            ("169.254.169.254", "a link-local address"),
            ("100.64.0.1", "a shared (carrier-grade NAT) address"),
            ("224.0.0.1", "a multicast address"),
            ("255.255.255.255", "the broadcast address"),
            ("0.0.0.0", "the unspecified address"),
            ("::1", "a loopback address"),
            ("::", "the unspecified address"),
            ("fd00::1", "a private address"),
            ("fe80::1", "a link-local address"),
            ("ff02::1", "a multicast address"),
            ("::ffff:127.0.0.1", "a loopback address"),
            ("::ffff:169.254.169.254", "a link-local address"),
            ("64:ff9b::a00:1", "a private address"),
        ] {
            assert_eq!(forbidden(ip.parse().unwrap()), Some(why), "{ip}");
        }
        for ip in [
            "193.166.3.2",
            "8.8.8.8",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(forbidden(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn urls_should_be_checked_against_the_allow_list_first() {
        let open = EgressPolicy::default();
        assert_eq!(
            open.check("https://crm.example.com/hook"),
            Ok(Egress::PublicOnly)
        );
        for url in [
            "http://127.0.0.1:9000/dlr",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:8080/",
            "http://10.0.0.5/",
        ] {
            assert!(
                matches!(open.check(url), Err(EgressError::Forbidden { .. })),
                "{url}"
            );
        }
        assert_eq!(open.check("ftp://example.com/"), Err(EgressError::NotHttp));
        assert_eq!(open.check("not a url"), Err(EgressError::NotHttp));

        let lan = EgressPolicy::new(&[
            "http://127.0.0.1:9000/".to_string(),
            "crm.lan".to_string(),
            "10.0.0.5".to_string(),
        ]);
        assert_eq!(lan.check("http://127.0.0.1:9000/dlr"), Ok(Egress::Allowed));
        assert!(lan.check("http://127.0.0.1:9001/dlr").is_err());
        assert_eq!(lan.check("http://CRM.lan/x"), Ok(Egress::Allowed));
        assert_eq!(lan.check("http://10.0.0.5/"), Ok(Egress::Allowed));

        // Prefixes hold in the URL's normal form: no climbing out of the path, no longer
        // host name that merely starts with the allowed one.
        let hooks = EgressPolicy::new(&[
            "http://10.0.0.5:8080/hooks/".to_string(),
            "http://crm.lan".to_string(),
        ]);
        assert_eq!(
            hooks.check("http://10.0.0.5:8080/hooks/sms"),
            Ok(Egress::Allowed)
        );
        assert!(hooks.check("http://10.0.0.5:8080/hooks/../admin").is_err());
        assert!(
            hooks
                .check("http://10.0.0.5:8080@127.0.0.1/hooks/")
                .is_err()
        );
        assert_eq!(hooks.check("http://crm.lan/x"), Ok(Egress::Allowed));
        assert_eq!(
            hooks.check("http://crm.lan.example.com/x"),
            Ok(Egress::PublicOnly)
        );
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_private_address_should_not_be_connected_to() {
        // A listener that would take the connection if the guard let it through.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let rebinding: Lookup = Arc::new(move |_host| {
            Box::pin(async move { Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))]) })
        });
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(rebinding)))
            .no_proxy()
            .build()
            .unwrap();
        // Had the guard let it through, the request would wait for an answer that never
        // comes: the bound makes that a failure instead of a hang.
        let err = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            client.get(format!("http://crm.example.com:{port}/")).send(),
        )
        .await
        .expect("the guard let the connection through")
        .unwrap_err();
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        assert!(text.contains("resolves only to"), "{text}");
        assert!(text.contains("a loopback address"), "{text}");
    }
}
