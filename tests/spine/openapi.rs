//! The OpenAPI document stays true: every route of the router (read from `src/api/mod.rs`) is
//! in it with its methods, every example validates against its schema, and real answers of a
//! running gateway validate against the schemas of their routes and status codes.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::api_inprocess::{Api, ROUTE};
use crate::fake_route::FakeRoute;

/// A JSON Schema subset validator: the keywords the document uses (`$ref`, `type`,
/// `properties`, `required`, `additionalProperties`, `items`, `enum`, `oneOf`, bounds).
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = resolve(doc, r);
        return validate(doc, &target, v, at, errors);
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = names.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not {names:?}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = alts
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                validate(doc, s, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: {matching} of oneOf match {v}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if n < min {
            errors.push(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), v.as_f64()) {
        if n > max {
            errors.push(format!("{at}: {n} > {max}"));
        }
    }
    if let (Some(min), Some(s)) = (schema.get("minLength").and_then(Value::as_u64), v.as_str()) {
        if (s.chars().count() as u64) < min {
            errors.push(format!("{at}: shorter than {min}"));
        }
    }
    if let (Some(max), Some(s)) = (schema.get("maxLength").and_then(Value::as_u64), v.as_str()) {
        if s.chars().count() as u64 > max {
            errors.push(format!("{at}: longer than {max}"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                errors.push(format!("{at}: missing required {name}"));
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(doc, s, val, &format!("{at}.{k}"), errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{at}: unexpected property {k}"))
                    }
                    Some(s @ Value::Object(_)) => {
                        validate(doc, s, val, &format!("{at}.{k}"), errors)
                    }
                    _ => {}
                },
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if let Some(items) = schema.get("items") {
            for (i, item) in arr.iter().enumerate() {
                validate(doc, items, item, &format!("{at}[{i}]"), errors);
            }
        }
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (arr.len() as u64) < min {
                errors.push(format!("{at}: fewer than {min} items"));
            }
        }
    }
}

fn resolve(doc: &Value, r: &str) -> Value {
    let path = r
        .strip_prefix("#/")
        .unwrap_or_else(|| panic!("external $ref {r}"));
    let mut cur = doc;
    for seg in path.split('/') {
        cur = cur.get(seg).unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    cur.clone()
}

/// `(path, methods)` of every `.route(...)` in the router source.
fn router_routes() -> Vec<(String, Vec<String>)> {
    let src = [
        include_str!("../../src/api/mod.rs"),
        include_str!("../../src/api/console/mod.rs"),
    ]
    .concat();
    let mut out = Vec::new();
    let pieces: Vec<&str> = src.split(".route(").skip(1).collect();
    for piece in pieces {
        let Some(start) = piece.find('"') else {
            continue;
        };
        let rest = &piece[start + 1..];
        let Some(end) = rest.find('"') else { continue };
        let path = rest[..end].to_string();
        let body = rest[end..]
            .split(".route_layer(")
            .next()
            .unwrap_or_default();
        let mut methods = Vec::new();
        for m in ["get", "post", "delete", "put", "patch"] {
            if body.contains(&format!("{m}(")) {
                methods.push(m.to_string());
            }
        }
        out.push((path, methods));
    }
    out
}

fn document() -> Value {
    smsgw::api::openapi::document()
}

#[test]
fn every_route_in_the_router_should_be_in_the_document_with_its_methods() {
    let doc = document();
    let routes = router_routes();
    assert!(routes.len() >= 15, "router parsing found only {routes:?}");
    for (path, methods) in routes {
        let item = doc["paths"]
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is routed but not in /v1/openapi.json"));
        assert!(!methods.is_empty(), "{path}: no methods found");
        for m in methods {
            assert!(
                item.get(&m).is_some(),
                "{m} {path} is routed but not documented"
            );
        }
    }
    assert_eq!(doc["openapi"], "3.1.0");
}

/// Every `(where, schema, example)` in the document.
fn examples(doc: &Value) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    fn walk(v: &Value, at: String, out: &mut Vec<(String, Value, Value)>) {
        match v {
            Value::Object(m) => {
                if let (Some(schema), Some(example)) = (m.get("schema"), m.get("example")) {
                    out.push((at.clone(), schema.clone(), example.clone()));
                }
                for (k, v) in m {
                    walk(v, format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    walk(doc, String::new(), &mut out);
    out
}

#[test]
fn every_example_should_validate_against_its_schema() {
    let doc = document();
    let all = examples(&doc);
    assert!(all.len() >= 20, "only {} examples", all.len());
    for (at, schema, example) in all {
        let mut errors = Vec::new();
        validate(&doc, &schema, &example, &at, &mut errors);
        assert!(errors.is_empty(), "{at}: {errors:#?}");
    }
}

#[test]
fn the_validator_should_refuse_what_the_schemas_forbid() {
    let doc = document();
    let schema = json!({ "$ref": "#/components/schemas/Accepted" });
    let mut errors = Vec::new();
    validate(
        &doc,
        &schema,
        &json!({"id": "x", "status": "lost", "parts": 0, "encoding": "gsm7", "extra": 1}),
        "",
        &mut errors,
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

/// The schema of `method path`'s answer with `status`.
fn response_schema(doc: &Value, path: &str, method: &str, status: u16) -> Value {
    let mut r = doc["paths"][path][method]["responses"][status.to_string()].clone();
    if let Some(reference) = r.get("$ref").and_then(Value::as_str) {
        r = resolve(doc, reference);
    }
    r["content"]["application/json"]["schema"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_should_match_the_document() {
    let doc = document();
    let api = Api::start(
        &format!("{ROUTE}[[webhooks]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/x\"\nsecret = \"0123456789abcdef0\"\n"),
        vec![Arc::new(FakeRoute::accepting("r", 4))],
    )
    .await;
    let (s, accepted) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "hi", "reference": "r1"}),
        )
        .await;
    let id = accepted["id"].as_str().unwrap().to_string();
    api.wait_status(&id, "sent").await;
    let mut checks: Vec<(&str, &str, u16, Value)> = vec![("/v1/messages", "post", s, accepted)];
    let (s, b) = api
        .post("/v1/messages", json!({"to": "nope", "text": "hi"}))
        .await;
    checks.push(("/v1/messages", "post", s, b));
    let (s, b) = api
        .post(
            "/v1/messages/batch",
            json!({"messages": [{"to": "+358401234567", "text": "a"}, {"to": "x", "text": "b"}]}),
        )
        .await;
    checks.push(("/v1/messages/batch", "post", s, b));
    for (path, route) in [
        ("/v1/messages", "/v1/messages".to_string()),
        ("/v1/messages/{id}", format!("/v1/messages/{id}")),
        (
            "/v1/messages/{id}",
            "/v1/messages/01JD8X3Q9M2V7C4K5T6R8W0Y1Z".to_string(),
        ),
        ("/v1/inbox", "/v1/inbox".to_string()),
        ("/v1/webhooks", "/v1/webhooks".to_string()),
        (
            "/v1/webhooks/{name}/dead-letters",
            "/v1/webhooks/crm/dead-letters".to_string(),
        ),
        ("/v1/status", "/v1/status".to_string()),
        ("/healthz", "/healthz".to_string()),
        ("/readyz", "/readyz".to_string()),
    ] {
        let (s, b) = api.get(&route).await;
        checks.push((path, "get", s, b));
    }
    let (s, b) = api.delete(&format!("/v1/messages/{id}")).await;
    checks.push(("/v1/messages/{id}", "delete", s, b));
    let (s, b) = api
        .post("/v1/webhooks/crm/dead-letters/replay", json!({}))
        .await;
    checks.push(("/v1/webhooks/{name}/dead-letters/replay", "post", s, b));
    let (s, b) = api
        .post(
            "/v1/inbox/ack",
            json!({"cursor": "01JD8X3Q9M2V7C4K5T6R8W0Y1Z"}),
        )
        .await;
    checks.push(("/v1/inbox/ack", "post", s, b));
    let (s, b) = api.get("/v1/openapi.json").await;
    assert_eq!((s, &b), (200, &doc));

    for (path, method, status, body) in checks {
        let schema = response_schema(&doc, path, method, status);
        assert!(
            !schema.is_null(),
            "{method} {path} answered {status}, which is not documented: {body}"
        );
        let mut errors = Vec::new();
        validate(
            &doc,
            &schema,
            &body,
            &format!("{method} {path} {status}"),
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:#?}\n{body:#}");
    }
    api.stop().await;
}
