//! The console's files: one page shell, its script and its style sheet, compiled into the
//! binary (`assets/`), served with headers that keep the page from being framed, sniffed or
//! made to run script from anywhere but here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");
const SIGN_IN: &str = include_str!("assets/sign-in.html");

/// The policy of every console response: this origin only, no inline script or style, no
/// framing, forms post only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn file(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// `GET /`: the console (it signs in first when the gateway has tokens).
pub async fn page() -> Response {
    file(StatusCode::OK, PAGE.to_string(), "text/html; charset=utf-8")
}

/// `GET /console/app.js`.
pub async fn script() -> Response {
    file(
        StatusCode::OK,
        SCRIPT.to_string(),
        "text/javascript; charset=utf-8",
    )
}

/// `GET /console/app.css`.
pub async fn style() -> Response {
    file(StatusCode::OK, STYLE.to_string(), "text/css; charset=utf-8")
}

/// The sign-in form, with `message` (plain text) above it.
pub fn sign_in_page(status: StatusCode, message: Option<&str>) -> Response {
    let notice = message.map_or(String::new(), |m| {
        format!(r#"<p class="notice" role="alert">{}</p>"#, escape(m))
    });
    file(
        status,
        SIGN_IN.replace("<!--notice-->", &notice),
        "text/html; charset=utf-8",
    )
}

/// Text made safe to put in HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_should_hold_no_inline_script_or_style() {
        for page in [PAGE, SIGN_IN] {
            assert!(!page.contains("<script>"), "inline script");
            assert!(!page.contains("style=\""), "inline style");
            assert!(!page.contains("onclick"), "inline handler");
            assert!(
                !page.contains("http://") && !page.contains("https://"),
                "nothing from elsewhere"
            );
        }
        assert!(!SCRIPT.contains("https://") && !SCRIPT.contains("http://"));
    }

    #[test]
    fn a_notice_should_be_escaped() {
        assert_eq!(
            escape("<b>\"x\" & 'y'"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
    }
}
