//! The operator console's API, over HTTP against the in-process daemon: signing in sets a
//! strict session cookie and never takes a token from a URL; cookie writes need the session's
//! CSRF token; scopes hold; the live stream sends the overview and each event; a customer's
//! thread shows the reminder and the reply under it, with read and handled marks kept in the
//! store. (The pages themselves are driven in a real browser in `tests/e2e/console.rs`.)

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use hw_sim::modem::profile::Profile;
use hw_sim::{ModemConfig as SimConfig, SimModem};

use crate::api_inprocess::Api;
use crate::fake_route::FakeRoute;

const ADMIN: &str = "console-admin-token-0123456789";
const READER: &str = "console-reader-token-0123456789";

fn tokens() -> String {
    format!(
        "[server]\ntokens = [\"{ADMIN}\", {{ name = \"front desk\", token = \"{READER}\", scopes = [\"read\"] }}]\n"
    )
}

const DESK_PASSWORD: &str = "tuesday-tulips-42";

/// A console user `reception` (default scopes) whose password is [`DESK_PASSWORD`].
fn console_user() -> String {
    let hash = smsgw::api::console::password::hash(DESK_PASSWORD).unwrap();
    format!("[[console.users]]\nname = \"reception\"\npassword_hash = \"{hash}\"\n")
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in with `token`; the session cookie (`name=value`).
async fn sign_in(base: &str, token: &str) -> String {
    let resp = browser()
        .post(format!("{base}/console/sign-in"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303, "a good token signs in");
    assert_eq!(resp.headers()["location"], "/");
    let set = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(
        !set.contains("Secure"),
        "plain HTTP: no Secure flag ({set})"
    );
    set.split(';').next().unwrap().to_string()
}

async fn with_cookie(
    method: reqwest::Method,
    url: String,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = browser().request(method, url).header("cookie", cookie);
    if let Some(c) = csrf {
        r = r.header("x-csrf-token", c);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_should_set_a_strict_cookie_whose_writes_need_the_csrf_token() {
    let route = std::sync::Arc::new(FakeRoute::accepting("r", 8));
    let api = Api::start(
        &format!(
            "{}{}{}",
            crate::api_inprocess::ROUTE,
            tokens(),
            console_user()
        ),
        vec![route],
    )
    .await;
    let base = api.base.clone();

    // The shell is open (it holds no data) and strict about what may run in it.
    let shell = browser().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(shell.status().as_u16(), 200);
    let csp = shell.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(shell.headers()["x-frame-options"], "DENY");
    // No data without signing in; a token in the URL is not accepted anywhere.
    let (s, _) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/status"),
        "x=y",
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);
    let url_token = browser()
        .get(format!("{base}/v1/status?access_token={ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        url_token.status().as_u16(),
        401,
        "?access_token= is retired"
    );

    // A wrong token shows the form again, with why.
    let wrong = browser()
        .post(format!("{base}/console/sign-in"))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(wrong.text().await.unwrap().contains("not accepted"));
    // A sign-in posted from another site is refused.
    let forged = browser()
        .post(format!("{base}/console/sign-in"))
        .header("origin", "http://evil.example")
        .form(&[("token", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(forged.headers().get("set-cookie").is_none());

    let cookie = sign_in(&base, ADMIN).await;
    let (s, me) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/console/session"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(me["actor"], "server.tokens[0]");
    let csrf = me["csrf"].as_str().unwrap().to_string();
    assert_eq!(csrf.len(), 64);
    let msg = json!({"to": "+358401234567", "text": "Reminder: dentist tomorrow 9:00"});
    // A write with the cookie but without the CSRF token (what another site's form could
    // send) is refused; with it, accepted.
    let (s, e) = with_cookie(
        reqwest::Method::POST,
        format!("{base}/v1/messages"),
        &cookie,
        None,
        Some(msg.clone()),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("csrf_token_mismatch"))
    );
    let (s, e) = with_cookie(
        reqwest::Method::POST,
        format!("{base}/v1/messages"),
        &cookie,
        Some("0000"),
        Some(msg.clone()),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("csrf_token_mismatch"))
    );
    let (s, accepted) = with_cookie(
        reqwest::Method::POST,
        format!("{base}/v1/messages"),
        &cookie,
        Some(&csrf),
        Some(msg.clone()),
    )
    .await;
    assert_eq!(s, 202, "{accepted}");
    // The audit trail names the session's actor.
    let (_, audit) = api.get("/v1/audit").await;
    assert!(audit.to_string().contains("server.tokens[0]"), "{audit}");

    // A read-only token's session may look, not send.
    let reader = sign_in(&base, READER).await;
    let (_, me) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/console/session"),
        &reader,
        None,
        None,
    )
    .await;
    assert_eq!(me["actor"], "front desk");
    assert_eq!(me["scopes"], json!(["read"]));
    let reader_csrf = me["csrf"].as_str().unwrap().to_string();
    let (s, _) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/messages"),
        &reader,
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, e) = with_cookie(
        reqwest::Method::POST,
        format!("{base}/v1/messages"),
        &reader,
        Some(&reader_csrf),
        Some(msg),
    )
    .await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    // Another session's CSRF token does not do.
    let (s, _) = with_cookie(
        reqwest::Method::PUT,
        format!("{base}/v1/conversations/+358401234567/marks"),
        &reader,
        Some(&csrf),
        Some(json!({"read": true})),
    )
    .await;
    assert_eq!(s, 403);

    // A console user signs in by name and password, with the front desk's scopes.
    let wrong = browser()
        .post(format!("{base}/console/sign-in"))
        .form(&[("name", "reception"), ("token", "not-the-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("name and password are not accepted")
    );
    let desk = browser()
        .post(format!("{base}/console/sign-in"))
        .form(&[("name", "reception"), ("token", DESK_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(desk.status().as_u16(), 303);
    let desk = desk.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (_, me) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/console/session"),
        &desk,
        None,
        None,
    )
    .await;
    assert_eq!(me["actor"], "console:reception");
    assert_eq!(me["scopes"], json!(["read", "send"]));
    // A name that does not exist is refused the same way.
    let nobody = browser()
        .post(format!("{base}/console/sign-in"))
        .form(&[("name", "nobody"), ("token", DESK_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status().as_u16(), 401);

    // Signing out ends the session, and the live stream it opened with it.
    let stream = browser()
        .get(format!("{base}/v1/console/stream"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let mut stream = Events::new(stream);
    let first = stream.next(Duration::from_secs(10)).await;
    assert_eq!(first.map(|(name, _)| name).as_deref(), Some("overview"));
    let (s, _) = with_cookie(
        reqwest::Method::POST,
        format!("{base}/v1/console/sign-out"),
        &cookie,
        Some(&csrf),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/console/session"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);
    // It ends at its next overview tick (every 3 s), having sent nothing of the gateway since.
    let end = Instant::now() + Duration::from_secs(15);
    while let Some((name, _)) = stream
        .next(end.saturating_duration_since(Instant::now()))
        .await
    {
        assert_ne!(name, "overview", "a signed-out stream went on");
    }
    api.stop().await;
}

/// A server-sent event stream being read: frames may arrive split or several in one chunk.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    fn new(resp: reqwest::Response) -> Self {
        Events {
            resp,
            buf: String::new(),
        }
    }

    /// The next event with data (event name, data), or `None` once the stream ended. Fails
    /// if neither happens within `limit`.
    async fn next(&mut self, limit: Duration) -> Option<(String, Value)> {
        let end = Instant::now() + limit;
        loop {
            while let Some(at) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..at + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(n) = line.strip_prefix("event:") {
                        name = n.trim().to_string();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim_start());
                    }
                }
                if !data.is_empty() {
                    let value = serde_json::from_str(&data).unwrap_or(Value::String(data));
                    return Some((name, value));
                }
            }
            let left = end.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the stream neither sent nor ended in {limit:?}"
            );
            let Ok(chunk) = tokio::time::timeout(left, self.resp.chunk()).await else {
                continue;
            };
            match chunk.unwrap() {
                Some(chunk) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                None => return None,
            }
        }
    }
}

/// Reads server-sent events from `resp` until `want` says stop; the events seen, as
/// (event name, data).
async fn read_events(
    resp: reqwest::Response,
    deadline: Duration,
    mut want: impl FnMut(&str, &Value) -> bool,
) -> Vec<(String, Value)> {
    let mut events = Events::new(resp);
    let mut seen = Vec::new();
    let end = Instant::now() + deadline;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let Some((name, value)) = events.next(left).await else {
            panic!("the stream ended: {seen:?}");
        };
        let done = want(&name, &value);
        seen.push((name, value));
        if done {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_should_show_the_reply_under_its_reminder_live_with_marks_kept() {
    let sim = SimModem::start(SimConfig::fast(Profile::sim800()))
        .await
        .unwrap();
    let cfg = format!(
        "[[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n[[rules]]\nprefix = \"\"\nroutes = [\"sims\"]\n\
         [[modems]]\nname = \"sim-a\"\ndevice = {:?}\nroute = \"sims\"\ndaily_limit = 500\n\
         [modems.timeouts]\ncommand = \"1s\"\nprompt = \"700ms\"\nresult = \"1500ms\"\n\
         probe_every = \"300ms\"\npoll_every = \"500ms\"\nsweep_every = \"2s\"\nregistration = \"3s\"\n{}",
        sim.link().display().to_string(),
        tokens()
    );
    let api = Api::start(&cfg, vec![]).await;
    let base = api.base.clone();
    let cookie = sign_in(&base, ADMIN).await;
    let (_, me) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/console/session"),
        &cookie,
        None,
        None,
    )
    .await;
    let csrf = me["csrf"].as_str().unwrap().to_string();

    // The stream starts with the overview: the modem, its daily count against its limit.
    let stream = browser()
        .get(format!("{base}/v1/console/stream"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let first = read_events(stream, Duration::from_secs(10), |name, _| {
        name == "overview"
    })
    .await;
    let overview = &first.last().unwrap().1;
    assert_eq!(overview["modems"][0]["name"], "sim-a", "{overview:#}");
    assert_eq!(overview["modems"][0]["today"]["limit"], 500);
    assert_eq!(overview["rates"].as_array().map(Vec::len), Some(60));

    // Wait for the SIM, send the reminder; the stream tells of its status changes.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, v) = api.get("/v1/modems").await;
        if v["modems"][0]["state"] == "ready" {
            break;
        }
        assert!(Instant::now() < deadline, "modem never ready: {v:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stream = browser()
        .get(format!("{base}/v1/console/stream"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let (s, b) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "Reminder: car service Friday 8:00", "reference": "appt-42", "expects_reply": true}),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let heard = read_events(stream, Duration::from_secs(20), |name, v| {
        name == "message" && v["message_id"] == id.as_str() && v["status"] == "sent"
    })
    .await;
    assert!(
        heard.iter().any(|(n, _)| n == "overview"),
        "the overview came first"
    );

    // The customer answers through the SIM.
    sim.inject_text(
        "+358401234567",
        "Can we move it to Saturday? 🙏",
        true,
        false,
    )
    .await
    .unwrap();
    let number = "%2B358401234567";
    let deadline = Instant::now() + Duration::from_secs(20);
    let thread = loop {
        let (_, t) = with_cookie(
            reqwest::Method::GET,
            format!("{base}/v1/conversations/{number}"),
            &cookie,
            None,
            None,
        )
        .await;
        if t["items"].as_array().is_some_and(|i| i.len() == 2) {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "the reply never reached the thread: {t:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(thread["items"][0]["direction"], "out");
    assert_eq!(thread["items"][0]["message"]["id"], id.as_str());
    let reply = &thread["items"][1]["message"];
    assert_eq!(thread["items"][1]["direction"], "in");
    assert_eq!(reply["text"], "Can we move it to Saturday? 🙏");
    assert_eq!(
        reply["in_reply_to"]["id"],
        id.as_str(),
        "the reply answers the reminder"
    );
    assert_eq!(reply["in_reply_to"]["reference"], "appt-42");
    assert_eq!(thread["reply_route"], "sims");
    assert_eq!(thread["reply_modem"], "sim-a");
    assert_eq!(thread["unread"], 1);

    // The thread list: newest replies first, found by number and by the reminder's reference.
    let (_, list) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/conversations"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(
        list["conversations"][0]["number"], "+358401234567",
        "{list:#}"
    );
    assert_eq!(list["conversations"][0]["unread"], 1);
    for q in ["appt-42", "0401234567"] {
        let (_, found) = with_cookie(
            reqwest::Method::GET,
            format!("{base}/v1/conversations?q={q}"),
            &cookie,
            None,
            None,
        )
        .await;
        assert_eq!(
            found["conversations"][0]["number"], "+358401234567",
            "q={q}: {found:#}"
        );
    }

    // Read and handled marks are kept; a new message opens the thread again.
    let (s, m) = with_cookie(
        reqwest::Method::PUT,
        format!("{base}/v1/conversations/{number}/marks"),
        &cookie,
        Some(&csrf),
        Some(json!({"read": true, "handled": true})),
    )
    .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["handled"], true);
    assert_eq!(m["marks"]["by"], "server.tokens[0]");
    let (_, t) = with_cookie(
        reqwest::Method::GET,
        format!("{base}/v1/conversations/{number}"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(
        (t["unread"].as_u64(), t["handled"].as_bool()),
        (Some(0), Some(true))
    );
    let (s, e) = with_cookie(
        reqwest::Method::PUT,
        format!("{base}/v1/conversations/{number}/marks"),
        &cookie,
        Some(&csrf),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("nothing_to_mark"))
    );
    sim.inject_text("+358401234567", "Or Monday.", false, false)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, t) = with_cookie(
            reqwest::Method::GET,
            format!("{base}/v1/conversations/{number}"),
            &cookie,
            None,
            None,
        )
        .await;
        if t["unread"] == 1 {
            assert_eq!(t["handled"], false, "a new message opens a handled thread");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second reply never came: {t:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Messages filter by route and time.
    let (_, l) = api.get("/v1/messages?route=sims").await;
    assert_eq!(l["messages"].as_array().map(Vec::len), Some(1), "{l:#}");
    let (_, l) = api.get("/v1/messages?route=other").await;
    assert_eq!(l["messages"].as_array().map(Vec::len), Some(0));
    let (_, l) = api.get("/v1/messages?until=2020-01-01T00:00:00Z").await;
    assert_eq!(l["messages"].as_array().map(Vec::len), Some(0));
    let (_, l) = api.get("/v1/messages?since=2020-01-01T00:00:00Z").await;
    assert_eq!(l["messages"].as_array().map(Vec::len), Some(1));
    let (s, e) = api.get("/v1/messages?since=yesterday").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("invalid_time"))
    );
    api.stop().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_pinned_to_a_sim_should_leave_from_it_and_no_other() {
    let sim_a = SimModem::start(SimConfig::fast(Profile::sim800()))
        .await
        .unwrap();
    let sim_b = SimModem::start(SimConfig::fast(Profile::sim800()))
        .await
        .unwrap();
    let mut cfg = String::from(
        "[[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n[[rules]]\nprefix = \"\"\nroutes = [\"sims\"]\n",
    );
    for (name, sim) in [("sim-a", &sim_a), ("sim-b", &sim_b)] {
        cfg.push_str(&format!(
            "[[modems]]\nname = \"{name}\"\ndevice = {:?}\nroute = \"sims\"\n\
             [modems.timeouts]\ncommand = \"1s\"\nprompt = \"700ms\"\nresult = \"1500ms\"\n\
             probe_every = \"300ms\"\npoll_every = \"500ms\"\nsweep_every = \"2s\"\nregistration = \"3s\"\n",
            sim.link().display().to_string()
        ));
    }
    let api = Api::start(&cfg, vec![]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, v) = api.get("/v1/modems").await;
        if v["modems"]
            .as_array()
            .is_some_and(|m| m.iter().all(|x| x["state"] == "ready"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "modems never ready: {v:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, e) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "x", "modem": "sim-z"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("unknown_modem"))
    );
    // Round robin would spread three messages over both SIMs; pinned, all leave from sim-b.
    let mut ids = Vec::new();
    for i in 0..3 {
        let (s, b) = api
            .post(
                "/v1/messages",
                json!({"to": "+358401234567", "text": format!("answer {i}"), "modem": "sim-b"}),
            )
            .await;
        assert_eq!(s, 202, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        let deadline = Instant::now() + Duration::from_secs(30);
        let m = loop {
            let (_, m) = api.get(&format!("/v1/messages/{id}")).await;
            if m["status"] == "sent" || m["status"] == "delivered" {
                break m;
            }
            assert!(Instant::now() < deadline, "never sent: {m:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(m["route"], "sims", "the pool is the route");
        assert_eq!(m["modem"], "sim-b");
        assert_eq!(m["parts"][0]["modem"], "sim-b", "{m:#}");
    }
    assert!(sim_a.sent_messages().is_empty(), "nothing left from sim-a");
    assert_eq!(sim_b.sent_messages().len(), 3);
    api.stop().await;
    sim_a.shutdown().await;
    sim_b.shutdown().await;
}
