//! After the soak: drain, then hold the gateway's account of every message against what the
//! simulators recorded, and the process's resources against their trend.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use hw_sim::ModemControl;
use hw_sim::smsc::SmscHandle;
use serde_json::Value;

use crate::faults::FaultLog;
use crate::load::{Injected, Submitted};
use crate::resources::{self, Sample};
use crate::webhook_receiver::Receiver;

/// How long the backlog the faults left may take to drain.
const DRAIN: Duration = Duration::from_secs(180);

/// Everything the reconciliation reads.
pub struct Run<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub pid: u32,
    pub smsc: &'a SmscHandle,
    pub sims: &'a [ModemControl; 2],
    pub receiver: &'a Receiver,
    pub submitted: &'a Submitted,
    pub injected: &'a [Injected],
    pub faults: &'a FaultLog,
    pub samples: &'a [Sample],
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

pub async fn text(http: &reqwest::Client, url: String) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

/// Polls `check` every 200 ms until it holds, for at most [`DRAIN`].
async fn drain_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DRAIN;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not drained after {DRAIN:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The value of the series `name{labels}` in a Prometheus text exposition (0 when absent).
pub fn metric(exposition: &str, name: &str, labels: &str) -> f64 {
    let series = if labels.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{labels}}}")
    };
    exposition
        .lines()
        .find_map(|l| {
            l.strip_prefix(&series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

/// How many reads the reconciliation has in flight (each a kept-alive connection).
const READ_CONCURRENCY: usize = 16;

/// Reads every message the gateway accepted, [`READ_CONCURRENCY`] requests at a time.
async fn messages(http: &reqwest::Client, base: &str, ids: Vec<String>) -> Vec<Value> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(READ_CONCURRENCY) {
        let reads = chunk
            .iter()
            .map(|id| get(http, format!("{base}/v1/messages/{id}")));
        out.extend(futures::future::join_all(reads).await);
    }
    out
}

/// Every inbox message's text.
async fn inbox(http: &reqwest::Client, base: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(http, format!("{base}/v1/inbox?limit=500&cursor={cursor}")).await;
        for m in page["messages"].as_array().unwrap() {
            out.push(m["text"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) if page["more"] == true => cursor = c.to_string(),
            _ => return out,
        }
    }
}

/// Drains, reconciles and checks; returns the figures as a printable report.
pub async fn check(run: Run<'_>) -> String {
    let Run {
        http,
        base,
        pid,
        smsc,
        sims,
        receiver,
        submitted,
        injected,
        faults,
        samples,
    } = run;
    assert!(
        submitted.unexpected.is_empty(),
        "answers other than 202, 429 or 503: {:?}",
        &submitted.unexpected[..submitted.unexpected.len().min(5)]
    );
    assert!(!submitted.accepted.is_empty(), "nothing was accepted");

    // 1. Drain: nothing left to send, no event left to deliver.
    drain_until("messages queued or sending", || async {
        let mut busy = false;
        for status in ["queued", "sending"] {
            let page = get(http, format!("{base}/v1/messages?status={status}&limit=1")).await;
            busy |= !page["messages"].as_array().unwrap().is_empty();
        }
        !busy
    })
    .await;
    // A SIM keeps what it received until the gateway reads it, and the SMSC delivers again
    // what a dropped connection left unanswered: every reply is waited for.
    drain_until("replies on the SIMs or at the SMSC", || async {
        let texts = inbox(http, base).await;
        let have: std::collections::HashSet<&str> = texts
            .iter()
            .filter_map(|t| t.split_whitespace().next())
            .collect();
        injected.iter().all(|i| have.contains(i.token.as_str()))
    })
    .await;
    // Receipts come within a fraction of a second of a send (those lost with a dropped link
    // never come): the count of messages still `sent` settles.
    let last = std::cell::Cell::new(f64::NAN);
    drain_until("receipts still arriving", || {
        let last = &last;
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let m = text(http, format!("{base}/metrics")).await;
            let now = metric(&m, "smsgw_messages", "status=\"sent\"");
            last.replace(now) == now
        }
    })
    .await;
    drain_until("webhook events pending", || async {
        get(http, format!("{base}/v1/webhooks")).await["webhooks"][0]["pending"] == 0
    })
    .await;

    // 2. Every accepted message finished, and the simulators saw it.
    let ids: Vec<String> = submitted.accepted.iter().map(|a| a.id.clone()).collect();
    let docs = messages(http, base, ids).await;
    let mut at_smsc: HashMap<String, usize> = HashMap::new();
    for s in smsc.submitted() {
        if let Some(t) = s.text {
            *at_smsc.entry(t).or_default() += 1;
        }
    }
    let mut at_sims: HashMap<String, usize> = HashMap::new();
    for sim in sims {
        for m in sim.sent_messages() {
            *at_sims.entry(m.text).or_default() += 1;
        }
    }
    let mut by_status: HashMap<String, usize> = HashMap::new();
    let (mut duplicates, mut flagged, mut mention_cms) = (0, 0, 0);
    for (a, doc) in submitted.accepted.iter().zip(&docs) {
        let status = doc["status"].as_str().unwrap_or("?").to_string();
        assert!(
            status == "sent" || status == "delivered",
            "message {} ended {status}: {doc:#}",
            a.id
        );
        *by_status.entry(status).or_default() += 1;
        let seen = if a.via_sims { &at_sims } else { &at_smsc };
        let copies = seen.get(&a.text).copied().unwrap_or(0);
        assert!(
            copies >= 1,
            "message {} is {} but no simulator has it",
            a.id,
            doc["status"]
        );
        // The flag is the part's: this message may have gone twice.
        let possible_duplicate = doc["parts"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["possible_duplicate"] == true));
        if copies > 1 {
            duplicates += 1;
            assert!(
                possible_duplicate,
                "message {} reached the network {copies} times but is not flagged possible_duplicate: {doc:#}",
                a.id
            );
        }
        flagged += usize::from(possible_duplicate);
        mention_cms += usize::from(doc.to_string().contains("CMS"));
    }
    // Nothing the gateway refused went out: every "soak" text the network saw was accepted.
    let accepted_texts: std::collections::HashSet<&str> =
        submitted.accepted.iter().map(|a| a.text.as_str()).collect();
    for t in at_smsc.keys().chain(at_sims.keys()) {
        assert!(
            accepted_texts.contains(t.as_str()),
            "the network got {t:?}, which the gateway never accepted"
        );
    }

    // 3. Every MO the simulators took is in the inbox; none twice.
    let texts = inbox(http, base).await;
    let mut tokens: HashMap<&str, usize> = HashMap::new();
    for t in &texts {
        if let Some(tok) = t.split_whitespace().next() {
            *tokens.entry(tok).or_default() += 1;
        }
    }
    // A copy of an MO may come twice only when the SMSC never got the answer to an earlier
    // copy (the link dropped first): it delivers again, as real SMSCs do, and SMPP 3.4 gives
    // an MO no id to tell the copies apart by.
    let mut unanswered: HashMap<String, usize> = HashMap::new();
    for d in smsc.delivered() {
        if let (false, None, Some(t)) = (d.receipt, d.response, &d.text) {
            if let Some(tok) = t.split_whitespace().next() {
                *unanswered.entry(tok.to_string()).or_default() += 1;
            }
        }
    }
    let mut mo_copies = 0;
    for i in injected {
        let lost_answers = unanswered.get(&i.token).copied().unwrap_or(0);
        match tokens.get(i.token.as_str()).copied().unwrap_or(0) {
            1 => {}
            n if n > 1 && i.via_smsc && n - 1 <= lost_answers => mo_copies += n - 1,
            n => panic!(
                "MO {} is in the inbox {n} times (via the SMSC: {}, answers lost {lost_answers})",
                i.token, i.via_smsc
            ),
        }
    }

    // 4. Every status event reached the webhook, in order per message, the last one the
    //    message's final status.
    let mut acked: HashMap<String, Vec<(u64, String)>> = HashMap::new();
    let mut seen_events = std::collections::HashSet::new();
    for h in receiver.acked() {
        if h.doc["type"] != "message.status" || !seen_events.insert(h.event) {
            continue;
        }
        let id = h.doc["data"]["id"].as_str().unwrap_or_default().to_string();
        let status = h.doc["data"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        acked.entry(id).or_default().push((h.event, status));
    }
    for (a, doc) in submitted.accepted.iter().zip(&docs) {
        let events = acked.get(&a.id).map(Vec::as_slice).unwrap_or(&[]);
        assert!(
            events.windows(2).all(|w| w[0].0 < w[1].0),
            "events of {} acknowledged out of order: {events:?}",
            a.id
        );
        let last = events.last().map(|e| e.1.as_str());
        assert_eq!(
            last,
            doc["status"].as_str(),
            "last event of {}: {events:?}",
            a.id
        );
        for h in doc["history"].as_array().unwrap() {
            let s = h["status"].as_str().unwrap();
            assert!(
                events.iter().any(|e| e.1 == s),
                "no {s} event for {}: {events:?}",
                a.id
            );
        }
    }

    // 5. Every fault shows in the metrics (the hangs and unplugs were held until it did).
    assert!(
        faults.unnoticed.is_empty(),
        "faults the daemon never showed: {:?}",
        faults.unnoticed
    );
    let m = text(http, format!("{base}/metrics")).await;
    if faults.link_drops > 0 {
        assert!(
            metric(&m, "smsgw_smpp_binds_total", "link=\"op\"") > 1.0,
            "binds after link drops"
        );
    }
    if faults.throttle_bursts > 0 {
        assert!(
            metric(
                &m,
                "smsgw_smpp_submits_total",
                "link=\"op\",result=\"throttled\""
            ) > 0.0
        );
    }
    if faults.hangs > 0 {
        assert!(metric(&m, "smsgw_modem_timeouts_total", "modem=\"sim1\"") > 0.0);
    }
    if faults.unplugs > 0 {
        assert!(metric(&m, "smsgw_modem_opens_total", "modem=\"sim2\"") > 1.0);
    }
    if faults.webhook_downs > 0 {
        assert!(
            metric(
                &m,
                "smsgw_webhook_failed_attempts_total",
                "webhook=\"soak\""
            ) > 0.0
        );
    }
    if faults.disk_fills > 0 {
        assert!(
            metric(
                &m,
                "smsgw_submissions_refused_total",
                "reason=\"disk_full\""
            ) > 0.0
        );
    }
    assert!(mention_cms > 0, "no message history shows the CMS errors");

    // 6. No growth: after the drain, descriptors and threads are back within what the run
    //    used, and resident memory did not climb through the second half.
    let idle = resources::read(pid, 0.0).expect("the daemon is still running");
    let fds = samples.iter().map(|s| s.fds).max().unwrap_or(0);
    let max_threads = samples.iter().map(|s| s.threads).max().unwrap_or(0);
    // Files, pipes and event descriptors: none more than under load (a segment roll may
    // hold one more file for a moment).
    let others = samples.iter().map(|s| s.fds - s.sockets).max().unwrap_or(0);
    assert!(
        idle.fds - idle.sockets <= others + 2,
        "{} descriptors other than sockets after the drain, at most {others} under load: {}",
        idle.fds - idle.sockets,
        resources::fd_kinds(pid)
    );
    // Sockets are connections, as many as the clients' and the gateway's pools keep open:
    // after the drain the reconciliation's own, and the webhook backlog's catch-up, come on
    // top of what the load held. A leak shows as growth under steady load instead.
    let sockets = samples.iter().map(|s| s.sockets).max().unwrap_or(0);
    assert!(
        idle.sockets <= sockets + READ_CONCURRENCY + 8,
        "{} sockets after the drain, at most {sockets} under load (+ the reconciliation's \
         {READ_CONCURRENCY} connections and 8 for catching up): {}",
        idle.sockets,
        resources::fd_kinds(pid)
    );
    if samples.len() >= 8 {
        let quarter = |from: f64, to: f64| {
            let (lo, hi) = (
                (samples.len() as f64 * from) as usize,
                (samples.len() as f64 * to) as usize,
            );
            resources::median(
                samples[lo.min(hi)..hi]
                    .iter()
                    .map(|s| s.sockets as u64)
                    .collect(),
            )
        };
        let (mid, end) = (quarter(0.25, 0.5), quarter(0.75, 1.0));
        assert!(
            end <= mid + 8,
            "sockets grew under load from {mid} (2nd quarter) to {end} (4th)"
        );
    }
    assert!(
        idle.threads <= max_threads + 2,
        "threads {} idle, at most {max_threads} under load",
        idle.threads
    );
    let (mid, end) = (
        resources::rss_median(samples, 0.25, 0.5),
        resources::rss_median(samples, 0.75, 1.0),
    );
    if samples.len() >= 8 {
        assert!(
            end <= mid + mid / 4 + 16 * 1024,
            "resident memory grew from {mid} KiB (2nd quarter) to {end} KiB (4th quarter)"
        );
    }

    let mut latencies = submitted.latencies_ms.clone();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    let mut r = String::new();
    let _ = writeln!(r, "soak figures:");
    let _ = writeln!(r, "  faults: {faults:?}");
    let _ = writeln!(
        r,
        "  accepted {} (refused {:?}); final statuses {by_status:?}",
        submitted.accepted.len(),
        submitted.refused
    );
    let _ = writeln!(
        r,
        "  sent twice or more: {duplicates}, all flagged; flagged possible_duplicate in all: {flagged}; \
         histories showing CMS errors: {mention_cms}"
    );
    let _ = writeln!(
        r,
        "  MO injected {} ({} via the SMSC), inbox {}; copies after a lost deliver_sm_resp {mo_copies}",
        injected.len(),
        injected.iter().filter(|i| i.via_smsc).count(),
        texts.len()
    );
    let _ = writeln!(
        r,
        "  submit latency p50 {} ms, p99 {} ms",
        pct(0.5),
        pct(0.99)
    );
    let _ = writeln!(
        r,
        "  resources: RSS median {mid} KiB (2nd quarter) → {end} KiB (4th); fds max {fds}, idle {} ({}); \
         threads max {max_threads}, idle {}; {} samples over {:.0} s",
        idle.fds,
        resources::fd_kinds(pid),
        idle.threads,
        samples.len(),
        samples.last().map_or(0.0, |s| s.at)
    );
    r
}
