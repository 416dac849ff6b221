//! smsgw side by side with Kannel 1.4.5 (issue 14, item 1).
//!
//! One node-smpp SMSC (`tests/peers/node_smsc.js`, npm `smpp` 0.5.1, receipts at once) for
//! the whole run; in turn, each on a fresh process and data directory: Kannel (bearerbox +
//! smsbox, `smsc = smpp`, `/cgi-bin/sendsms`), smsgw through `POST /v1/messages` and smsgw
//! through its Kannel-compatible `/cgi-bin/sendsms`. 50 keep-alive clients send one request
//! per message; messages rotate short GSM-7, UCS-2 and 3-part GSM-7. With receipts, each
//! message carries its own dlr-url (dlr-mask 3) / callback_url (`callback_events`: the final
//! outcomes) to a local receiver that counts callbacks. Also: the simulator's own ceiling (a
//! raw SMPP client, receipts included), 1% and 10% ESME_RTHROTTLED, and one request at a time
//! (bytes written to disk per message).
//!
//! Kannel runs as packaged (`/usr/sbin/bearerbox`, `/usr/sbin/smsbox`) with a generated
//! kannel.conf: every port (admin, smsbox, sendsms) bound to 127.0.0.1, log level 2
//! (warnings) to files and only panics on stderr (`-v 4`), `dlr-storage = internal`, its
//! message store `store-type = spool` unless SMSGW_VSK_KANNEL_STORE says `file` or `none`, and
//! `max-pending-submits` = the window smsgw's link gets, and `sms-resend-freq = 1` (Kannel's
//! default of 60 s would make every throttled run a minute's wait for the last refused
//! message: Kannel sends a message refused with ESME_RTHROTTLED again only at that period,
//! besides pausing the link a second after each refusal). smsgw runs its release binary with
//! `[log] filter = "warn"`. Figures per gateway come from /proc of its processes (both boxes
//! for Kannel): CPU (utime + stime), VmHWM, `write_bytes` (and `cancelled_write_bytes`) of
//! /proc/PID/io; submit_sm and their times from the simulator's log.
//!
//!   bench/vs-kannel/run                                  # installs what is missing, then this
//!   SMSGW_VSK_MESSAGES=1500 SMSGW_VSK_ROUNDS=1 SMSGW_VSK_SERIAL=60 bench/vs-kannel/run  # quick
//!
//! Knobs: SMSGW_VSK_MESSAGES (10000 per round), SMSGW_VSK_ROUNDS (3), SMSGW_VSK_CLIENTS (50),
//! SMSGW_VSK_SERIAL (300 messages one at a time), SMSGW_VSK_WINDOW (100, both gateways),
//! SMSGW_VSK_THROTTLED (messages per throttled round: 2000 or fewer), SMSGW_VSK_KANNEL_RESEND
//! (Kannel's sms-resend-freq, 1 s), SMSGW_VSK_KANNEL_STORE (spool), SMSGW_KANNEL_DIR (/usr/sbin), SMSGW_NODE_MODULES
//! (target/node-smpp/node_modules). A gateway that answers no request for 30 s stops the run
//! with the tail of its logs; one that makes no progress delivering for 20 s is reported with
//! what it did deliver. The report is printed and written to target/vs-kannel/report.md.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{Semaphore, mpsc};

mod support;
use support::{cpu_seconds, env_num, median, proc_field};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The recipient of message `i` of a round; the SMSC's log is matched on its last 8 digits.
fn number(i: u64) -> String {
    format!("+3584{:08}", i % 100_000_000)
}

fn key_of(to: &str) -> Option<u64> {
    let digits: String = to.chars().filter(char::is_ascii_digit).collect();
    digits.get(digits.len().checked_sub(8)?..)?.parse().ok()
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Gsm,
    Ucs2,
    Long,
}

fn message(i: u64) -> (Kind, String, u32) {
    match i % 3 {
        0 => (
            Kind::Gsm,
            format!("Your order {i} is ready for pick-up until Friday."),
            1,
        ),
        1 => (
            Kind::Ucs2,
            format!("Заказ {i} готов. Заберите его до пятницы."),
            1,
        ),
        _ => (
            Kind::Long,
            {
                // 400 GSM-7 characters (ASCII): three parts of at most 153.
                let mut t = format!("Reminder {i}: ");
                t.push_str(
                    &"your appointment is on Friday at 10:00, please bring your card. ".repeat(7),
                );
                t.truncate(400);
                t
            },
            3,
        ),
    }
}

// ---------------------------------------------------------------------------------------
// The SMSC simulator

#[derive(Default)]
struct SmscLog {
    /// Message key → (parts accepted, when the last one was).
    parts: HashMap<u64, (u32, i64)>,
    last_ms: i64,
}

struct Smsc {
    port: u16,
    stdin: ChildStdin,
    log: Arc<Mutex<SmscLog>>,
    binds: Arc<AtomicU64>,
    stats: mpsc::UnboundedReceiver<serde_json::Value>,
    _child: Child,
}

#[derive(Clone, Copy, Default)]
struct SmscStats {
    accepted: u64,
    throttled: u64,
    receipts: u64,
}

