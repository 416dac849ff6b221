//! The status page in a real headless browser (Debian's `chromium`): it loads, runs its
//! script against `/v1/status`, shows the queue, routes and last messages, and a screenshot is
//! taken. Skipped, with a message, where chromium is not installed (`.ci/run` installs it).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::api_inprocess::{Api, ROUTE};
use crate::fake_route::FakeRoute;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|dir| PathBuf::from(dir).join(name))
                .find(|p| p.is_file())
        })
}

/// Runs chromium headless with `args` on `url`, killed after 60 s; returns stdout.
fn run_chromium(bin: &PathBuf, args: &[&str], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=4000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_should_render_queue_routes_and_messages_in_headless_chromium() {
    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install -y chromium); the status page was not tested in a browser"
        );
        return;
    };
    let token = "status-page-token-0123456789";
    let cfg = format!("{ROUTE}[server]\ntokens = [\"{token}\"]\n");
    let api = Api::start(&cfg, vec![Arc::new(FakeRoute::accepting("r", 4))]).await;
    let (s, b) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "hello"}),
        )
        .await;
    assert_eq!(s, 202);
    let id = b["id"].as_str().unwrap().to_string();
    api.wait_status(&id, "sent").await;

    // Without the token the page is refused.
    let plain = reqwest::get(format!("{}/", api.base)).await.unwrap();
    assert_eq!(plain.status().as_u16(), 401);

    let url = format!("{}/?access_token={token}", api.base);
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("status_page.png");
    let _ = std::fs::remove_file(&shot);
    let (dom, url2, bin2, shot2) = (url.clone(), url.clone(), bin.clone(), shot.clone());
    let dom = tokio::task::spawn_blocking(move || run_chromium(&bin, &["--dump-dom"], &dom))
        .await
        .unwrap();
    assert!(
        dom.contains("data-loaded=\"true\""),
        "the script did not load /v1/status:\n{dom}"
    );
    assert!(dom.contains(&id), "the last message is listed");
    assert!(dom.contains(">sent<"), "its status is shown");
    assert!(
        dom.contains("No modems."),
        "the empty modem section says so"
    );
    assert!(dom.contains("<polyline"), "the rate chart is drawn");
    tokio::task::spawn_blocking(move || {
        run_chromium(
            &bin2,
            &[
                "--window-size=1000,1000",
                &format!("--screenshot={}", shot2.display()),
            ],
            &url2,
        )
    })
    .await
    .unwrap();
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "screenshot {shot:?} is missing or empty");
    eprintln!("status page screenshot: {}", shot.display());
    api.stop().await;
}
