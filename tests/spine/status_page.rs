//! The status page in a real headless browser (Debian's `chromium`): it loads, runs its
//! script against `/v1/status`, shows the queue, routes, the modems of a pool of two simulated
//! modems (hw-sim over real PTYs) and last messages, and a screenshot is taken. Skipped, with a
//! message, where chromium is not installed (`.ci/run` installs it).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use hw_sim::modem::profile::Profile;
use hw_sim::{ModemConfig as SimConfig, SimModem};

use crate::api_inprocess::Api;

/// A pool `sims` over `modems` (test timing).
fn pool_config(modems: &[(&str, &SimModem)]) -> String {
    let mut t = String::from(
        "[[routes]]\nname = \"sims\"\ntype = \"modem_pool\"\n[[rules]]\nprefix = \"\"\nroutes = [\"sims\"]\n",
    );
    for (name, m) in modems {
        t.push_str(&format!(
            "[[modems]]\nname = {name:?}\ndevice = {:?}\nroute = \"sims\"\n\
             [modems.timeouts]\ncommand = \"1s\"\nprompt = \"700ms\"\nresult = \"1500ms\"\n\
             probe_every = \"300ms\"\npoll_every = \"500ms\"\nsweep_every = \"2s\"\nregistration = \"3s\"\n",
            m.link().display().to_string()
        ));
    }
    t
}

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
    let sim_a = SimModem::start(SimConfig::fast(Profile::sim800()))
        .await
        .unwrap();
    let mut cb = SimConfig::fast(Profile::ec25());
    cb.operator = "Second Net".into();
    let sim_b = SimModem::start(cb).await.unwrap();
    let cfg = format!(
        "{}[server]\ntokens = [\"{token}\"]\n",
        pool_config(&[("sim-a", &sim_a), ("sim-b", &sim_b)])
    );
    let api = Api::start(&cfg, vec![]).await;
    // Both modems ready (signal and operator read) before the message goes.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, v) = api.get("/v1/modems").await;
        let ready = v["modems"].as_array().is_some_and(|m| {
            m.len() == 2
                && m.iter()
                    .all(|x| x["state"] == "ready" && !x["operator"].is_null())
        });
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "modems never ready: {v:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, b) = api
        .post(
            "/v1/messages",
            json!({"to": "+358401234567", "text": "hello"}),
        )
        .await;
    assert_eq!(s, 202);
    let id = b["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let (_, m) = api.get(&format!("/v1/messages/{id}")).await;
        if m["status"] == "sent" || m["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (_, st) = api.get("/v1/status").await;
    assert_eq!(
        st["modems"].as_array().map(Vec::len),
        Some(2),
        "/v1/status lists both modems: {st:#}"
    );
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
    assert!(
        dom.contains(">sent<") || dom.contains(">delivered<"),
        "its status is shown (a status report may have come already)"
    );
    // (The script holds the "No modems." text; the section itself must hold cards.)
    assert!(
        dom.contains("id=\"modems\"><div class=\"card\">"),
        "the modems are listed:\n{dom}"
    );
    for name in ["sim-a", "sim-b"] {
        assert!(dom.contains(name), "modem {name} is on the page:\n{dom}");
    }
    assert!(dom.contains("Second Net"), "its operator is shown");
    assert!(
        dom.contains("class=\"bars\""),
        "signal bars are drawn:\n{dom}"
    );
    assert!(dom.contains("storage "), "storage use is shown");
    assert!(dom.contains("sent 1"), "a modem counts the message it sent");
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
    sim_a.shutdown().await;
    sim_b.shutdown().await;
}