impl Smsc {
    async fn start(modules: &Path) -> Smsc {
        let support::NodeSmsc {
            child,
            port,
            stdin,
            mut lines,
        } = support::NodeSmsc::start(
            modules,
            &[("SMSC_LOG_SUBMITS", "brief"), ("SMSC_RECEIPTS", "DELIVRD")],
        )
        .await;
        let log = Arc::new(Mutex::new(SmscLog::default()));
        let binds = Arc::new(AtomicU64::new(0));
        let (tx, stats) = mpsc::unbounded_channel();
        {
            let log = log.clone();
            let binds = binds.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                        continue;
                    };
                    match v["event"].as_str() {
                        Some("s") => {
                            let ms = v["ms"].as_i64().unwrap_or(0);
                            if let Some(k) = v["to"].as_str().and_then(key_of) {
                                let mut log = log.lock();
                                let e = log.parts.entry(k).or_insert((0, 0));
                                e.0 += 1;
                                e.1 = ms;
                                log.last_ms = log.last_ms.max(ms);
                            }
                        }
                        Some("bind") => {
                            binds.fetch_add(1, Ordering::Relaxed);
                        }
                        Some("stats") => {
                            let _ = tx.send(v);
                        }
                        _ => {}
                    }
                }
            });
        }
        Smsc {
            port,
            stdin,
            log,
            binds,
            stats,
            _child: child,
        }
    }

    async fn line(&mut self, l: &str) {
        self.stdin.write_all(l.as_bytes()).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn throttle(&mut self, fraction: f64) {
        self.line(&format!("throttle {fraction}")).await;
        // Applied when the script reads the line; a stats answer comes after it.
        self.stats().await;
    }

    async fn stats(&mut self) -> SmscStats {
        self.line("stats").await;
        let v = tokio::time::timeout(Duration::from_secs(10), self.stats.recv())
            .await
            .expect("the simulator answers stats")
            .unwrap();
        SmscStats {
            accepted: v["accepted"].as_u64().unwrap_or(0),
            throttled: v["throttled"].as_u64().unwrap_or(0),
            receipts: v["receipts"].as_u64().unwrap_or(0),
        }
    }

    fn clear(&self) {
        *self.log.lock() = SmscLog::default();
    }
}

// ---------------------------------------------------------------------------------------
// The callback receiver

#[derive(Default)]
struct Callbacks {
    total: u64,
    /// Message key → when its first final report (delivered/failed) came.
    finals: HashMap<u64, i64>,
    last_ms: i64,
}

type Shared = Arc<Mutex<Callbacks>>;

async fn receiver() -> (u16, Shared) {
    use axum::extract::{Query, State};
    use axum::routing::{get, post};
    let shared: Shared = Arc::default();
    fn record(s: &Shared, m: Option<u64>, fin: bool) {
        let mut c = s.lock();
        let t = now_ms();
        c.total += 1;
        c.last_ms = t;
        if let (Some(m), true) = (m, fin) {
            c.finals.entry(m).or_insert(t);
        }
    }
    // Kannel's (and smsgw's Kannel-compatible) dlr-url: GET /dlr?m=KEY&t=%d.
    async fn dlr(
        State(s): State<Shared>,
        Query(q): Query<HashMap<String, String>>,
    ) -> &'static str {
        let m = q.get("m").and_then(|v| v.parse().ok());
        let fin = matches!(
            q.get("t").map(String::as_str),
            Some("1") | Some("2") | Some("16")
        );
        record(&s, m, fin);
        "ok"
    }
    // smsgw's callback_url: POST /cb?m=KEY with a message.status event.
    async fn cb(
        State(s): State<Shared>,
        Query(q): Query<HashMap<String, String>>,
        body: axum::body::Bytes,
    ) -> &'static str {
        let m = q.get("m").and_then(|v| v.parse().ok());
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let fin = matches!(
            v["data"]["status"].as_str(),
            Some("delivered" | "undelivered" | "failed" | "expired")
        );
        record(&s, m, fin);
        "ok"
    }
    let app = axum::Router::new()
        .route("/dlr", get(dlr))
        .route("/cb", post(cb))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, shared)
}

// ---------------------------------------------------------------------------------------
// The gateways

#[derive(Clone, Copy, PartialEq, Debug)]
enum Gw {
    Kannel,
    SmsgwJson,
    SmsgwKannelApi,
}

impl Gw {
    fn name(self) -> &'static str {
        match self {
            Gw::Kannel => "Kannel 1.4.5 /cgi-bin/sendsms",
            Gw::SmsgwJson => "smsgw POST /v1/messages",
            Gw::SmsgwKannelApi => "smsgw /cgi-bin/sendsms",
        }
    }
}

struct Running {
    children: Vec<Child>,
    http: u16,
    dir: tempfile::TempDir,
}

