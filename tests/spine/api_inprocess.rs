//! The HTTP API served in-process on a loopback port, with route doubles: every documented
//! error case, cancel rules, idempotency, authentication and readiness.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use smsgw::config::Config;
use smsgw::dispatch::Route;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

use crate::fake_route::FakeRoute;
use crate::support::config;

pub(crate) struct Api {
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    http: reqwest::Client,
    token: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Api {
    pub(crate) async fn start(extra: &str, routes: Vec<Arc<dyn Route>>) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg: Config = config(&format!(
            "[messages]\ndefault_country = \"358\"\nmax_parts = 3\n{extra}\n"
        ));
        cfg.store.data_dir = dir.path().join("data");
        let token = cfg.server.tokens.first().map(|t| t.secret.0.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel::<()>();
        let shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(smsgw::daemon::serve(
            cfg,
            routes,
            listener,
            shutdown,
            move || {
                let _ = ready_tx.send(());
            },
        ));
        ready_rx.await.unwrap();
        Api {
            base,
            http: reqwest::Client::new(),
            token,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    pub(crate) fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .req(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.req(reqwest::Method::GET, path).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn delete(&self, path: &str) -> (u16, Value) {
        let resp = self
            .req(reqwest::Method::DELETE, path)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn wait_status(&self, id: &str, want: &str) {
        for _ in 0..200 {
            let (_, m) = self.get(&format!("/v1/messages/{id}")).await;
            if m["status"] == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("message {id} never became {want}");
    }

    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

pub(crate) const ROUTE: &str =
    "[[routes]]\nname = \"r\"\ntype = \"smpp\"\n[[rules]]\nprefix = \"\"\nroutes = [\"r\"]\n";

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_valid_submission_should_answer_202_with_id_parts_encoding_and_location() {
    let api = Api::start("", vec![]).await;
    let resp = api
        .req(reqwest::Method::POST, "/v1/messages")
        .json(&json!({"to": "040 123 4567", "text": "Muistutus: aika huomenna klo 10.00", "reference": "appt-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "queued");
    assert_eq!(body["parts"], 1);
    assert_eq!(body["encoding"], "gsm7");
    let id = body["id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/messages/{id}"));

    let (s, m) = api.get(&location).await;
    assert_eq!(s, 200);
    assert_eq!(m["to"], "+358401234567");
    assert_eq!(m["reference"], "appt-1");
    assert_eq!(m["history"][0]["status"], "queued");

    let (_, list) = api
        .get("/v1/messages?status=queued&to=%2B358401234567")
        .await;
    assert_eq!(list["messages"][0]["id"], id);
    api.stop().await;
}

#[tokio::test]
async fn each_invalid_submission_should_get_its_coded_error_and_store_nothing() {
    let api = Api::start(ROUTE, vec![Arc::new(FakeRoute::accepting("r", 0))]).await;
    let long = "x".repeat(160 * 3 + 1);
    let cases = [
        (
            json!({"to": "+12", "text": "hi"}),
            400,
            "invalid_number",
            Some("to"),
        ),
        (
            json!({"to": "abc", "text": "hi"}),
            400,
            "invalid_number",
            Some("to"),
        ),
        (
            json!({"to": "+358401234567", "text": ""}),
            400,
            "empty_text",
            Some("text"),
        ),
        (
            json!({"to": "+358401234567", "text": " \n\t "}),
            400,
            "empty_text",
            Some("text"),
        ),
        (
            json!({"to": "+358401234567", "text": long}),
            400,
            "too_many_parts",
            Some("text"),
        ),
        (
            json!({"to": "+358401234567", "text": "hi", "route": "nope"}),
            400,
            "unknown_route",
            Some("route"),
        ),
        (
            json!({"to": "+358401234567", "text": "hi", "send_at": "tomorrow"}),
            400,
            "invalid_send_at",
            Some("send_at"),
        ),
        (
            json!({"to": "+358401234567", "text": "hi", "validity": "forever"}),
            400,
            "invalid_validity",
            Some("validity"),
        ),
        (
            json!({"to": "+358401234567", "text": "hi", "from": "AVeryLongBrandName"}),
            422,
            "invalid_sender",
            Some("from"),
        ),
        (
            json!({"to": "+358401234567", "text": "hi", "colour": "red"}),
            400,
            "unknown_field",
            Some("colour"),
        ),
        (json!({"text": "hi"}), 400, "missing_field", Some("to")),
        (
            json!({"to": "+358401234567", "text": "hi", "priority": "urgent!"}),
            400,
            "invalid_json",
            None,
        ),
    ];
    for (body, status, want, field) in cases {
        let (s, v) = api.post("/v1/messages", body.clone()).await;
        assert_eq!((s, code(&v)), (status, want), "{body}: {v}");
        assert_eq!(v["error"]["field"].as_str(), field, "{body}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    let (s, v) = api.post("/v1/messages", json!("not an object")).await;
    assert_eq!((s, code(&v)), (400, "invalid_json"));

    let resp = api
        .req(reqwest::Method::POST, "/v1/messages")
        .header("content-type", "application/json")
        .body("{\"to\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    let huge = json!({"to": "+358401234567", "text": "x".repeat(200_000)});
    let (s, v) = api.post("/v1/messages", huge).await;
    assert_eq!((s, code(&v)), (413, "body_too_large"));

    let (s, v) = api.get("/v1/messages?status=lost").await;
    assert_eq!((s, code(&v)), (400, "invalid_status"));
    let (s, v) = api.get("/v1/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV").await;
    assert_eq!((s, code(&v)), (404, "not_found"));
    let (s, v) = api.get("/v1/nothing-here").await;
    assert_eq!((s, code(&v)), (404, "not_found"));

    let (_, list) = api.get("/v1/messages").await;
    assert_eq!(list["messages"].as_array().unwrap().len(), 0, "{list}");
    api.stop().await;
}

#[tokio::test]
async fn a_batch_should_store_the_valid_items_and_report_each_one() {
    let api = Api::start("", vec![]).await;
    let (s, v) = api
        .post(
            "/v1/messages/batch",
            json!({"messages": [
                {"to": "+358401234567", "text": "one"},
                {"to": "bad", "text": "two"},
                {"to": "+358401234568", "text": "Привет"},
            ]}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["rejected"], 1);
    assert_eq!(v["results"][1]["error"]["code"], "invalid_number");
    assert_eq!(v["results"][2]["encoding"], "ucs2");
    for i in [0, 2] {
        let id = v["results"][i]["id"].as_str().unwrap();
        let (s, _) = api.get(&format!("/v1/messages/{id}")).await;
        assert_eq!(s, 200);
    }
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"to": "+358401234567", "text": "x"}))
        .collect();
    let (s, v) = api
        .post("/v1/messages/batch", json!({ "messages": too_many }))
        .await;
    assert_eq!((s, code(&v)), (400, "invalid_batch"));
    api.stop().await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_should_return_the_first_message() {
    let api = Api::start("", vec![]).await;
    let send = || {
        api.req(reqwest::Method::POST, "/v1/messages")
            .header("Idempotency-Key", "order-77")
            .json(&json!({"to": "+358401234567", "text": "Your order is ready"}))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let resp = send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    let second: Value = resp.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    let (_, list) = api.get("/v1/messages").await;
    assert_eq!(list["messages"].as_array().unwrap().len(), 1);
    api.stop().await;
}

#[tokio::test]
async fn cancel_should_work_before_hand_over_and_answer_409_after() {
    let mut held = FakeRoute::accepting("r", 1);
    held.hold = Some(Arc::new(Semaphore::new(0)));
    let route = Arc::new(held);
    let api = Api::start(ROUTE, vec![route.clone()]).await;

    let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (_, scheduled) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "later", "send_at": later}),
        )
        .await;
    assert_eq!(scheduled["status"], "scheduled");
    let id = scheduled["id"].as_str().unwrap();
    let (s, m) = api.delete(&format!("/v1/messages/{id}")).await;
    assert_eq!((s, m["status"].as_str()), (200, Some("canceled")));
    let (s, _) = api.delete(&format!("/v1/messages/{id}")).await;
    assert_eq!(s, 200, "canceling twice is harmless");

    let (_, now) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "now"}),
        )
        .await;
    let id = now["id"].as_str().unwrap();
    api.wait_status(id, "sending").await;
    let (s, v) = api.delete(&format!("/v1/messages/{id}")).await;
    assert_eq!((s, code(&v)), (409, "not_cancelable"));
    route.hold.as_ref().unwrap().add_permits(10);
    api.wait_status(id, "sent").await;
    api.stop().await;
}

#[tokio::test]
async fn readyz_should_follow_route_readiness_and_healthz_always_answer() {
    let route = Arc::new(FakeRoute::accepting("r", 4));
    let api = Api::start(ROUTE, vec![route.clone()]).await;
    assert_eq!(api.get("/healthz").await.0, 200);
    let (s, v) = api.get("/readyz").await;
    assert_eq!(s, 200, "{v}");
    route.set_down(true);
    let (s, v) = api.get("/readyz").await;
    assert_eq!(s, 503);
    assert_eq!(v["routes"][0]["reason"], "taken down by the test");
    api.stop().await;

    let api = Api::start("", vec![]).await;
    let (s, v) = api.get("/readyz").await;
    assert_eq!(s, 503);
    assert!(v["reason"].as_str().unwrap().contains("no routes"));
    api.stop().await;
}

#[tokio::test]
async fn requests_without_a_configured_token_should_get_401_except_health() {
    let api = Api::start("[server]\ntokens = [\"0123456789abcdef-secret\"]", vec![]).await;
    let anon = reqwest::Client::new();
    let resp = anon
        .get(format!("{}/v1/messages", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let resp = anon
        .get(format!("{}/v1/messages", api.base))
        .bearer_auth("wrong-token-wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(code(&v), "unauthorized");
    assert_eq!(
        anon.get(format!("{}/healthz", api.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(api.get("/v1/messages").await.0, 200);
    api.stop().await;
}

#[tokio::test]
async fn listings_should_refuse_limit_zero_and_list_a_reference_newest_first() {
    let api = Api::start(ROUTE, vec![Arc::new(FakeRoute::accepting("r", 0))]).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (s, v) = api
            .post(
                "/v1/messages",
                json!({"to": "+358401234567", "text": format!("Reminder {i}"), "reference": "appt-9"}),
            )
            .await;
        assert_eq!(s, 202, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
        // A later millisecond, so creation order is id order.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let listed = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let (_, all) = api.get("/v1/messages").await;
    assert_eq!(listed(&all), newest_first);
    let (_, by_ref) = api.get("/v1/messages?reference=appt-9").await;
    assert_eq!(listed(&by_ref), newest_first, "same order as every listing");
    let (_, one) = api.get("/v1/messages?limit=1").await;
    assert_eq!(listed(&one), newest_first[..1]);
    for path in [
        "/v1/messages?limit=0",
        "/v1/messages?reference=appt-9&limit=0",
        "/v1/inbox?limit=0",
        "/v1/suppressions?limit=0",
        "/v1/audit?limit=0",
    ] {
        let (s, v) = api.get(path).await;
        assert_eq!((s, code(&v)), (400, "invalid_limit"), "{path}: {v}");
        assert_eq!(v["error"]["field"], "limit");
    }
    api.stop().await;
}

/// Every error code the API can answer, read from its source (`ApiError::field("…"`,
/// `ApiError::new(StatusCode::…, "…"`, `code: "…"`), is in the README's list: scripts
/// branch on these codes, so each one is documented.
#[test]
fn every_error_code_the_api_answers_should_be_in_the_readme() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let code = regex::Regex::new(
        r#"(?:ApiError::(?:field|new)\(\s*(?:StatusCode::[A-Z_]+,\s*)?|\bcode:\s*)"([a-z][a-z_]+)""#,
    )
    .unwrap();
    let mut found = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(root.join("src/api")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("openapi.rs") {
            let src = std::fs::read_to_string(&path).unwrap();
            found.extend(code.captures_iter(&src).map(|c| c[1].to_string()));
        }
    }
    assert!(found.len() > 20, "the pattern finds the codes: {found:?}");
    let missing: Vec<&String> = found
        .iter()
        .filter(|c| !readme.contains(&format!("`{c}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes missing from the README: {missing:?}"
    );
}
