//! The operator console in a real browser: Debian's chromium driven through chromedriver
//! (W3C WebDriver, the `fantoccini` crate) against the real `smsgw` binary on two hw-sim
//! modems. It signs in with the form, sees both SIMs with signal, sends a reminder, sees the
//! customer's reply (injected through the simulated SIM) appear live in its thread under the
//! reminder, answers it and sees the answer delivered, finds the reminder in the message search,
//! adds a suppression, replays a dead letter, sees a hung modem go down — and runs axe-core
//! in each page, failing on serious or critical violations. Screenshots of every page are kept
//! under `target/tmp/console/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hw_sim::{ModemConfig, Profile, SimModem};
use serde_json::{Value, json};

use crate::harness::{Daemon, write_config};

const TOKEN: &str = "console-browser-token-0123456789";
const CUSTOMER: &str = "+358401234567";

/// chromedriver on a loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/status")).await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { child, url }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--window-size=1280,1000", "--lang=en-GB",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// Evaluates `expr` in the page until it is truthy; its value.
async fn until(c: &Client, what: &str, expr: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    let script = format!("try {{ return ({expr}); }} catch (e) {{ return null; }}");
    loop {
        let v = c.execute(&script, vec![]).await.unwrap();
        let truthy = match &v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => true,
        };
        if truthy {
            return v;
        }
        if Instant::now() > deadline {
            let html = c.source().await.unwrap_or_default();
            panic!("{what}: `{expr}` never held within {limit:?}; the page:\n{html}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.len() > 5_000, "screenshot {name} is empty");
    let path = shots().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("console screenshot: {}", path.display());
}

/// axe-core's script, as `.ci/run` installs it from npm.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("SMSGW_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/node-axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
            assert!(
                !in_ci,
                "axe-core is required under CI at {path:?} (.ci/run installs it)"
            );
            eprintln!(
                "notice: axe-core is not installed at {path:?} (npm install --prefix target/node-axe axe-core); accessibility not checked"
            );
            None
        }
    }
}

/// Runs axe-core in the page; fails on any serious or critical violation.
async fn accessible(c: &Client, axe: Option<&str>, page: &str) {
    let Some(axe) = axe else { return };
    c.execute(axe, vec![]).await.unwrap();
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))))
               .catch((e) => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .unwrap();
    let serious: Vec<&Value> = found
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        serious.is_empty(),
        "axe-core on the {page} page: {serious:#?}"
    );
    eprintln!(
        "axe-core on the {page} page: {} minor finding(s), none serious",
        found.as_array().map_or(0, Vec::len)
    );
}

async fn modem(dir: &Path, name: &str, operator: &str) -> SimModem {
    let mut cfg = ModemConfig::fast(Profile::sim800());
    cfg.link = Some(dir.join(name));
    cfg.operator = operator.into();
    SimModem::start(cfg).await.unwrap()
}

fn config(dir: &Path, dead_port: u16, smsc_port: u16) -> String {
    let mut c = format!(
        r#"
[server]
tokens = ["{TOKEN}"]
[messages]
default_country = "358"
[log]
filter = "warn"
[[routes]]
name = "sims"
type = "modem_pool"
[[routes]]
name = "operator"
type = "smpp"
[[rules]]
prefix = "+46"
routes = ["operator"]
[[rules]]
prefix = ""
routes = ["sims"]
[[smpp]]
route = "operator"
host = "127.0.0.1"
port = {smsc_port}
system_id = "smsgw"
password = "secret"
[[webhooks]]
name = "crm"
url = "http://127.0.0.1:{dead_port}/hook"
secret = "webhook-secret-0123456789"
events = ["message.received"]
timeout = "500ms"
retry_base = "100ms"
retry_max = "200ms"
retry_for = "1s"
"#
    );
    for name in ["sim1", "sim2"] {
        c.push_str(&format!(
            "[[modems]]\nname = \"{name}\"\ndevice = \"{d}/{name}\"\nroute = \"sims\"\ndaily_limit = 400\n\
             [modems.timeouts]\ncommand = \"1s\"\nprompt = \"1s\"\nresult = \"3s\"\nprobe_every = \"500ms\"\n\
             poll_every = \"1s\"\nsweep_every = \"2s\"\nregistration = \"10s\"\n",
            d = dir.display()
        ));
    }
    c
}

