//! The HTTP surface: suppression API and CSV round trip, opted-out refusals on single and
//! batch submissions, cancel by reference, and sender identity errors.

use reqwest::Method;
use serde_json::json;

use crate::harness::Api;

#[tokio::test]
async fn the_suppression_api_should_round_trip_through_csv_and_refuse_submissions() {
    let api = Api::start("").await;
    let (s, v) = api
        .call(
            Method::PUT,
            "/v1/suppressions/040%20100%200001",
            Some(json!({"note": "asked by phone"})),
        )
        .await;
    assert_eq!(
        (s, v["number"].as_str()),
        (201, Some("+358401000001")),
        "{v}"
    );
    let (s, _) = api
        .call(Method::PUT, "/v1/suppressions/+358401000001", None)
        .await;
    assert_eq!(s, 200, "replacing an entry");
    let (s, v) = api
        .call(Method::GET, "/v1/suppressions/+358401000001", None)
        .await;
    assert_eq!((s, v["scope"].as_str()), (200, Some("global")));

    let (s, v) = api
        .call(
            Method::POST,
            "/v1/messages",
            Some(json!({"to": "+358401000001", "text": "hi"})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("recipient_opted_out")),
        "{v}"
    );
    let (s, v) = api
        .call(
            Method::POST,
            "/v1/messages/batch",
            Some(json!({"messages": [{"to": "+358401000001", "text": "a"}, {"to": "+358401000002", "text": "b"}]})),
        )
        .await;
    assert_eq!(
        (s, &v["accepted"], &v["results"][0]["error"]["code"]),
        (202, &json!(1), &json!("recipient_opted_out")),
        "{v}"
    );

    // CSV: import two more (one scoped to a brand), export, delete all, import the export back.
    let (s, v) = api
        .text(
            Method::POST,
            "/v1/suppressions.csv",
            Some("number,scope,note\n+358401000003,Clinic,\"left, angry\"\n0401000004,,\n".into()),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, csv) = api.text(Method::GET, "/v1/suppressions.csv", None).await;
    assert_eq!(s, 200);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.contains("+358401000003,Clinic,import,,\"left, angry\""),
        "{csv}"
    );
    let (s, v) = api
        .call(Method::GET, "/v1/suppressions?limit=2", None)
        .await;
    assert_eq!(
        (s, v["suppressions"].as_array().map(Vec::len)),
        (200, Some(2))
    );
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, v) = api
        .call(
            Method::GET,
            &format!("/v1/suppressions?cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(v["suppressions"].as_array().map(Vec::len), Some(1));

    for (n, scope) in [
        ("+358401000001", ""),
        ("+358401000004", ""),
        ("+358401000003", "?scope=Clinic"),
    ] {
        let (s, _) = api
            .text(
                Method::DELETE,
                &format!("/v1/suppressions/{n}{scope}"),
                None,
            )
            .await;
        assert_eq!(s, 204, "{n}");
    }
    let (s, _) = api
        .text(Method::DELETE, "/v1/suppressions/+358401000001", None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = api
        .call(
            Method::POST,
            "/v1/messages",
            Some(json!({"to": "+358401000001", "text": "hi"})),
        )
        .await;
    assert_eq!(s, 202, "deleted entry no longer refuses");
    let (s, v) = api
        .text(Method::POST, "/v1/suppressions.csv", Some(csv.clone()))
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, again) = api.text(Method::GET, "/v1/suppressions.csv", None).await;
    let rows = |t: &str| {
        let mut r: Vec<String> = t
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.replace(",api,", ",import,"))
            .collect();
        r.sort();
        r
    };
    assert_eq!(rows(&again), rows(&csv));
    let (s, v) = api
        .text(
            Method::POST,
            "/v1/suppressions.csv",
            Some("number\nnot-a-number\n".into()),
        )
        .await;
    assert!(
        s == 422 && v.contains("invalid_csv") && v.contains("line 2"),
        "{v}"
    );
    api.stop().await;
}