impl Running {
    fn pids(&self) -> Vec<u32> {
        self.children.iter().filter_map(Child::id).collect()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Env {
    kannel_dir: PathBuf,
    /// Kannel's `store-type`: `spool` (default), `file` or `none`.
    kannel_store: String,
    /// Kannel's `sms-resend-freq` in seconds: when it sends a message the SMSC refused for
    /// the time being (ESME_RTHROTTLED) again.
    kannel_resend: u64,
    window: u64,
    receiver: u16,
}

async fn start(gw: Gw, env: &Env, smsc: &Smsc, receipts: bool) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let binds = smsc.binds.load(Ordering::Relaxed);
    let http = free_port();
    let mut children = Vec::new();
    let spawn = |prog: PathBuf, args: &[String]| {
        // What a gateway says on stdout and stderr, for the error when it stalls.
        let name = prog.file_name().unwrap().to_string_lossy().into_owned();
        let out = std::fs::File::create(dir.path().join(format!("{name}.out"))).unwrap();
        Command::new(&prog)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", prog.display()))
    };
    match gw {
        Gw::Kannel => {
            let boxes = free_port();
            let admin = free_port();
            let conf = format!(
                "group = core\nadmin-port = {admin}\nadmin-interface = 127.0.0.1\n\
                 admin-password = secret\nadmin-allow-ip = 127.0.0.1\n\
                 smsbox-port = {boxes}\nsmsbox-interface = 127.0.0.1\nbox-allow-ip = 127.0.0.1\n\
                 log-file = \"{d}/bearerbox.log\"\nlog-level = 2\ndlr-storage = internal\n\
                 sms-resend-freq = {resend}\n{store}\n\
                 group = smsc\nsmsc = smpp\nsmsc-id = sim\nhost = 127.0.0.1\nport = {port}\n\
                 transceiver-mode = true\nsmsc-username = kannel\nsmsc-password = secret\n\
                 system-type = \"VMA\"\n\
                 max-pending-submits = {window}\nenquire-link-interval = 30\n\n\
                 group = smsbox\nbearerbox-host = 127.0.0.1\nbearerbox-port = {boxes}\n\
                 sendsms-port = {http}\nsendsms-interface = 127.0.0.1\n\
                 log-file = \"{d}/smsbox.log\"\nlog-level = 2\n\n\
                 group = sendsms-user\nusername = tester\npassword = foobar\nmax-messages = 10\n\
                 concatenation = true\n",
                port = smsc.port,
                window = env.window,
                resend = env.kannel_resend,
                store = match env.kannel_store.as_str() {
                    "none" => String::new(),
                    kind => {
                        std::fs::create_dir_all(dir.path().join("store")).unwrap();
                        let location = if kind == "file" {
                            "/store/file"
                        } else {
                            "/store"
                        };
                        format!("store-type = {kind}\nstore-location = \"{d}{location}\"\n")
                    }
                },
            );
            std::fs::write(dir.path().join("kannel.conf"), conf).unwrap();
            // `-v 4`: only panics on stderr (its default is every debug line).
            let conf = vec!["-v".into(), "4".into(), format!("{d}/kannel.conf")];
            children.push(spawn(env.kannel_dir.join("bearerbox"), &conf));
            wait_bind(smsc, binds, dir.path()).await;
            children.push(spawn(env.kannel_dir.join("smsbox"), &conf));
        }
        Gw::SmsgwJson | Gw::SmsgwKannelApi => {
            let r = env.receiver;
            let conf = format!(
                "[server]\nlisten = \"127.0.0.1:{http}\"\n\
                 [store]\ndata_dir = \"{d}/data\"\n\
                 [log]\nformat = \"json\"\nfilter = \"warn\"\n\
                 [messages]\ndefault_country = \"358\"\nmax_parts = 10\n\
                 [[routes]]\nname = \"op\"\ntype = \"smpp\"\n\
                 [[rules]]\nprefix = \"\"\nroutes = [\"op\"]\n\
                 [[smpp]]\nroute = \"op\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 system_id = \"smsgw\"\npassword = \"secret\"\nwindow = {window}\n\
                 registered_delivery = {rd}\n\
                 [callbacks]\nsecret = \"bench-callback-secret-0123456789\"\n\
                 allow = [\"http://127.0.0.1:{r}/\"]\n\
                 [kannel]\nenabled = true\ndlr_allow = [\"http://127.0.0.1:{r}/\"]\n\
                 [[kannel.users]]\nusername = \"tester\"\npassword = \"foobar\"\n",
                port = smsc.port,
                window = env.window,
                rd = u8::from(receipts),
            );
            std::fs::write(dir.path().join("smsgw.toml"), conf).unwrap();
            children.push(spawn(
                PathBuf::from(env!("CARGO_BIN_EXE_smsgw")),
                &["run".into(), "--config".into(), format!("{d}/smsgw.toml")],
            ));
            wait_bind(smsc, binds, dir.path()).await;
        }
    }
    let running = Running {
        children,
        http,
        dir,
    };
    // Ready when the HTTP side answers anything (a sendsms without a login is refused).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let url = format!("http://127.0.0.1:{http}/cgi-bin/sendsms");
        if client.get(&url).send().await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} does not answer HTTP on {http} within 30 s\n{}",
            gw.name(),
            tails(running.dir.path())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running
}

