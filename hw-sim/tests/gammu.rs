//! Third-party modem software against the simulated modem: gammu (AT connection) identifies
//! it, sends through it and reads the messages it received. Skipped, with a notice, where
//! gammu is not installed (`.ci/run` installs it).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use hw_sim::{ModemConfig, Profile, SimModem};

/// Runs gammu with `args` against the modem configured in `rc`; bounded by coreutils'
/// `timeout` so a confused dialogue cannot hang the suite.
fn gammu(rc: &Path, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("60")
        .arg("gammu")
        .arg("-c")
        .arg(rc)
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "gammu {args:?} failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn gammu_installed() -> bool {
    Command::new("gammu").arg("--version").output().is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_should_identify_send_through_and_read_from_the_simulated_modem() {
    if !gammu_installed() {
        eprintln!("notice: gammu is not installed; skipping the gammu interoperability test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttySIM0");
    let mut cfg = ModemConfig::fast(Profile::sim800());
    cfg.link = Some(link.clone());
    let sim = SimModem::start(cfg).await.unwrap();
    let rc = dir.path().join("gammurc");
    std::fs::write(
        &rc,
        format!("[gammu]\ndevice = {}\nconnection = at\n", link.display()),
    )
    .unwrap();

    let id = tokio::task::spawn_blocking({
        let rc = rc.clone();
        move || gammu(&rc, &["identify"])
    })
    .await
    .unwrap();
    assert!(id.contains("SIMCOM_Ltd"), "{id}");
    assert!(id.contains("356938035643809"), "{id}");

    tokio::task::spawn_blocking({
        let rc = rc.clone();
        move || {
            gammu(
                &rc,
                &[
                    "sendsms",
                    "TEXT",
                    "+358401234567",
                    "-text",
                    "Sent by gammu through hw-sim",
                ],
            )
        }
    })
    .await
    .unwrap();
    let sent = sim.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].recipient, "+358401234567");
    assert_eq!(sent[0].text, "Sent by gammu through hw-sim");

    let reply = "Received by gammu: a reply long enough to need two parts in GSM 7-bit, which \
                 gammu lists as two linked parts of one concatenated message, because one \
                 part holds at most 160 septets. That is all.";
    assert!(reply.len() > 160);
    assert_eq!(
        sim.inject_text("+358407654321", reply, false, false)
            .await
            .unwrap(),
        2
    );
    let all = tokio::task::spawn_blocking(move || gammu(&rc, &["getallsms"]))
        .await
        .unwrap();
    assert!(all.contains("+358407654321"), "{all}");
    assert!(
        all.contains("part 1 of 2") && all.contains("part 2 of 2"),
        "{all}"
    );
    assert!(all.contains("That is all."), "{all}");
    sim.shutdown().await;
}