#[tokio::test]
async fn messages_should_be_listed_and_canceled_by_reference() {
    let api = Api::start("").await;
    let tomorrow = smsgw::model::Timestamp::now()
        .plus(std::time::Duration::from_secs(86_400))
        .to_rfc3339();
    for (text, reference) in [("R1", "appt-1"), ("R2", "appt-1"), ("X", "appt-2")] {
        let (s, _) = api
            .call(
                Method::POST,
                "/v1/messages",
                Some(json!({"to": "+358401000001", "text": text, "reference": reference, "send_at": tomorrow})),
            )
            .await;
        assert_eq!(s, 202);
    }
    let (_, v) = api
        .call(Method::GET, "/v1/messages?reference=appt-1", None)
        .await;
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(2), "{v}");
    let (s, v) = api
        .call(Method::DELETE, "/v1/messages?reference=appt-1", None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["canceled"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["not_cancelable"], json!([]));
    // Again: nothing left to cancel, both reported as not cancelable (already canceled).
    let (_, v) = api
        .call(Method::DELETE, "/v1/messages?reference=appt-1", None)
        .await;
    assert_eq!(
        (
            v["canceled"].as_array().map(Vec::len),
            v["not_cancelable"][0]["status"].as_str()
        ),
        (Some(0), Some("canceled"))
    );
    let (_, v) = api
        .call(Method::GET, "/v1/messages?reference=appt-2", None)
        .await;
    assert_eq!(v["messages"][0]["status"], "scheduled");
    let (s, v) = api.call(Method::DELETE, "/v1/messages", None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("missing_reference"))
    );
    api.stop().await;
}

#[tokio::test]
async fn alphanumeric_senders_should_be_checked() {
    let api = Api::start(
        "[[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
         [[smpp]]\nroute = \"op\"\nhost = \"127.0.0.1\"\nport = 9\nsystem_id = \"x\"\npassword = \"y\"\nalphanumeric_senders = false\n",
    )
    .await;
    let cases = [
        (
            json!({"to": "+358401000001", "text": "hi", "from": "ClinicOfTheNorth"}),
            422,
            "invalid_sender",
        ),
        (
            json!({"to": "+358401000001", "text": "hi", "from": "Cl!n|c"}),
            422,
            "invalid_sender",
        ),
        (
            json!({"to": "+358401000001", "text": "hi", "from": "Clinic", "route": "op"}),
            422,
            "sender_not_allowed",
        ),
    ];
    for (body, status, want) in cases {
        let (s, v) = api
            .call(Method::POST, "/v1/messages", Some(body.clone()))
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(want)),
            "{body}: {v}"
        );
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.len() > 20));
    }
    let (s, _) = api
        .call(
            Method::POST,
            "/v1/messages",
            Some(json!({"to": "+358401000001", "text": "hi", "from": "Clinic"})),
        )
        .await;
    assert_eq!(
        s, 202,
        "an 11-character brand without a forced numeric-only route"
    );
    let (s, _) = api
        .call(Method::POST, "/v1/messages", Some(json!({"to": "+358401000001", "text": "hi", "from": "+358409999999", "route": "op"})))
        .await;
    assert_eq!(s, 202, "a number on a numeric-only route");
    api.stop().await;
}

#[test]
fn a_default_sender_the_link_cannot_carry_should_fail_validation() {
    let err = smsgw::config::Config::from_toml(
        "[[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
         [[smpp]]\nroute = \"op\"\nhost = \"h\"\nsystem_id = \"x\"\npassword = \"y\"\nalphanumeric_senders = false\ndefault_sender = \"Clinic\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("default_sender"), "{err}");
    let err = smsgw::config::Config::from_toml(
        "[[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
         [[smpp]]\nroute = \"op\"\nhost = \"h\"\nsystem_id = \"x\"\npassword = \"y\"\ndefault_sender = \"TheClinicOfTheNorth\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("default_sender"), "{err}");
}
