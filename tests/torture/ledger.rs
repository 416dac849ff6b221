//! The load and what the clients know of it: submissions over HTTP (one request per
//! message) and MO messages injected into the simulators, each recorded with what its
//! sender was told.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hw_sim::smsc::Mo;
use parking_lot::{Mutex, RwLock};
use serde_json::{Value, json};

use crate::rig::MODEM_PREFIX;
use crate::tokens;

/// One submission that got its 202.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub token: u64,
    pub id: String,
}

/// What the clients saw.
#[derive(Debug, Default)]
pub struct Ledger {
    pub accepted: Mutex<Vec<Accepted>>,
    /// Tokens of submissions whose answer was lost (the daemon died mid-request): each may
    /// or may not be stored.
    pub unanswered: Mutex<Vec<u64>>,
    /// Submissions refused (back-pressure, 5xx while starting): not stored.
    pub refused: AtomicU64,
    /// MO texts the SMSC took (a receiving bind was there to send them to).
    pub smpp_mo: Mutex<Vec<String>>,
    /// MO texts delivered into a simulated modem's network (they wait on the SIM or in the
    /// network for the gateway).
    pub modem_mo: Mutex<Vec<String>>,
    next_token: AtomicU64,
    next_mo: AtomicU64,
}

/// What one client sends next: three in four to the SMPP link (one in four of those a
/// 3-part message), one in four to the modem pool, a few of those two parts.
fn body(token: u64) -> Value {
    let (to, len) = match token % 8 {
        0 => (format!("{MODEM_PREFIX}1{:06}", token % 1000), 200),
        1 | 5 => (format!("{MODEM_PREFIX}2{:06}", token % 1000), 40),
        3 => ("+358401000000".to_string(), 400),
        _ => (format!("+3584010{:05}", token % 100_000), 30),
    };
    json!({"to": to, "text": tokens::text('T', token, len), "reference": format!("t{token}")})
}

/// Submits until `stop`, one request at a time, waiting while the daemon is down.
pub async fn submitter(
    ledger: Arc<Ledger>,
    base: Arc<RwLock<Option<String>>>,
    stop: Arc<AtomicBool>,
    pause: Duration,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    while !stop.load(Ordering::SeqCst) {
        let Some(b) = base.read().clone() else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let token = ledger.next_token.fetch_add(1, Ordering::SeqCst);
        let body = body(token);
        let r = http
            .post(format!("{b}/v1/messages"))
            .json(&body)
            .send()
            .await;
        let answer = match r {
            Ok(r) => {
                let status = r.status().as_u16();
                r.json::<Value>().await.ok().map(|v| (status, v))
            }
            Err(_) => None,
        };
        match answer {
            Some((202, v)) => {
                ledger.accepted.lock().push(Accepted {
                    token,
                    id: v["id"].as_str().unwrap().to_string(),
                });
            }
            Some((400..=422, v)) => panic!("a valid submission was refused: {v}"),
            Some(_) => {
                ledger.refused.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                ledger.unanswered.lock().push(token);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        tokio::time::sleep(pause).await;
    }
}

/// Injects MO messages until `stop`, alternating SMSC and modems, singles and multipart
/// (modem multiparts delivered last part first every other time).
pub async fn injector(
    ledger: Arc<Ledger>,
    smsc: Arc<hw_sim::smsc::SmscHandle>,
    sims: Vec<hw_sim::ModemControl>,
    stop: Arc<AtomicBool>,
    pause: Duration,
) {
    while !stop.load(Ordering::SeqCst) {
        let n = ledger.next_mo.fetch_add(1, Ordering::SeqCst);
        let len = if n % 5 == 4 { 300 } else { 30 };
        if n % 2 == 0 {
            let text = tokens::text('M', n, len);
            let mo = Mo {
                from: format!("+35840200{:04}", n % 10_000),
                to: "12345".into(),
                text: text.clone(),
                system_id: None,
            };
            // No receiving bind (the daemon is down): the SMSC has nothing to send it to.
            if smsc.inject_mo(&mo).is_ok() {
                ledger.smpp_mo.lock().push(text);
            }
        } else {
            let text = tokens::text('N', n, len);
            let sim = &sims[(n as usize / 2) % sims.len()];
            let reverse = n % 4 == 3;
            sim.inject_text(
                &format!("+35840300{:04}", n % 10_000),
                &text,
                false,
                reverse,
            )
            .await
            .unwrap();
            ledger.modem_mo.lock().push(text);
        }
        tokio::time::sleep(pause).await;
    }
}