async fn wait_bind(smsc: &Smsc, before: u64, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while smsc.binds.load(Ordering::Relaxed) <= before {
        assert!(
            Instant::now() < deadline,
            "no bind at the simulator in 30 s\n{}",
            tails(dir)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The last lines of every log and output file a gateway left in its directory.
fn tails(dir: &Path) -> String {
    let mut out = String::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "log" && ext != "out" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let _ = writeln!(out, "--- {} (last lines)", f.display());
        for l in &lines[lines.len().saturating_sub(15)..] {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}

/// A figure from smsgw's `/metrics` (unlabelled), if it answers.
async fn metric(http: u16, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("http://127.0.0.1:{http}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// smsgw's checkpoint figures by kind of key: keys set, keys removed, bytes (`/metrics`).
async fn checkpoint_kinds(http: u16) -> BTreeMap<String, [f64; 3]> {
    let mut out: BTreeMap<String, [f64; 3]> = BTreeMap::new();
    let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{http}/metrics")).await else {
        return out;
    };
    let text = answer.text().await.unwrap_or_default();
    let families = [
        "smsgw_store_checkpoint_sets_total{kind=\"",
        "smsgw_store_checkpoint_removes_total{kind=\"",
        "smsgw_store_checkpoint_bytes_total{kind=\"",
    ];
    for line in text.lines() {
        for (i, family) in families.iter().enumerate() {
            let Some((kind, value)) = line.strip_prefix(family).and_then(|r| r.split_once("\"} "))
            else {
                continue;
            };
            if let Ok(v) = value.trim().parse::<f64>() {
                out.entry(kind.to_string()).or_default()[i] = v;
            }
        }
    }
    out
}

/// Waits (at most 15 s) until smsgw's checkpoint has written to sled everything journalled so
/// far; returns its journal byte count then.
async fn checkpointed(http: u16) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pending = metric(http, "smsgw_store_journal_bytes_since_checkpoint").await;
        if pending == Some(0.0) || Instant::now() > deadline {
            if pending != Some(0.0) {
                eprintln!("  smsgw: no checkpoint within 15 s; sled's writes may be missing");
            }
            return metric(http, "smsgw_store_journal_bytes_total")
                .await
                .unwrap_or(0.0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// /proc figures of a set of processes.
#[derive(Clone, Copy, Default)]
struct Proc {
    cpu: f64,
    write_bytes: u64,
    /// Of those, bytes whose writeback was cancelled (files truncated or removed first).
    cancelled: u64,
    hwm_kib: u64,
}

fn proc_of(pids: &[u32]) -> Proc {
    let mut p = Proc::default();
    for &pid in pids {
        p.cpu += cpu_seconds(pid);
        p.write_bytes += proc_field(pid, "io", "write_bytes:");
        p.cancelled += proc_field(pid, "io", "cancelled_write_bytes:");
        p.hwm_kib += proc_field(pid, "status", "VmHWM:");
    }
    p
}

// ---------------------------------------------------------------------------------------
// One round

#[derive(Clone, Default)]
struct Round {
    accepted: u64,
    refused: u64,
    completed: u64,
    finals: u64,
    callbacks: u64,
    accepted_per_s: f64,
    submits_per_s: f64,
    e2e_per_s: f64,
    callbacks_per_s: f64,
    final_callbacks_per_s: f64,
    lat_p50: f64,
    lat_p99: f64,
    sent_p50: f64,
    sent_p99: f64,
    cpu_per_10k: f64,
    rss_mib: f64,
    disk_per_msg: f64,
    /// `disk_per_msg` less cancelled writeback.
    disk_net_per_msg: f64,
    /// smsgw: journal record bytes per message (the rest of `disk_per_msg` is page rounding
    /// of the journal's syncs and sled's checkpoints).
    journal_per_msg: f64,
    /// smsgw: what its checkpoints handed to sled per message, by kind of key (the key's
    /// first byte): keys set, keys removed, bytes.
    sled_per_msg: BTreeMap<String, [f64; 3]>,
    throttled: u64,
    /// Receipts (deliver_sm) the simulator sent during the round.
    receipts: u64,
    first_refusal: Option<String>,
}

struct Params {
    n: u64,
    clients: u64,
    receipts: bool,
    throttle: f64,
}

fn request(
    client: &reqwest::Client,
    gw: Gw,
    http: u16,
    receiver: u16,
    i: u64,
    receipts: bool,
) -> reqwest::RequestBuilder {
    let (kind, text, _) = message(i);
    match gw {
        Gw::SmsgwJson => {
            let mut body = serde_json::json!({"to": number(i), "text": text});
            if receipts {
                body["callback_url"] = format!("http://127.0.0.1:{receiver}/cb?m={i}").into();
                // What Kannel's dlr-mask 3 asks for, with the other final outcomes.
                body["callback_events"] =
                    serde_json::json!(["delivered", "undelivered", "failed", "expired"]);
            }
            client
                .post(format!("http://127.0.0.1:{http}/v1/messages"))
                .json(&body)
        }
        Gw::Kannel | Gw::SmsgwKannelApi => {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("username", "tester")
                .append_pair("password", "foobar")
                .append_pair("from", "12345")
                .append_pair("to", &number(i))
                .append_pair("text", &text);
            if kind == Kind::Ucs2 {
                q.append_pair("coding", "2").append_pair("charset", "UTF-8");
            }
            if receipts {
                q.append_pair("dlr-mask", "3").append_pair(
                    "dlr-url",
                    &format!("http://127.0.0.1:{receiver}/dlr?m={i}&t=%d"),
                );
            }
            client.get(format!(
                "http://127.0.0.1:{http}/cgi-bin/sendsms?{}",
                q.finish()
            ))
        }
    }
}

/// Per message: (request start ms, answered ms, latency ms, accepted).
type Answer = (i64, i64, f64, bool);

/// How long a gateway may leave every request unanswered before the bench gives up on it.
const STALL: Duration = Duration::from_secs(30);

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    support::percentile(&v, p)
}

async fn round(gw: Gw, env: &Env, smsc: &mut Smsc, cbs: &Shared, p: &Params) -> Round {
    smsc.throttle(p.throttle).await;
    let running = start(gw, env, smsc, p.receipts).await;
    smsc.clear();
    *cbs.lock() = Callbacks::default();
    let before = smsc.stats().await;
    let pids = running.pids();
    let proc0 = proc_of(&pids);
    let (journal0, sled0) = match gw {
        Gw::Kannel => (0.0, BTreeMap::new()),
        Gw::SmsgwJson | Gw::SmsgwKannelApi => (
            metric(running.http, "smsgw_store_journal_bytes_total")
                .await
                .unwrap_or(0.0),
            checkpoint_kinds(running.http).await,
        ),
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(p.clients as usize)
        .timeout(STALL)
        .build()
        .unwrap();
    let results: Arc<Mutex<Vec<Answer>>> =
        Arc::new(Mutex::new(vec![(0, 0, 0.0, false); p.n as usize]));
    let first_refusal: Arc<Mutex<Option<String>>> = Arc::default();
    let next = Arc::new(AtomicU64::new(0));
    let t0 = now_ms();
    // A gateway that answers nothing for STALL stops the round (and the bench) with its logs.
    let last_answer_ms = Arc::new(std::sync::atomic::AtomicI64::new(t0));
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (last, stalled, next) = (last_answer_ms.clone(), stalled.clone(), next.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if now_ms() - last.load(Ordering::Relaxed) > STALL.as_millis() as i64 {
                    stalled.store(true, Ordering::Relaxed);
                    // No further requests are started.
                    next.fetch_add(1 << 40, Ordering::Relaxed);
                    break;
                }
            }
        })
    };
    let mut workers = Vec::new();
    for _ in 0..p.clients {
        let (client, results, next, first_refusal, last_answer_ms) = (
            client.clone(),
            results.clone(),
            next.clone(),
            first_refusal.clone(),
            last_answer_ms.clone(),
        );
        let (http, receiver, receipts, n) = (running.http, env.receiver, p.receipts, p.n);
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let start = now_ms();
                let t = Instant::now();
                let answer = request(&client, gw, http, receiver, i, receipts)
                    .send()
                    .await;
                let ok = match answer {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        true
                    }
                    Ok(r) => {
                        let status = r.status();
                        let body = r.text().await.unwrap_or_default();
                        first_refusal
                            .lock()
                            .get_or_insert_with(|| format!("{status} {body}"));
                        false
                    }
                    Err(e) => {
                        first_refusal.lock().get_or_insert_with(|| e.to_string());
                        false
                    }
                };
                let lat = t.elapsed().as_secs_f64() * 1000.0;
                let end = now_ms();
                last_answer_ms.fetch_max(end, Ordering::Relaxed);
                results.lock()[i as usize] = (start, end, lat, ok);
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    watchdog.abort();
    if stalled.load(Ordering::Relaxed) {
        panic!(
            "{} stalled: no answer to any request for {} s ({} of {} requests started); \
             stopping the bench\n{}",
            gw.name(),
            STALL.as_secs(),
            next.load(Ordering::Relaxed) & ((1 << 40) - 1),
            p.n,
            tails(running.dir.path())
        );
    }
    let results = std::mem::take(&mut *results.lock());
    let accepted: Vec<u64> = (0..p.n).filter(|&i| results[i as usize].3).collect();
    let last_answer = results.iter().map(|r| r.1).max().unwrap_or(t0);

    // Drain: until every accepted message is at the SMSC (and called back), or `patience`
    // without progress: 20 s, and with a throttling SMSC 15 s more than Kannel's
    // sms-resend-freq, after which it sends a refused message again.
    let patience = Duration::from_secs(if p.throttle > 0.0 {
        20.max(env.kannel_resend + 15)
    } else {
        20
    });
    let want_parts = |i: u64| message(i).2;
    let mut last_progress = (Instant::now(), 0u64);
    loop {
        let done = {
            let log = smsc.log.lock();
            accepted
                .iter()
                .filter(|&&i| log.parts.get(&i).is_some_and(|e| e.0 >= want_parts(i)))
                .count() as u64
        };
        let finals = if p.receipts {
            cbs.lock().finals.len() as u64
        } else {
            0
        };
        let progress = done + finals;
        let target = accepted.len() as u64 * if p.receipts { 2 } else { 1 };
        if progress >= target {
            break;
        }
        if progress > last_progress.1 {
            last_progress = (Instant::now(), progress);
        } else if last_progress.0.elapsed() > patience {
            eprintln!(
                "  {}: gave up waiting ({} s without progress): {done} of {} at the SMSC, \
                 {finals} called back\n{}",
                gw.name(),
                patience.as_secs(),
                accepted.len(),
                tails(running.dir.path())
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Give the last callbacks' neighbours (non-final events) a moment to be counted.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // smsgw writes sled only at checkpoints, every few seconds: a round shorter than that
    // would leave its sled writes out of the figure. Wait for one that covers the round.
    let (journal1, sled1) = match gw {
        Gw::Kannel => (0.0, BTreeMap::new()),
        Gw::SmsgwJson | Gw::SmsgwKannelApi => (
            checkpointed(running.http).await,
            checkpoint_kinds(running.http).await,
        ),
    };
    let proc1 = proc_of(&pids);
    let after = smsc.stats().await;
    drop(running);

    let log = std::mem::take(&mut *smsc.log.lock());
    let c = std::mem::take(&mut *cbs.lock());
    let secs = |end: i64| ((end - t0).max(1)) as f64 / 1000.0;
    let mut sent_lat = Vec::new();
    let mut last_done = t0;
    for &i in &accepted {
        if let Some(&(parts, ms)) = log.parts.get(&i)
            && parts >= want_parts(i)
        {
            sent_lat.push((ms - results[i as usize].0) as f64);
            last_done = last_done.max(ms);
        }
    }
    let lats: Vec<f64> = accepted.iter().map(|&i| results[i as usize].2).collect();
    let n_acc = accepted.len() as u64;
    let submits = after.accepted - before.accepted;
    Round {
        accepted: n_acc,
        refused: p.n - n_acc,
        completed: sent_lat.len() as u64,
        finals: c.finals.len() as u64,
        callbacks: c.total,
        accepted_per_s: n_acc as f64 / secs(last_answer),
        submits_per_s: submits as f64 / secs(log.last_ms.max(t0 + 1)),
        e2e_per_s: sent_lat.len() as f64 / secs(last_done),
        callbacks_per_s: c.total as f64 / secs(c.last_ms.max(t0 + 1)),
        final_callbacks_per_s: c.finals.len() as f64
            / secs(c.finals.values().copied().max().unwrap_or(t0 + 1)),
        lat_p50: pct(lats.clone(), 0.5),
        lat_p99: pct(lats, 0.99),
        sent_p50: pct(sent_lat.clone(), 0.5),
        sent_p99: pct(sent_lat, 0.99),
        cpu_per_10k: (proc1.cpu - proc0.cpu) / n_acc.max(1) as f64 * 10_000.0,
        rss_mib: proc1.hwm_kib as f64 / 1024.0,
        disk_per_msg: (proc1.write_bytes - proc0.write_bytes) as f64 / n_acc.max(1) as f64,
        disk_net_per_msg: (proc1.write_bytes - proc0.write_bytes)
            .saturating_sub(proc1.cancelled - proc0.cancelled) as f64
            / n_acc.max(1) as f64,
        journal_per_msg: (journal1 - journal0) / n_acc.max(1) as f64,
        sled_per_msg: sled1
            .into_iter()
            .map(|(kind, after)| {
                let before = sled0.get(&kind).copied().unwrap_or_default();
                let per = |i: usize| (after[i] - before[i]) / n_acc.max(1) as f64;
                (kind, [per(0), per(1), per(2)])
            })
            .collect(),
        throttled: after.throttled - before.throttled,
        receipts: after.receipts - before.receipts,
        first_refusal: first_refusal.lock().clone(),
    }
}

// ---------------------------------------------------------------------------------------
// The simulator's ceiling: a raw SMPP client, window as the gateways', receipts asked.

fn pdu(cmd: u32, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + body.len());
    v.extend_from_slice(&(16 + body.len() as u32).to_be_bytes());
    v.extend_from_slice(&cmd.to_be_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn cstr(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(s.as_bytes());
    v.push(0);
}

/// The submit_sm bodies of message `i` (GSM-7 unpacked as data_coding 0, UCS-2 as 8,
/// three parts with a concatenation UDH).
fn submits_of(i: u64) -> Vec<Vec<u8>> {
    let (kind, text, parts) = message(i);
    let (coding, bytes): (u8, Vec<u8>) = match kind {
        Kind::Ucs2 => (8, text.encode_utf16().flat_map(u16::to_be_bytes).collect()),
        _ => (0, text.into_bytes()),
    };
    let chunks: Vec<Vec<u8>> = if parts == 1 {
        vec![bytes]
    } else {
        bytes
            .chunks(153)
            .enumerate()
            .map(|(n, c)| {
                let mut m = vec![5, 0, 3, (i % 256) as u8, parts as u8, n as u8 + 1];
                m.extend_from_slice(c);
                m
            })
            .collect()
    };
    chunks
        .into_iter()
        .map(|sm| {
            let mut b = Vec::new();
            cstr(&mut b, "");
            b.extend_from_slice(&[1, 1]);
            cstr(&mut b, "12345");
            b.extend_from_slice(&[1, 1]);
            cstr(&mut b, &number(i)[1..]);
            b.push(if parts > 1 { 0x40 } else { 0 });
            b.extend_from_slice(&[0, 0]);
            cstr(&mut b, "");
            cstr(&mut b, "");
            b.extend_from_slice(&[1, 0, coding, 0, sm.len() as u8]);
            b.extend_from_slice(&sm);
            b
        })
        .collect()
}

struct Ceiling {
    submits_per_s: f64,
    e2e_per_s: f64,
    receipts_per_s: f64,
}

async fn ceiling(smsc: &mut Smsc, n: u64, window: u64) -> Ceiling {
    smsc.throttle(0.0).await;
    smsc.clear();
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", smsc.port))
        .await
        .unwrap();
    sock.set_nodelay(true).unwrap();
    let mut bind = Vec::new();
    for s in ["ceiling", "secret", ""] {
        cstr(&mut bind, s);
    }
    bind.extend_from_slice(&[0x34, 0, 0, 0]);
    sock.write_all(&pdu(0x09, 1, &bind)).await.unwrap();
    let mut head = [0u8; 16];
    sock.read_exact(&mut head).await.unwrap();
    let len = u32::from_be_bytes(head[0..4].try_into().unwrap()) as usize;
    let mut rest = vec![0; len - 16];
    sock.read_exact(&mut rest).await.unwrap();
    let (mut rd, mut wr) = sock.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut buf = first;
            while let Ok(more) = rx.try_recv() {
                buf.extend_from_slice(&more);
            }
            if wr.write_all(&buf).await.is_err() {
                break;
            }
        }
    });
    let room = Arc::new(Semaphore::new(window as usize));
    let total_parts: u64 = (0..n).map(|i| u64::from(message(i).2)).sum();
    let t0 = now_ms();
    let reader = {
        let (room, tx) = (room.clone(), tx.clone());
        tokio::spawn(async move {
            let (mut resps, mut receipts, mut last_resp, mut last_receipt) = (0u64, 0u64, t0, t0);
            let mut buf = BufReader::with_capacity(1 << 16, &mut rd);
            while resps < total_parts || receipts < total_parts {
                let mut head = [0u8; 16];
                if buf.read_exact(&mut head).await.is_err() {
                    break;
                }
                let len = u32::from_be_bytes(head[0..4].try_into().unwrap()) as usize;
                let cmd = u32::from_be_bytes(head[4..8].try_into().unwrap());
                let seq = u32::from_be_bytes(head[12..16].try_into().unwrap());
                let mut body = vec![0; len - 16];
                buf.read_exact(&mut body).await.unwrap();
                match cmd {
                    0x8000_0004 => {
                        resps += 1;
                        last_resp = now_ms();
                        room.add_permits(1);
                    }
                    0x0000_0005 => {
                        receipts += 1;
                        last_receipt = now_ms();
                        let _ = tx.send(pdu(0x8000_0005, seq, &[0]));
                    }
                    _ => {}
                }
            }
            (resps, last_resp, receipts, last_receipt)
        })
    };
    let mut seq = 2u32;
    for i in 0..n {
        for body in submits_of(i) {
            room.acquire().await.unwrap().forget();
            tx.send(pdu(0x04, seq, &body)).unwrap();
            seq += 1;
        }
    }
    let (resps, last_resp, receipts, last_receipt) =
        tokio::time::timeout(Duration::from_secs(120), reader)
            .await
            .expect("the simulator answers within 120 s")
            .unwrap();
    drop(tx);
    writer.abort();
    let last_done = smsc.log.lock().last_ms.max(t0 + 1);
    let secs = |end: i64| ((end - t0).max(1)) as f64 / 1000.0;
    Ceiling {
        submits_per_s: resps as f64 / secs(last_resp),
        e2e_per_s: n as f64 / secs(last_done),
        receipts_per_s: receipts as f64 / secs(last_receipt),
    }
}

// ---------------------------------------------------------------------------------------
// The report

/// A figure of a round, and the decimals it is shown with.
type Figure = (fn(&Round) -> f64, usize);

/// The table's figure columns, in HEAD's order; a cell holds one figure or a pair joined by
/// its separator (p50 / p99, final (all), written (net)). Rows of figures and rows of ratios
/// both come from this one list.
const CELLS: [(&str, Figure, Option<Figure>); 8] = [
    ("", (|r| r.accepted_per_s, 0), None),
    ("", (|r| r.submits_per_s, 0), None),
    ("", (|r| r.e2e_per_s, 0), None),
    (" / ", (|r| r.lat_p50, 1), Some((|r| r.lat_p99, 1))),
    (" / ", (|r| r.sent_p50, 0), Some((|r| r.sent_p99, 0))),
    ("", (|r| r.cpu_per_10k, 2), None),
    ("", (|r| r.rss_mib, 0), None),
    (
        " (",
        (|r| r.disk_per_msg, 0),
        Some((|r| r.disk_net_per_msg, 0)),
    ),
];

/// One table row: `label`, then every figure of `CELLS` shown by `show` (the callbacks
/// cell only with receipts).
fn table_row(
    out: &mut String,
    label: &str,
    receipts: bool,
    show: &dyn Fn(Figure) -> String,
    last: &str,
) {
    let mut cells: Vec<String> = CELLS
        .iter()
        .map(|&(sep, a, b)| match b {
            None => show(a),
            Some(b) if sep == " (" => format!("{} ({})", show(a), show(b)),
            Some(b) => format!("{}{sep}{}", show(a), show(b)),
        })
        .collect();
    let callbacks = if receipts {
        format!(
            "{} ({})",
            show((|r| r.final_callbacks_per_s, 0)),
            show((|r| r.callbacks_per_s, 0))
        )
    } else {
        "–".into()
    };
    cells.insert(3, callbacks);
    let _ = writeln!(out, "| {label} | {} | {last} |", cells.join(" | "));
}

fn row(out: &mut String, label: &str, rs: &[Round], receipts: bool) {
    let show = |(f, decimals): Figure| format!("{:.decimals$}", median(rs.iter().map(f).collect()));
    let counts = format!(
        "{}/{}/{}",
        rs.iter().map(|r| r.accepted).sum::<u64>(),
        rs.iter().map(|r| r.completed).sum::<u64>(),
        rs.iter().map(|r| r.finals).sum::<u64>(),
    );
    table_row(out, label, receipts, &show, &counts);
}

const HEAD: &str = "| gateway | accepted/s | submit_sm/s | end-to-end/s | callbacks/s final (all) | submit ms p50 / p99 | submit→sent ms p50 / p99 | CPU s / 10k msgs | peak RSS MiB | disk B/msg written (net of cancelled) | accepted/sent/called back |\n|---|---|---|---|---|---|---|---|---|---|---|\n";

/// The row of smsgw's medians over Kannel's, figure by figure.
fn ratios(out: &mut String, smsgw: &[Round], kannel: &[Round], label: &str, receipts: bool) {
    let m = |rs: &[Round], f: fn(&Round) -> f64| median(rs.iter().map(f).collect());
    let show = |(f, _): Figure| {
        let k = m(kannel, f);
        if k == 0.0 {
            "–".to_string()
        } else {
            format!("{:.2}×", m(smsgw, f) / k)
        }
    };
    table_row(out, &format!("{label} / Kannel"), receipts, &show, "");
}

/// Of smsgw's disk bytes per message, how many were journal records (medians); the rest is
/// the page rounding of each sync and sled's checkpoints.
fn journal_line(out: &mut String, gws: &[Gw], rounds: impl Fn(usize) -> Vec<Round>) {
    let parts: Vec<String> = (1..gws.len())
        .map(|g| {
            let rs = rounds(g);
            format!(
                "{} {:.0} B",
                gws[g].name(),
                median(rs.iter().map(|r| r.journal_per_msg).collect())
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\nsmsgw's journal records per message (of the bytes written): {}",
        parts.join(", ")
    );
    // From the last round: which keys sled was handed, each `kind sets+removes/bytes`.
    for (g, gw) in gws.iter().enumerate().skip(1) {
        let Some(last) = rounds(g).pop() else {
            continue;
        };
        let kinds: Vec<String> = last
            .sled_per_msg
            .iter()
            .filter(|(_, f)| f[0] + f[1] >= 0.005)
            .map(|(k, f)| format!("{k} {:.2}+{:.2}/{:.0} B", f[0], f[1], f[2]))
            .collect();
        let total: f64 = last.sled_per_msg.values().map(|f| f[2]).sum();
        let _ = writeln!(
            out,
            "\n{}: keys handed to sled per message, by kind (set+removed/bytes), {total:.0} B in all: {}",
            gw.name(),
            kinds.join(", ")
        );
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let n = env_num("SMSGW_VSK_MESSAGES", 10_000);
    let rounds = env_num("SMSGW_VSK_ROUNDS", 3).max(1);
    let clients = env_num("SMSGW_VSK_CLIENTS", 50).max(1);
    let serial = env_num("SMSGW_VSK_SERIAL", 300);
    let window = env_num("SMSGW_VSK_WINDOW", 100);
    let throttled_n = env_num("SMSGW_VSK_THROTTLED", n.min(2_000)).max(1);
    let kannel_resend = env_num("SMSGW_VSK_KANNEL_RESEND", 1).max(1);
    let modules = support::node_modules();
    let kannel_dir = std::env::var_os("SMSGW_KANNEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin"));
    for (ok, what) in [
        (
            kannel_dir.join("bearerbox").is_file(),
            "Kannel's bearerbox (apt-get install kannel)",
        ),
        (
            kannel_dir.join("smsbox").is_file(),
            "Kannel's smsbox (apt-get install kannel)",
        ),
    ] {
        if !ok {
            eprintln!("missing: {what}; bench/vs-kannel/run installs it");
            std::process::exit(2);
        }
    }
    let started = Instant::now();
    let mut smsc = Smsc::start(&modules).await;
    let (receiver, cbs) = receiver().await;
    let kannel_store = std::env::var("SMSGW_VSK_KANNEL_STORE").unwrap_or_else(|_| "spool".into());
    assert!(
        ["spool", "file", "none"].contains(&kannel_store.as_str()),
        "SMSGW_VSK_KANNEL_STORE is spool, file or none"
    );
    let env = Env {
        kannel_dir,
        kannel_store,
        kannel_resend,
        window,
        receiver,
    };
    let mut loads = vec![loadavg()];
    let gws = [Gw::Kannel, Gw::SmsgwJson, Gw::SmsgwKannelApi];

    eprintln!("ceiling: a raw SMPP client, {n} messages × {rounds}");
    let mut ceil = Vec::new();
    for _ in 0..rounds {
        ceil.push(ceiling(&mut smsc, n, window).await);
    }

    // Full rate: with and without receipts, rounds interleaved so drift hits all alike.
    let mut full: HashMap<(bool, usize), Vec<Round>> = HashMap::new();
    for receipts in [false, true] {
        for r in 0..rounds {
            for (g, &gw) in gws.iter().enumerate() {
                let p = Params {
                    n,
                    clients,
                    receipts,
                    throttle: 0.0,
                };
                let res = round(gw, &env, &mut smsc, &cbs, &p).await;
                eprintln!(
                    "receipts={receipts} round {} {}: {:.0} accepted/s, {:.0} end-to-end/s, \
                     {} at the SMSC, {} receipts sent, {} callbacks ({} messages final), {} refused{}",
                    r + 1,
                    gw.name(),
                    res.accepted_per_s,
                    res.e2e_per_s,
                    res.completed,
                    res.receipts,
                    res.callbacks,
                    res.finals,
                    res.refused,
                    res.first_refusal
                        .as_deref()
                        .map(|s| format!(" (first: {s})"))
                        .unwrap_or_default()
                );
                full.entry((receipts, g)).or_default().push(res);
            }
        }
        loads.push(loadavg());
    }

    // Throttled SMSC.
    let mut thr: HashMap<(u32, usize), Vec<Round>> = HashMap::new();
    for pc in [1u32, 10] {
        for r in 0..rounds {
            for (g, &gw) in gws.iter().enumerate().take(2) {
                let p = Params {
                    n: throttled_n,
                    clients,
                    receipts: false,
                    throttle: f64::from(pc) / 100.0,
                };
                let res = round(gw, &env, &mut smsc, &cbs, &p).await;
                eprintln!(
                    "throttled {pc}% round {} {}: {:.0} end-to-end/s, {} throttled",
                    r + 1,
                    gw.name(),
                    res.e2e_per_s,
                    res.throttled
                );
                thr.entry((pc, g)).or_default().push(res);
            }
        }
    }
    loads.push(loadavg());

    // One request at a time.
    let mut one: Vec<Round> = Vec::new();
    if serial > 0 {
        for &gw in &gws {
            let p = Params {
                n: serial,
                clients: 1,
                receipts: false,
                throttle: 0.0,
            };
            let res = round(gw, &env, &mut smsc, &cbs, &p).await;
            eprintln!(
                "one at a time {}: {:.0} B/msg ({:.0} journalled)",
                gw.name(),
                res.disk_per_msg,
                res.journal_per_msg
            );
            one.push(res);
        }
    }
    loads.push(loadavg());

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{n} messages per round (short GSM-7, UCS-2, 3-part GSM-7 in turn), {clients} \
         keep-alive clients, one request per message, medians of {rounds}, window {window} for \
         both gateways; Kannel's store-type {}; smsgw's journal and store on the same disk; \
         run took {:.0} s; load average (1/5/15 min) at start and after each phase: {}\n",
        env.kannel_store,
        started.elapsed().as_secs_f64(),
        loads.join(" → ")
    );
    let m = |f: fn(&Ceiling) -> f64| median(ceil.iter().map(f).collect());
    let _ = writeln!(
        out,
        "Simulator ceiling (raw SMPP client, one bind, receipts asked): {:.0} submit_sm/s, \
         {:.0} messages/s end to end, {:.0} receipts/s\n",
        m(|c| c.submits_per_s),
        m(|c| c.e2e_per_s),
        m(|c| c.receipts_per_s)
    );
    for receipts in [false, true] {
        let _ = write!(
            out,
            "{}\n\n{HEAD}",
            if receipts {
                "With receipts and a dlr-url / callback_url per message:"
            } else {
                "Without receipts:"
            }
        );
        for (g, gw) in gws.iter().enumerate() {
            row(&mut out, gw.name(), &full[&(receipts, g)], receipts);
        }
        for g in 1..3 {
            ratios(
                &mut out,
                &full[&(receipts, g)],
                &full[&(receipts, 0)],
                gws[g].name(),
                receipts,
            );
        }
        journal_line(&mut out, &gws, |g| full[&(receipts, g)].clone());
        out.push('\n');
    }
    for pc in [1u32, 10] {
        let _ = write!(
            out,
            "SMSC answers {pc}% of submit_sm with ESME_RTHROTTLED, no receipts, {throttled_n} \
             messages per round, Kannel's sms-resend-freq {kannel_resend} s:\n\n{HEAD}"
        );
        for (g, gw) in gws.iter().enumerate().take(2) {
            row(&mut out, gw.name(), &thr[&(pc, g)], false);
        }
        ratios(
            &mut out,
            &thr[&(pc, 1)],
            &thr[&(pc, 0)],
            gws[1].name(),
            false,
        );
        out.push('\n');
    }
    if !one.is_empty() {
        let _ = write!(
            out,
            "One request at a time ({serial} messages, no receipts):\n\n{HEAD}"
        );
        for (gw, r) in gws.iter().zip(&one) {
            row(&mut out, gw.name(), std::slice::from_ref(r), false);
        }
        journal_line(&mut out, &gws, |g| vec![one[g].clone()]);
        out.push('\n');
    }
    println!("{out}");
    let dir = root.join("target/vs-kannel");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("report.md"), &out).unwrap();
}