/// What to do with an element.
enum Act<'a> {
    Click,
    Type(&'a str),
}

/// Does `act` on the element `css`. Pages redraw themselves on live events, which replaces
/// their elements: one found just before a redraw is stale, so it is looked up again
/// (bounded).
async fn act(c: &Client, css: &str, act: Act<'_>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tried = match c.find(Locator::Css(css)).await {
            Ok(e) => match act {
                Act::Click => e.click().await,
                Act::Type(text) => e.send_keys(text).await,
            },
            Err(e) => Err(e),
        };
        match tried {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                eprintln!("{css}: {e}; looking it up again");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot use {css}: {e}"),
        }
    }
}

async fn click(c: &Client, css: &str) {
    act(c, css, Act::Click).await;
}

async fn type_into(c: &Client, css: &str, text: &str) {
    act(c, css, Act::Type(text)).await;
}

/// Presses and releases one key, as a person at the keyboard would (to whatever has focus).
async fn press(c: &Client, key: Key) {
    let k: char = key.into();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    c.perform_actions(keys).await.unwrap();
}

/// The text of the focused element.
async fn focused_text(c: &Client) -> String {
    let v = c
        .execute(
            "return document.activeElement ? document.activeElement.textContent.trim() : ''",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

/// Reloads the page until `expr` holds in it (for what a page reads only when drawn).
async fn reload_until(c: &Client, what: &str, expr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        c.refresh().await.unwrap();
        until(
            c,
            what,
            "document.querySelector('#view').dataset.loaded === 'true'",
            Duration::from_secs(10),
        )
        .await;
        let held = c
            .execute(&format!("return !!({expr});"), vec![])
            .await
            .unwrap();
        if held == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: `{expr}` never held");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_should_serve_the_front_desk_in_a_real_browser() {
    if !crate::peer::available(
        "chromedriver",
        &["--version"],
        "apt-get install chromium-driver",
    ) || !crate::peer::available("chromium", &["--version"], "apt-get install chromium")
    {
        return;
    }
    let axe = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let sim1 = modem(dir.path(), "sim1", "First Net").await;
    let sim2 = modem(dir.path(), "sim2", "Second Net").await;
    // Nothing listens here: the webhook's deliveries fail and become dead letters.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smsc = hw_sim::smsc::start(hw_sim::smsc::SmscConfig::default())
        .await
        .unwrap();
    let cfg = write_config(
        dir.path(),
        &config(dir.path(), dead_port, smsc.smpp_addr.port()),
    );
    let mut daemon = Daemon::start(dir.path(), &cfg);
    let http = reqwest::Client::new();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;

    // Sign in with the form: the console sends a browser without a session there.
    c.goto(&daemon.base).await.unwrap();
    until(
        &c,
        "sign-in form",
        "location.pathname === '/console/sign-in' && document.querySelector('#token')",
        Duration::from_secs(20),
    )
    .await;
    accessible(&c, axe.as_deref(), "sign-in").await;
    screenshot(&c, "sign-in").await;
    type_into(&c, "#token", "wrong-token").await;
    click(&c, "button[type=submit]").await;
    until(&c, "refusal shown", "document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('not accepted')", Duration::from_secs(10)).await;
    type_into(&c, "#token", TOKEN).await;
    click(&c, "button[type=submit]").await;
    until(
        &c,
        "signed in",
        "document.querySelector('#view').dataset.page === 'overview'",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(
        c.current_url().await.unwrap().query(),
        None,
        "no token in the URL"
    );
    let cookie_visible = c.execute("return document.cookie", vec![]).await.unwrap();
    assert_eq!(cookie_visible, json!(""), "the session cookie is HttpOnly");

    // Both SIMs, with signal, operator and today's count against the limit; live.
    until(
        &c,
        "both modems ready",
        "document.querySelectorAll('#modems .card.up').length === 2",
        Duration::from_secs(40),
    )
    .await;
    let text = until(
        &c,
        "overview text",
        "document.querySelector('#modems').innerText",
        Duration::from_secs(5),
    )
    .await;
    let text = text.as_str().unwrap();
    for want in [
        "sim1",
        "sim2",
        "First Net",
        "Second Net",
        "of 400 sent",
        "dBm",
    ] {
        assert!(text.contains(want), "overview lacks {want:?}: {text}");
    }
    until(
        &c,
        "signal bars",
        "document.querySelectorAll('#modems .bars i.on').length > 0",
        Duration::from_secs(5),
    )
    .await;
    until(
        &c,
        "live",
        "document.querySelector('#live').textContent === 'live'",
        Duration::from_secs(10),
    )
    .await;
    until(&c, "chart with a time axis", "document.querySelectorAll('svg.chart text').length > 3 && document.querySelector('svg.chart polyline[data-series=sent]')", Duration::from_secs(5)).await;
    let link = until(
        &c,
        "the SMPP link bound",
        "document.querySelector('#links .card.up') && document.querySelector('#links').innerText",
        Duration::from_secs(30),
    )
    .await;
    let link = link.as_str().unwrap();
    assert!(
        link.contains("operator") && link.contains("bound") && link.contains("in use"),
        "{link}"
    );
    accessible(&c, axe.as_deref(), "overview").await;
    screenshot(&c, "overview").await;

    // Keyboard only: the first Tab reaches the skip link, further Tabs the page links in
    // order, and Enter on "Messages" opens that page.
    c.refresh().await.unwrap();
    until(
        &c,
        "overview reloaded",
        "document.querySelector('#view').dataset.page === 'overview'",
        Duration::from_secs(20),
    )
    .await;
    press(&c, Key::Tab).await;
    assert_eq!(
        focused_text(&c).await,
        "Skip to content",
        "the first Tab stop"
    );
    let mut stops = Vec::new();
    while focused_text(&c).await != "Messages" {
        assert!(stops.len() < 10, "Tab never reached Messages: {stops:?}");
        press(&c, Key::Tab).await;
        stops.push(focused_text(&c).await);
    }
    assert_eq!(
        stops.first().map(String::as_str),
        Some("Overview"),
        "{stops:?}"
    );
    press(&c, Key::Enter).await;
    until(
        &c,
        "Messages opened by keyboard",
        "document.querySelector('#view').dataset.page === 'messages'",
        Duration::from_secs(10),
    )
    .await;
    c.goto(&format!("{}/#/overview", daemon.base))
        .await
        .unwrap();

    // The reminder goes out through a SIM.
    let r: Value = http
        .post(format!("{}/v1/messages", daemon.base))
        .bearer_auth(TOKEN)
        .json(&json!({"to": CUSTOMER, "text": "Reminder: your car service is on Friday at 8:00. Reply to move it.", "reference": "appt-42", "expects_reply": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reminder = r["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let via = loop {
        let m: Value = http
            .get(format!("{}/v1/messages/{reminder}", daemon.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if m["status"] == "sent" || m["status"] == "delivered" {
            break m["parts"][0]["modem"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the reminder was never sent: {m:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // The front desk waits on the conversations page; the customer answers the SIM that
    // wrote to them, and the reply appears without a reload, under the reminder.
    c.goto(&format!("{}/#/conversations", daemon.base))
        .await
        .unwrap();
    until(
        &c,
        "conversations page",
        "document.querySelector('#view').dataset.page === 'conversations'",
        Duration::from_secs(10),
    )
    .await;
    let answering = if via == "sim1" { &sim1 } else { &sim2 };
    answering
        .inject_text(
            CUSTOMER,
            "Friday is bad for me — can we move it to Saturday? 🙏 Kiitos!",
            true,
            false,
        )
        .await
        .unwrap();
    until(
        &c,
        "the thread appears live",
        &format!(
            "document.querySelector('#threads a[href=\"#/conversations/{}\"]')",
            "%2B358401234567"
        ),
        Duration::from_secs(30),
    )
    .await;
    until(&c, "unread badge", "document.querySelector('#threads .badge') && document.querySelector('#threads .badge').textContent === '1'", Duration::from_secs(5)).await;
    click(&c, "#threads a").await;
    until(
        &c,
        "thread open",
        "document.querySelectorAll('#thread .bubble').length === 2",
        Duration::from_secs(10),
    )
    .await;
    let bubbles = c
        .execute("return [...document.querySelectorAll('#thread .bubble')].map(b => [b.className, b.innerText])", vec![])
        .await
        .unwrap();
    assert!(bubbles[0][0].as_str().unwrap().contains("out"), "{bubbles}");
    assert!(
        bubbles[0][1]
            .as_str()
            .unwrap()
            .contains("Reminder: your car service"),
        "{bubbles}"
    );
    let reply = bubbles[1][1].as_str().unwrap();
    assert!(bubbles[1][0].as_str().unwrap().contains("in"), "{bubbles}");
    assert!(
        reply.contains("Saturday? 🙏 Kiitos!"),
        "shown as written: {reply}"
    );
    assert!(
        reply.contains("answers ref appt-42"),
        "under the reminder it answers: {reply}"
    );
    assert!(
        reply.contains(&format!("on {via}")),
        "the SIM it came in on: {reply}"
    );
    until(
        &c,
        "read once opened",
        "!document.querySelector('#threads .badge')",
        Duration::from_secs(10),
    )
    .await;
    accessible(&c, axe.as_deref(), "conversation").await;
    screenshot(&c, "conversation").await;

    // The answer goes back through the same route; it shows up in the thread, then delivered.
    type_into(&c, "#reply-text", "Saturday 10:00 works — see you then!").await;
    click(&c, "#reply-send").await;
    until(
        &c,
        "answer in the thread",
        "document.querySelectorAll('#thread .bubble.out').length === 2",
        Duration::from_secs(15),
    )
    .await;
    // The SIM's status report comes back: the thread shows the answer delivered, live.
    until(&c, "answer delivered", "(() => { const b = [...document.querySelectorAll('#thread .bubble.out')].pop(); return b.innerText.includes('Saturday 10:00') && /\\bdelivered\\b/.test(b.innerText); })()", Duration::from_secs(30)).await;
    let answer_via = c
        .execute(
            "return [...document.querySelectorAll('#thread .bubble.out')].pop().innerText",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        answer_via
            .as_str()
            .unwrap_or_default()
            .contains(&format!("via {via}")),
        "the answer leaves from the SIM the customer wrote to ({via}): {answer_via}"
    );
    until(
        &c,
        "handled after answering",
        "document.querySelector('#mark-handled').textContent === 'Reopen'",
        Duration::from_secs(10),
    )
    .await;
    // With the thread open, the customer writes again: it appears without a reload, and
    // the thread is open (not handled) again.
    answering
        .inject_text(CUSTOMER, "Perfect, thanks!", false, false)
        .await
        .unwrap();
    until(&c, "new reply live in the open thread", "[...document.querySelectorAll('#thread .bubble.in')].some(b => b.innerText.includes('Perfect, thanks!'))", Duration::from_secs(30)).await;
    until(
        &c,
        "open again",
        "document.querySelector('#mark-handled').textContent === 'Mark handled'",
        Duration::from_secs(10),
    )
    .await;
    // Search by the reminder's reference finds the thread.
    type_into(&c, "#thread-search", "appt-42").await;
    click(&c, "form.filters button[type=submit]").await;
    until(&c, "found by reference", "location.hash.includes('q=appt-42') && document.querySelectorAll('#threads li').length === 1", Duration::from_secs(10)).await;
    let sent_to = sim1.sent_messages().len() + sim2.sent_messages().len();
    assert!(
        sent_to >= 2,
        "both messages left through the simulated SIMs"
    );

    // Messages: search by reference, open the detail.
    c.goto(&format!("{}/#/messages", daemon.base))
        .await
        .unwrap();
    until(
        &c,
        "messages page",
        "document.querySelector('#messages')",
        Duration::from_secs(10),
    )
    .await;
    type_into(&c, "#f-ref", "appt-42").await;
    click(&c, "form.filters button[type=submit]").await;
    until(
        &c,
        "filtered",
        "document.querySelectorAll('#messages tbody tr').length === 1",
        Duration::from_secs(10),
    )
    .await;
    accessible(&c, axe.as_deref(), "messages").await;
    screenshot(&c, "messages").await;
    click(&c, "#messages tbody a").await;
    until(
        &c,
        "message detail",
        "document.querySelector('#parts') && document.querySelector('#history')",
        Duration::from_secs(10),
    )
    .await;
    let detail = until(
        &c,
        "detail text",
        "document.querySelector('#view').innerText",
        Duration::from_secs(5),
    )
    .await;
    let detail = detail.as_str().unwrap();
    assert!(
        detail.contains(&via) && detail.contains("appt-42") && detail.contains("queued"),
        "{detail}"
    );
    accessible(&c, axe.as_deref(), "message detail").await;
    screenshot(&c, "message").await;

    // A message scheduled for tomorrow can be canceled from its page.
    let later: Value = http
        .post(format!("{}/v1/messages", daemon.base))
        .bearer_auth(TOKEN)
        .json(&json!({"to": CUSTOMER, "text": "See you next week!",
            "send_at": smsgw::model::Timestamp(smsgw::model::Timestamp::now().as_millis() + 86_400_000).to_rfc3339()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let later = later["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{later}"))
        .to_string();
    c.goto(&format!("{}/#/messages/{later}", daemon.base))
        .await
        .unwrap();
    until(
        &c,
        "cancel button",
        "document.querySelector('#cancel')",
        Duration::from_secs(10),
    )
    .await;
    click(&c, "#cancel").await;
    c.accept_alert().await.unwrap();
    until(&c, "canceled", "document.querySelector('#view').innerText.includes('canceled') && !document.querySelector('#cancel')", Duration::from_secs(10)).await;

    // Suppressions: add one; it is listed.
    c.goto(&format!("{}/#/suppressions", daemon.base))
        .await
        .unwrap();
    until(
        &c,
        "suppressions page",
        "document.querySelector('#add-suppression')",
        Duration::from_secs(10),
    )
    .await;
    type_into(&c, "#s-number", "0407654321").await;
    type_into(&c, "#s-note", "asked at the desk").await;
    click(&c, "#add-suppression button").await;
    until(&c, "suppression listed", "document.querySelector('#suppressions') && document.querySelector('#suppressions').innerText.includes('+358407654321')", Duration::from_secs(10)).await;
    accessible(&c, axe.as_deref(), "suppressions").await;
    screenshot(&c, "suppressions").await;
    click(&c, "#suppressions button").await;
    until(
        &c,
        "suppression removed",
        "!document.querySelector('#suppressions')",
        Duration::from_secs(10),
    )
    .await;
    let csv = dir.path().join("opt-outs.csv");
    std::fs::write(
        &csv,
        "number,scope,note\n0401112222,global,paper form\n+358403334444,global,phone call\n",
    )
    .unwrap();
    type_into(&c, "#s-csv", &csv.display().to_string()).await;
    click(&c, "#import-suppressions button").await;
    until(
        &c,
        "imported",
        "document.querySelectorAll('#suppressions tbody tr').length === 2 && document.querySelector('#toast').textContent.includes('Imported 2')",
        Duration::from_secs(10),
    )
    .await;

    // Webhooks: the received message's delivery died (nothing listens); replay it.
    c.goto(&format!("{}/#/webhooks", daemon.base))
        .await
        .unwrap();
    // The webhooks page reads dead letters when drawn (they are not live events).
    reload_until(
        &c,
        "a dead letter listed",
        "document.querySelectorAll('.dead-letters tbody tr').length > 0",
    )
    .await;
    accessible(&c, axe.as_deref(), "webhooks").await;
    screenshot(&c, "webhooks").await;
    click(&c, ".dead-letters button").await;
    until(
        &c,
        "replayed",
        "document.querySelector('#toast').textContent.includes('replayed')",
        Duration::from_secs(10),
    )
    .await;
    // Nothing listens yet, so it dies again; replay them all at once.
    reload_until(
        &c,
        "dead letters to replay all",
        "document.querySelector('[id^=replay-all]')",
    )
    .await;
    click(&c, "[id^=replay-all]").await;
    until(
        &c,
        "replayed all",
        "/Replayed [1-9]/.test(document.querySelector('#toast').textContent)",
        Duration::from_secs(10),
    )
    .await;

    // A modem that hangs goes down on the overview, live.
    c.goto(&format!("{}/#/overview", daemon.base))
        .await
        .unwrap();
    until(
        &c,
        "overview again",
        "document.querySelectorAll('#modems .card.up').length === 2",
        Duration::from_secs(20),
    )
    .await;
    until(
        &c,
        "the webhook target shows as failing",
        "document.querySelector('#webhook-backlogs').innerText.includes('failing since')",
        Duration::from_secs(10),
    )
    .await;
    sim2.fault(hw_sim::Fault::Hang).await.unwrap();
    until(
        &c,
        "sim2 down",
        "document.querySelector('#modems .card.down[data-modem=sim2]')",
        Duration::from_secs(40),
    )
    .await;
    screenshot(&c, "modem-down").await;

    // A new number answers STOP (to sim1: sim2 hangs now): its thread shows the opt-out
    // the keyword caused.
    sim1.inject_text("+358405556666", "STOP", false, false)
        .await
        .unwrap();
    c.goto(&format!("{}/#/conversations/%2B358405556666", daemon.base))
        .await
        .unwrap();
    reload_until(
        &c,
        "the STOP reply with its opt-out",
        "[...document.querySelectorAll('#thread .bubble.in')].some(b => /keyword “stop” → opt out/i.test(b.innerText))",
    )
    .await;
    screenshot(&c, "conversation-stop").await;

    // At a phone's width, the thread (reminder, reply, answer, second reply, the canceled
    // message) still reads and answers.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{}/#/conversations/%2B358401234567", daemon.base))
        .await
        .unwrap();
    until(&c, "thread at phone width", "document.querySelectorAll('#thread .bubble').length === 5 && document.querySelector('#reply-text')", Duration::from_secs(10)).await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "no sideways scrolling at phone width ({overflow})"
    );
    screenshot(&c, "conversation-phone").await;

    // Signing out ends the session: the console goes back to the form.
    click(&c, "#sign-out").await;
    until(
        &c,
        "signed out",
        "location.pathname === '/console/sign-in'",
        Duration::from_secs(10),
    )
    .await;
    c.goto(&daemon.base).await.unwrap();
    until(
        &c,
        "needs sign-in again",
        "location.pathname === '/console/sign-in'",
        Duration::from_secs(10),
    )
    .await;

    c.close().await.unwrap();
    drop(driver);
    daemon.terminate();
    sim1.shutdown().await;
    sim2.shutdown().await;
    smsc.shutdown().await;
}
