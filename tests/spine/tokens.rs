//! Scoped tokens: each route needs its scope; plain-string tokens keep every scope; a token
//! never shows in a printed configuration.

use serde_json::json;
use smsgw::config::Config;

use crate::api_inprocess::Api;

const TOKENS: &str = r#"
[server]
tokens = [
  "full-access-token-0123456789",
  { name = "booking", token = "send-only-token-0123456789", scopes = ["send"] },
  { name = "dashboard", token = "read-only-token-0123456789", scopes = ["read"] },
  { name = "ops", token = "admin-token-0123456789abc", scopes = ["admin"] },
]
[[webhooks]]
name = "crm"
url = "http://127.0.0.1:9/"
secret = "webhook-secret-0123456789"
[callbacks]
secret = "callback-secret-0123456789"
"#;

async fn status(api: &Api, method: reqwest::Method, path: &str, token: &str) -> u16 {
    let mut r = reqwest::Client::new().request(method.clone(), format!("{}{path}", api.base));
    if !token.is_empty() {
        r = r.bearer_auth(token);
    }
    if method == reqwest::Method::POST {
        r = r.json(&json!({"to": "+358401234567", "text": "hi"}));
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn each_route_should_need_its_scope() {
    let api = Api::start(TOKENS, vec![]).await;
    let send = "send-only-token-0123456789";
    let read = "read-only-token-0123456789";
    let admin = "admin-token-0123456789abc";
    let full = "full-access-token-0123456789";
    use reqwest::Method as M;
    assert_eq!(status(&api, M::POST, "/v1/messages", send).await, 202);
    assert_eq!(status(&api, M::POST, "/v1/messages", read).await, 403);
    assert_eq!(status(&api, M::GET, "/v1/messages", send).await, 403);
    assert_eq!(status(&api, M::GET, "/v1/messages", read).await, 200);
    assert_eq!(status(&api, M::GET, "/v1/inbox", read).await, 200);
    assert_eq!(status(&api, M::GET, "/v1/webhooks", read).await, 403);
    assert_eq!(status(&api, M::GET, "/v1/webhooks", admin).await, 200);
    assert_eq!(status(&api, M::POST, "/v1/messages", admin).await, 202);
    assert_eq!(status(&api, M::GET, "/v1/messages", full).await, 200);
    assert_eq!(status(&api, M::GET, "/v1/messages", "").await, 401);
    assert_eq!(
        status(&api, M::GET, "/v1/messages", "not-a-token-0123456789").await,
        401
    );
    assert_eq!(status(&api, M::GET, "/healthz", "").await, 200);
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/messages", api.base))
        .bearer_auth(send)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    api.stop().await;
}

#[test]
fn a_printed_configuration_should_not_show_any_token() {
    let cfg = Config::from_toml(TOKENS).unwrap();
    let printed = format!("{cfg:?}");
    assert!(!printed.contains("0123456789"), "{printed}");
    assert!(printed.contains("booking"));
}

#[test]
fn scoped_tokens_with_unknown_keys_no_scopes_or_duplicates_should_be_refused() {
    let bad_key =
        "[server]\ntokens = [{ token = \"0123456789abcdef0\", scopes = [\"read\"], scope = 1 }]\n";
    assert!(
        Config::from_toml(bad_key)
            .unwrap_err()
            .to_string()
            .contains("scope")
    );
    let bad_scope =
        "[server]\ntokens = [{ token = \"0123456789abcdef0\", scopes = [\"write\"] }]\n";
    assert!(Config::from_toml(bad_scope).is_err());
    let none = "[server]\ntokens = [{ token = \"0123456789abcdef0\", scopes = [] }]\n";
    let e = Config::from_toml(none).unwrap_err().to_string();
    assert!(e.contains("server.tokens[0].scopes"), "{e}");
    let twice = "[server]\ntokens = [\"0123456789abcdef0\", { token = \"0123456789abcdef0\", scopes = [\"read\"] }]\n";
    let e = Config::from_toml(twice).unwrap_err().to_string();
    assert!(e.contains("listed twice"), "{e}");
}

#[tokio::test]
async fn repeated_bad_tokens_should_be_counted_and_then_refused_unread_with_retry_after() {
    use smsgw::api::auth_limit::FAILURE_BURST;
    let api = Api::start(TOKENS, vec![]).await;
    let full = "full-access-token-0123456789";
    // Two loopback addresses: the guesser and an innocent client on the same host.
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    let guesser = from(2);
    let url = format!("{}/v1/messages", api.base);
    for i in 0..FAILURE_BURST as usize {
        let r = guesser
            .get(&url)
            .bearer_auth(format!("guess-{i:02}-0123456789"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "attempt {i}");
    }
    // The budget is spent: even the right token is refused without being looked at, so a
    // guess can no longer be confirmed.
    let r = guesser.get(&url).bearer_auth(full).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_auth_failures");
    // Another address is not affected, and the refusals are counted by reason.
    let metrics = from(3)
        .get(format!("{}/metrics", api.base))
        .bearer_auth(full)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |reason: &str| {
        let prefix = format!("smsgw_auth_failures_total{{reason=\"{reason}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
            .trim()
            .to_string()
    };
    assert_eq!(line("unknown_token"), (FAILURE_BURST as u64).to_string());
    assert_eq!(line("rate_limited"), "1");
    assert!(
        !metrics.contains("guess-"),
        "a presented token must never be shown"
    );
    api.stop().await;
}

#[tokio::test]
async fn every_write_should_be_in_the_audit_trail_with_who_made_it_and_never_a_secret() {
    use crate::api_inprocess::ROUTE;
    use crate::fake_route::FakeRoute;
    let config = format!(
        "{ROUTE}{TOKENS}[kannel]\nenabled = true\n[[kannel.users]]\nusername = \"tester\"\n\
         password = \"foobar-secret\"\n"
    );
    let api = Api::start(
        &config,
        vec![std::sync::Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await;
    let http = reqwest::Client::new();
    let send = "send-only-token-0123456789";
    let admin = "admin-token-0123456789abc";
    // Scheduled, so it is still there to cancel.
    let in_an_hour = smsgw::model::Timestamp::now()
        .plus(std::time::Duration::from_secs(3600))
        .to_rfc3339();
    let submitted = http
        .post(format!("{}/v1/messages", api.base))
        .bearer_auth(send)
        .json(&json!({"to": "+358401234567", "text": "hi", "send_at": in_an_hour}))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 202);
    let id = submitted.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let canceled = http
        .delete(format!("{}/v1/messages/{id}", api.base))
        .bearer_auth(send)
        .send()
        .await
        .unwrap();
    assert_eq!(canceled.status(), 200);
    let put = http
        .put(format!("{}/v1/suppressions/+358401234568", api.base))
        .bearer_auth(admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let kannel = http
        .get(format!(
            "{}/cgi-bin/sendsms?username=tester&password=foobar-secret&to=0401234567&text=hi",
            api.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(kannel.status(), 202);
    // Reads and refused authentications are not writes anyone made.
    let _ = http
        .get(format!("{}/v1/messages", api.base))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    let _ = http
        .post(format!("{}/v1/messages", api.base))
        .bearer_auth("not-a-token-0123456789")
        .json(&json!({"to": "+358401234567", "text": "hi"}))
        .send()
        .await
        .unwrap();

    let refused = http
        .get(format!("{}/v1/audit", api.base))
        .bearer_auth(send)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "the audit trail needs admin");
    let trail: serde_json::Value = http
        .get(format!("{}/v1/audit", api.base))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = trail["items"].as_array().unwrap();
    let seen: Vec<(String, String, String, u64)> = items
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = vec![
        (
            "kannel:tester".into(),
            "GET".into(),
            "/cgi-bin/sendsms".into(),
            202,
        ),
        (
            "ops".into(),
            "PUT".into(),
            "/v1/suppressions/+358401234568".into(),
            u64::from(put.status().as_u16()),
        ),
        (
            "booking".into(),
            "DELETE".into(),
            format!("/v1/messages/{id}"),
            200,
        ),
        ("booking".into(), "POST".into(), "/v1/messages".into(), 202),
    ];
    assert_eq!(seen, expected, "newest first: {trail}");
    assert!(
        items[3]["detail"].as_str().unwrap().contains(&id),
        "the submit names the message it created: {trail}"
    );
    assert!(
        !trail.to_string().contains("foobar-secret") && !trail.to_string().contains("0123456789"),
        "no password or token in the trail: {trail}"
    );
    // The message's own history says who canceled it.
    let message: serde_json::Value = http
        .get(format!("{}/v1/messages/{id}", api.base))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        message.to_string().contains("canceled by booking"),
        "{message}"
    );
    api.stop().await;
}
