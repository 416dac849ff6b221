//! Numbers as clients send them (issue 13 items 4 and 5): international digits without `+`
//! (what Kannel clients commonly send) are not prefixed a second time, through the API and
//! through Kannel's sendsms; numbers in the configuration are checked at load.

use std::sync::Arc;

use serde_json::json;
use smsgw::config::Config;

use crate::api_inprocess::{Api, ROUTE};
use crate::fake_route::FakeRoute;

const KANNEL: &str = "[kannel]\nenabled = true\n[[kannel.users]]\nusername = \"tester\"\npassword = \"foobar-secret\"\n";

#[tokio::test]
async fn international_digits_without_plus_should_reach_that_number_through_the_api() {
    // default_country = "358": 358401234567 used to become +358358401234567.
    let api = Api::start(ROUTE, vec![Arc::new(FakeRoute::accepting("r", 0))]).await;
    let (s, v) = api
        .post("/v1/messages", json!({"to": "358401234567", "text": "hi"}))
        .await;
    assert_eq!(s, 202, "{v}");
    let (_, m) = api
        .get(&format!("/v1/messages/{}", v["id"].as_str().unwrap()))
        .await;
    assert_eq!(m["to"], "+358401234567", "{m}");
    assert_eq!(
        m["to_original"], "358401234567",
        "what the client wrote: {m}"
    );

    // A Finnish national number without its trunk prefix is refused, naming why.
    let (s, v) = api
        .post("/v1/messages", json!({"to": "401234567", "text": "hi"}))
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_number", "{v}");
    let why = v["error"]["message"].as_str().unwrap_or("");
    assert!(why.contains("trunk prefix 0"), "{why}");
    api.stop().await;
}

#[tokio::test]
async fn international_digits_without_plus_should_reach_that_number_through_kannel() {
    let api = Api::start(
        &format!("{ROUTE}{KANNEL}"),
        vec![Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await;
    let resp = reqwest::get(format!(
        "{}/cgi-bin/sendsms?username=tester&password=foobar-secret&to=358401234567&text=hi",
        api.base
    ))
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let id = resp.headers()["x-smsgw-message-id"]
        .to_str()
        .unwrap()
        .to_string();
    let (s, m) = api.get(&format!("/v1/messages/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(m["to"], "+358401234567", "{m}");
    api.stop().await;
}

fn problems(text: &str) -> Vec<(String, String)> {
    match Config::from_toml(text) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.into_iter().map(|e| (e.key, e.message)).collect(),
    }
}

#[test]
fn a_kannel_default_sender_should_be_checked_at_load_like_other_senders() {
    let text = "[kannel]\nenabled = true\n[[kannel.users]]\nusername = \"u\"\n\
                password = \"long-enough\"\ndefault_sender = \"Far Too Long A Name\"\n";
    let p = problems(text);
    assert!(
        p.iter()
            .any(|(k, m)| k == "kannel.users[0].default_sender" && m.contains("alphanumeric")),
        "{p:?}"
    );
}

#[test]
fn an_inbound_rule_to_that_is_no_number_should_be_refused_at_load() {
    let text = "[messages]\ndefault_country = \"358\"\n\
                [[webhooks]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/\"\n\
                secret = \"0123456789abcdef0123\"\n\
                events = [\"message.received\"]\n\
                [[inbound_routes]]\nname = \"r\"\ntarget = \"crm\"\nto = \"+999 12\"\n";
    let p = problems(text);
    assert!(p.iter().any(|(k, _)| k == "inbound_routes[0].to"), "{p:?}");
}

#[test]
fn the_obsolete_trunk_prefix_should_still_load_with_a_warning() {
    let c =
        Config::from_toml("[messages]\ndefault_country = \"7\"\ntrunk_prefix = \"0\"\n").unwrap();
    let w = c.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("trunk_prefix") && w[0].contains("obsolete"),
        "{w:?}"
    );
    assert!(
        w[0].contains("trunk prefix 8"),
        "Russia's is 8, not 0: {w:?}"
    );
    let plain = Config::from_toml("[messages]\ndefault_country = \"358\"\n").unwrap();
    assert!(plain.warnings().is_empty());
}
