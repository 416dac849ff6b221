//! How a request reaches a target: a trait, so the worker can be tested with an in-memory
//! receiver under tokio's paused clock, and the real HTTP client.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
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
}

/// Sends requests. Only the status code matters: any 2xx acknowledges, no reply body is read.
pub trait Transport: Send + Sync + Debug + 'static {
    /// Sends `req`; `Err` says why no status came back (refused, timed out, …).
    fn send(&self, req: HttpRequest) -> BoxFuture<Result<u16, String>>;
}

/// The real thing: reqwest, without redirects (a 3xx is not an acknowledgement and a redirect
/// would drop the POST body).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    /// Builds the client.
    pub fn new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("smsgw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }
}

impl Transport for HttpTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<Result<u16, String>> {
        let mut builder = match req.method {
            HttpMethod::Get => self.client.get(&req.url),
            HttpMethod::Post => self.client.post(&req.url).body(req.body),
        }
        .timeout(req.timeout);
        for (k, v) in &req.headers {
            builder = builder.header(*k, v);
        }
        Box::pin(async move {
            // Errors leave the URL out: it may carry a token in its query.
            match builder.send().await {
                Ok(resp) => Ok(resp.status().as_u16()),
                Err(e) => Err(e.without_url().to_string()),
            }
        })
    }
}
