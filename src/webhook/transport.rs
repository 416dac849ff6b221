//! How a request reaches a target: a trait, so the worker can be tested with an in-memory
//! receiver under tokio's paused clock, and the real HTTP client.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future, so transports can be trait objects.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The request method: webhooks POST, Kannel delivery reports GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET without a body.
    Get,
    /// POST with the body.
    Post,
}

/// One request.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// Where to.
    pub url: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(&'static str, String)>,
    /// The exact body that was signed.
    pub body: Vec<u8>,
    /// How long the whole request may take.
    pub timeout: Duration,
    /// Connect only to public addresses (a client chose this URL; `egress`).
    pub public_only: bool,
}

/// Sends requests. Only the status code matters: any 2xx acknowledges, no reply body is read.
pub trait Transport: Send + Sync + Debug + 'static {
    /// Sends `req`; `Err` says why no status came back (refused, timed out, …).
    fn send(&self, req: HttpRequest) -> BoxFuture<Result<u16, String>>;
}

/// The real thing: reqwest, without redirects (a 3xx is not an acknowledgement, a redirect
/// would drop the POST body, and for a client-chosen URL it could lead anywhere). Two clients:
/// one for operator-configured targets, and one for client-chosen URLs whose resolver keeps
/// only public addresses and which ignores proxy settings (a proxy would connect for us,
/// unchecked).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    open: reqwest::Client,
    public_only: reqwest::Client,
}

impl HttpTransport {
    /// Builds the clients, resolving names with the system resolver.
    pub fn new() -> Result<Self, String> {
        Self::with_lookup(super::egress::system_lookup())
    }

    /// Builds the clients; client-chosen URLs resolve through `lookup` (tests).
    pub fn with_lookup(lookup: super::egress::Lookup) -> Result<Self, String> {
        let base = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("smsgw/", env!("CARGO_PKG_VERSION")))
        };
        let open = base().build().map_err(|e| e.to_string())?;
        let public_only = base()
            .no_proxy()
            .dns_resolver(Arc::new(super::egress::GuardedResolver::new(lookup)))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { open, public_only })
    }
}

impl Transport for HttpTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<Result<u16, String>> {
        let client = if req.public_only {
            &self.public_only
        } else {
            &self.open
        };
        let mut builder = match req.method {
            HttpMethod::Get => client.get(&req.url),
            HttpMethod::Post => client.post(&req.url).body(req.body),
        }
        .timeout(req.timeout);
        for (k, v) in &req.headers {
            builder = builder.header(*k, v);
        }
        Box::pin(async move {
            // Errors leave the URL out: it may carry a token in its query.
            match builder.send().await {
                Ok(resp) => Ok(resp.status().as_u16()),
                Err(e) => Err(with_causes(&e.without_url())),
            }
        })
    }
}

/// An error with its causes ("error sending request: … resolves only to …"): reqwest's own
/// text leaves out why a connection was not made.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::egress::Lookup;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback HTTP server answering 204 to every request, counting them.
    async fn responder() -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        (addr, hits)
    }

    fn request(url: String, public_only: bool) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            url,
            headers: Vec::new(),
            body: Vec::new(),
            timeout: Duration::from_secs(10),
            public_only,
        }
    }

    #[tokio::test]
    async fn a_client_chosen_name_resolving_to_loopback_should_not_be_connected_to() {
        let (addr, hits) = responder().await;
        // DNS rebinding: the name looked public when the URL was checked, and now resolves
        // to the gateway's own loopback.
        let rebinding: Lookup = Arc::new(move |_host| Box::pin(async move { Ok(vec![addr]) }));
        let transport = HttpTransport::with_lookup(rebinding).unwrap();
        let url = format!("http://crm.example.com:{}/dlr", addr.port());
        let err = transport.send(request(url, true)).await.unwrap_err();
        assert!(err.contains("resolves only to"), "{err}");
        assert!(err.contains("a loopback address"), "{err}");
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The same server is reachable for an operator's target (and the responder works).
        let open = format!("http://{addr}/hook");
        assert_eq!(transport.send(request(open, false)).await, Ok(204));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
