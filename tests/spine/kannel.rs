//! The Kannel-compatible `/cgi-bin/sendsms`: the requests Kannel's user guide shows (GET with
//! CGI variables, several receivers, charset and coding, POST with a plain-text body and
//! `X-Kannel-*` headers, `dlr-url` with escapes) get Kannel's answers, byte for byte.

use std::sync::Arc;
use std::time::Duration;

use crate::api_inprocess::{Api, ROUTE};
use crate::fake_route::FakeRoute;
use crate::webhook_receiver::Receiver;

const KANNEL: &str = "[kannel]\nenabled = true\ndlr_allow = [\"127.0.0.1\"]\n[[kannel.users]]\nusername = \"tester\"\npassword = \"foobar-secret\"\n";

struct Answer {
    status: u16,
    body: String,
    ids: Vec<String>,
    content_type: String,
}

async fn call(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ids = resp
        .headers()
        .get("x-smsgw-message-id")
        .map(|v| v.to_str().unwrap().split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let content_type = resp.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    Answer {
        status,
        body: resp.text().await.unwrap(),
        ids,
        content_type,
    }
}

async fn get(api: &Api, query: &str) -> Answer {
    call(reqwest::Client::new().get(format!("{}/cgi-bin/sendsms?{query}", api.base))).await
}

async fn with_route() -> Api {
    Api::start(
        &format!("{ROUTE}{KANNEL}"),
        vec![Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await
}

#[tokio::test]
async fn the_user_guide_get_request_should_be_accepted_for_delivery_with_the_message_id() {
    let api = with_route().await;
    let a = get(
        &api,
        "username=tester&password=foobar-secret&to=0401234567&text=Hello+world",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    assert_eq!(a.content_type, "text/html");
    assert_eq!(a.ids.len(), 1);
    let (s, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(s, 200);
    assert_eq!(m["to"], "+358401234567");
    assert_eq!(m["text"], "Hello world");
    api.stop().await;
}

#[tokio::test]
async fn several_receivers_separated_by_spaces_should_each_get_a_message() {
    let api = with_route().await;
    let a = get(
        &api,
        "user=tester&pass=foobar-secret&to=0401234567+%2B358401234568&text=hi",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    assert_eq!(a.ids.len(), 2);
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[1])).await;
    assert_eq!(m["to"], "+358401234568");
    api.stop().await;
}

#[tokio::test]
async fn kannel_errors_should_come_with_kannels_texts_and_status_codes() {
    let api = with_route().await;
    let cases = [
        (
            "username=tester&password=wrong&to=0401234567&text=x",
            403,
            "Authorization failed for sendsms",
        ),
        (
            "to=0401234567&text=x",
            403,
            "Authorization failed for sendsms",
        ),
        (
            "username=tester&password=foobar-secret&text=x",
            400,
            "Missing receiver number, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=&text=x",
            400,
            "Empty receiver number not allowed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&dlr-mask=64",
            400,
            "DLR-Mask field misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&dlr-mask=1&dlr-url=ftp://h/x",
            400,
            "DLR-URL field misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&coding=3",
            400,
            "Coding field misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&validity=-5",
            400,
            "Validity field misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&deferred=-2",
            400,
            "Deferred field misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&priority=7",
            400,
            "Priority field misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=%E4&charset=UTF-8",
            400,
            "Charset or body misformed, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&smsc=nosuch",
            403,
            "Not routable. Do not try again.",
        ),
        (
            "username=tester&password=foobar-secret&to=abc+def&text=x",
            400,
            "Number(s) has/have been denied by white- and/or black-lists.",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&text=x&mclass=0",
            400,
            "MClass field is not supported by smsgw, rejected",
        ),
        (
            "username=tester&password=foobar-secret&to=0401234567&udh=%06%05%04%15%82%00%00&text=x",
            400,
            "UDH field is not supported by smsgw, rejected",
        ),
    ];
    for (query, status, text) in cases {
        let a = get(&api, query).await;
        assert_eq!((a.status, a.body.as_str()), (status, text), "{query}");
        assert!(a.ids.is_empty());
    }
    let (_, list) = api.get("/v1/messages").await;
    assert_eq!(
        list["messages"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
    api.stop().await;
}

#[tokio::test]
async fn without_a_ready_route_the_answer_should_be_queued_for_later_delivery() {
    let api = Api::start(KANNEL, vec![]).await;
    let a = get(
        &api,
        "username=tester&password=foobar-secret&to=0401234567&text=later",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "3: Queued for later delivery")
    );
    api.stop().await;
}

#[tokio::test]
async fn charsets_and_unicode_coding_should_decode_the_text() {
    let api = with_route().await;
    let a = get(&api, "username=tester&password=foobar-secret&to=0401234567&coding=2&charset=UTF-16BE&text=%00%E4%20%AC").await;
    assert_eq!(a.status, 202, "{}", a.body);
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["text"], "ä€");
    let a = get(
        &api,
        "username=tester&password=foobar-secret&to=0401234567&charset=ISO-8859-1&text=%E4iti",
    )
    .await;
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["text"], "äiti");
    let a = get(
        &api,
        "username=tester&password=foobar-secret&to=0401234567&text=later&deferred=10&validity=60",
    )
    .await;
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["status"], "scheduled");
    api.stop().await;
}

#[tokio::test]
async fn a_plain_text_post_with_x_kannel_headers_and_a_form_post_should_be_accepted() {
    let api = with_route().await;
    let http = reqwest::Client::new();
    let a = call(
        http.post(format!("{}/cgi-bin/sendsms", api.base))
            .header("content-type", "text/plain; charset=ISO-8859-1")
            .header("X-Kannel-Username", "tester")
            .header("X-Kannel-Password", "foobar-secret")
            .header("X-Kannel-To", "0401234567")
            .header("X-Kannel-From", "Clinic")
            .body(b"Hyv\xe4\xe4 p\xe4iv\xe4\xe4".to_vec()),
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["text"], "Hyvää päivää");
    assert_eq!(m["from"], "Clinic");
    let a = call(http.post(format!("{}/cgi-bin/sendsms", api.base)).form(&[
        ("username", "tester"),
        ("password", "foobar-secret"),
        ("to", "0401234567"),
        ("text", "form"),
    ]))
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    api.stop().await;
}

#[tokio::test]
async fn a_dlr_url_should_be_called_with_its_escapes_when_the_status_matches_the_mask() {
    let receiver = Receiver::start("unused-secret-0123456789", 0).await;
    let api = with_route().await;
    let dlr = format!("{}/dlr?type=%d&to=%P&id=%I&smsc=%i&user=%n", receiver.base);
    let query = format!(
        "username=tester&password=foobar-secret&to=0401234567&text=dlr&dlr-mask=31&dlr-url={}",
        smsgw::webhook::kannel_dlr::url_encode(&dlr)
    );
    let a = get(&api, &query).await;
    assert_eq!(a.status, 202);
    receiver
        .wait_for(Duration::from_secs(30), |r| !r.acked().is_empty())
        .await;
    let hit = &receiver.acked()[0];
    assert_eq!(hit.path, "/dlr");
    assert_eq!(
        hit.query,
        format!(
            "type=8&to=%2B358401234567&id={}&smsc=r&user=tester",
            a.ids[0]
        )
    );
    api.stop().await;
}

#[tokio::test]
async fn a_dlr_url_into_the_gateways_network_should_be_refused_unless_allowed() {
    let api = Api::start(
        &format!(
            "{ROUTE}\n[kannel]\nenabled = true\n[[kannel.users]]\nusername = \"tester\"\npassword = \"foobar-secret\"\n"
        ),
        vec![Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await;
    for (url, why) in [
        ("http://127.0.0.1:8080/dlr?t=%d", "a loopback address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "a link-local address",
        ),
        ("http://192.168.1.1/cgi-bin/admin", "a private address"),
    ] {
        let query = format!(
            "username=tester&password=foobar-secret&to=0401234567&text=x&dlr-mask=31&dlr-url={}",
            smsgw::webhook::kannel_dlr::url_encode(url)
        );
        let a = get(&api, &query).await;
        assert_eq!(a.status, 400, "{url}: {}", a.body);
        assert!(
            a.body.starts_with("DLR-URL field not allowed"),
            "{}",
            a.body
        );
        assert!(a.body.contains(why), "{}", a.body);
    }
    let public = format!(
        "username=tester&password=foobar-secret&to=0401234567&text=x&dlr-mask=31&dlr-url={}",
        smsgw::webhook::kannel_dlr::url_encode("http://crm.example.com/dlr?t=%d")
    );
    assert_eq!(get(&api, &public).await.status, 202);
    api.stop().await;
}

#[tokio::test]
async fn the_kannel_interface_should_be_off_unless_enabled() {
    let api = Api::start("", vec![]).await;
    let a = get(
        &api,
        "username=tester&password=foobar-secret&to=0401234567&text=x",
    )
    .await;
    assert_eq!(a.status, 404);
    api.stop().await;
}
