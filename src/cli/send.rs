//! `smsgw send`: a small client of the HTTP API, for scripts and for trying the gateway.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_TIMEOUT};
use crate::config::HumanDuration;

/// `smsgw send` arguments.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Recipient number.
    #[arg(long)]
    pub to: String,
    /// Message text.
    #[arg(long)]
    pub text: String,
    /// Sender number or name.
    #[arg(long)]
    pub from: Option<String>,
    /// Client reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// The gateway's API.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "SMSGW_URL")]
    pub url: String,
    /// Bearer token.
    #[arg(long, env = "SMSGW_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Follow the status until it is final (delivered, undelivered, failed, expired, canceled).
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` follows before giving up (exit code 3).
    #[arg(long, default_value = "5m", value_parser = super::duration_arg)]
    pub timeout: HumanDuration,
}

/// Runs `smsgw send`; returns the exit code.
pub async fn run(args: SendArgs) -> anyhow::Result<u8> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build an HTTP client")?;
    let base = args.url.trim_end_matches('/').to_string();
    let mut body = json!({ "to": args.to, "text": args.text });
    if let Some(f) = &args.from {
        body["from"] = json!(f);
    }
    if let Some(r) = &args.reference {
        body["reference"] = json!(r);
    }
    let mut req = client.post(format!("{base}/v1/messages")).json(&body);
    if let Some(t) = &args.token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("cannot reach the gateway at {base}"))?;
    let status = resp.status();
    let answer: Value = resp
        .json()
        .await
        .context("the gateway's answer is not JSON")?;
    if !status.is_success() {
        let e = &answer["error"];
        bail!(
            "refused ({status}): {} {}",
            e["code"].as_str().unwrap_or("?"),
            e["message"].as_str().unwrap_or("")
        );
    }
    let id = answer["id"].as_str().unwrap_or_default().to_string();
    println!(
        "{id} {} ({} part(s), {})",
        answer["status"].as_str().unwrap_or("?"),
        answer["parts"],
        answer["encoding"].as_str().unwrap_or("?")
    );
    if !args.wait {
        return Ok(EXIT_OK);
    }
    let deadline = tokio::time::Instant::now() + args.timeout.get();
    let mut last = answer["status"].as_str().unwrap_or_default().to_string();
    loop {
        if tokio::time::Instant::now() >= deadline {
            eprintln!("still {last} after {}", args.timeout);
            return Ok(EXIT_TIMEOUT);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut req = client.get(format!("{base}/v1/messages/{id}"));
        if let Some(t) = &args.token {
            req = req.bearer_auth(t);
        }
        let Ok(resp) = req.send().await else { continue };
        let Ok(m) = resp.json::<Value>().await else {
            continue;
        };
        let now = m["status"].as_str().unwrap_or_default().to_string();
        if now != last {
            let reason = m["history"]
                .as_array()
                .and_then(|h| h.last())
                .and_then(|h| h["reason"].as_str())
                .unwrap_or("");
            println!("{id} {now} {reason}");
            last = now;
        }
        match last.as_str() {
            "delivered" => return Ok(EXIT_OK),
            "undelivered" | "failed" | "expired" | "canceled" => return Ok(EXIT_FAILURE),
            _ => {}
        }
    }
}
