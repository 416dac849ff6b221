//! The soak's traffic: messages submitted over HTTP at a steady rate, one request each (as
//! applications submit), and replies injected through the SMSC and the SIMs.

use std::sync::Arc;
use std::time::Duration;

use hw_sim::ModemControl;
use hw_sim::smsc::{Mo, SmscHandle};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::Plan;
use crate::eventually::eventually;

/// A message the gateway accepted (202).
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its id.
    pub id: String,
    /// The unique text it carries.
    pub text: String,
    /// Sent through the SIMs (Finnish number) rather than over SMPP.
    pub via_sims: bool,
}

/// What the submitter saw.
#[derive(Debug, Default)]
pub struct Submitted {
    /// 202s.
    pub accepted: Vec<Accepted>,
    /// Refusals by error code (`disk_full`, `queue_full`): answered, nothing accepted.
    pub refused: std::collections::BTreeMap<String, u64>,
    /// Anything else: other statuses, transport errors. The soak expects none.
    pub unexpected: Vec<String>,
    /// Submit latencies of the 202s, ms.
    pub latencies_ms: Vec<u64>,
}

/// An MO the simulators took (so the gateway must deliver it to the inbox exactly once).
#[derive(Debug, Clone)]
pub struct Injected {
    /// The unique token in its text.
    pub token: String,
    /// Through the SMSC (else a SIM).
    pub via_smsc: bool,
}

/// Waits until the gateway is ready (its SMPP link bound, its modems up).
pub async fn until_ready(http: &reqwest::Client, base: &str) {
    eventually("the gateway ready, both SIMs up", || async {
        let r = http.get(format!("{base}/readyz")).send().await.ok()?;
        if r.status() != 200 {
            return None;
        }
        let m: Value = http
            .get(format!("{base}/v1/modems"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let modems = m["modems"].as_array()?;
        (modems.len() == 2 && modems.iter().all(|m| m["state"] == "ready")).then_some(())
    })
    .await;
}

/// The text of message `n`: unique, a quarter of them UCS-2.
fn text(n: u64) -> String {
    if n % 4 == 3 {
        format!("soak {n}: привет, напоминание о визите завтра")
    } else {
        format!("soak {n}: reminder, your visit is tomorrow at 10:00")
    }
}

/// Submits `plan.rate` messages a second until `stop`.
pub async fn submit(
    plan: Plan,
    http: reqwest::Client,
    base: String,
    stop: CancellationToken,
) -> Submitted {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / plan.rate as f64));
    let mut requests = Vec::new();
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let via_sims = n % 2 == 0;
        let to = if via_sims {
            format!("+3584010{:05}", n % 100_000)
        } else {
            format!("+4670{:07}", n % 10_000_000)
        };
        let text = text(n);
        let (http, url) = (http.clone(), format!("{base}/v1/messages"));
        requests.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let r = http
                .post(url)
                .json(&json!({"to": to, "text": text}))
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            let ms = started.elapsed().as_millis() as u64;
            let r = match r {
                Ok(r) => r,
                Err(e) => return Err(format!("{to}: {e}")),
            };
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            Ok((status, body, text, via_sims, ms))
        }));
        n += 1;
    }
    let mut out = Submitted::default();
    for r in requests {
        match r.await.unwrap() {
            Ok((202, body, text, via_sims, ms)) => {
                out.accepted.push(Accepted {
                    id: body["id"].as_str().unwrap_or_default().to_string(),
                    text,
                    via_sims,
                });
                out.latencies_ms.push(ms);
            }
            Ok((status @ (429 | 503), body, ..)) => {
                let code = body["error"]["code"].as_str().unwrap_or("?").to_string();
                *out.refused.entry(format!("{status} {code}")).or_default() += 1;
            }
            Ok((status, body, ..)) => out.unexpected.push(format!("{status}: {body}")),
            Err(e) => out.unexpected.push(e),
        }
    }
    out
}

/// Injects an MO every half second, alternately through the SMSC and a SIM; every fifth SIM
/// reply is long (three parts, delivered last part first).
pub async fn inject_mo(
    smsc: Arc<SmscHandle>,
    sims: [ModemControl; 2],
    stop: CancellationToken,
) -> Vec<Injected> {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut out = Vec::new();
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return out,
            _ = tick.tick() => {}
        }
        let token = format!("mo-{n}");
        let via_smsc = n % 2 == 0;
        let ok = if via_smsc {
            let mo = Mo {
                from: format!("+4670{:07}", n),
                to: "12345".into(),
                text: format!("{token} yes, see you"),
                system_id: None,
            };
            smsc.inject_mo(&mo).is_ok()
        } else {
            let sim = &sims[(n / 2 % 2) as usize];
            let long = n % 10 == 1;
            let text = if long {
                format!(
                    "{token} {}",
                    "a long answer about the appointment ".repeat(12)
                )
            } else {
                format!("{token} ok")
            };
            let from = format!("+3584020{:05}", n);
            sim.inject_text(&from, &text, false, long).await.is_ok()
        };
        if ok {
            out.push(Injected { token, via_smsc });
        }
        n += 1;
    }
}
