//! Third-party modem software against every simulated modem profile: gammu (AT connection)
//! identifies each one, sends through it and reads the messages it received. A profile that
//! gammu cannot use fails the test (the E3372 once did: gammu's Huawei start-up sends
//! `AT^PORTSEL=1` and gives up on `ERROR`). Needs gammu (`.ci/run` installs it; a missing
//! gammu fails under CI, see `tests/support/peer.rs`).
#![allow(clippy::unwrap_used)]

#[path = "../../tests/support/peer.rs"]
mod peer;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hw_sim::modem::profile::PROFILE_NAMES;
use hw_sim::{ModemConfig, Profile, SimModem};
use process::Bounded;

/// Runs gammu with `args` against the modem configured in `rc`, killed after 60 s. On
/// failure the end of gammu's own log (the AT dialogue) is part of the message.
fn gammu(rc: &Path, args: &[&str]) -> String {
    let log = rc.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let out = Bounded::run(
        Command::new("gammu").arg("-c").arg(rc).args(args),
        Duration::from_secs(60),
    );
    if !out.success() {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "gammu {args:?} failed ({}): {}{}\n-- gammu log --\n{}",
            out.ending(),
            out.stdout,
            out.stderr,
            tail.join("\n")
        );
    }
    out.stdout
}

async fn gammu_async(rc: &Path, args: &[&'static str]) -> String {
    let rc = rc.to_path_buf();
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || gammu(&rc, &args))
        .await
        .unwrap()
}

/// gammu identify, sendsms and getallsms against one profile; returns the IMEI gammu read.
async fn gammu_against(profile: Profile, dir: &Path) -> String {
    let name = profile.name;
    let link = dir.join(format!("tty-{name}"));
    let mut cfg = ModemConfig::fast(profile.clone());
    cfg.link = Some(link.clone());
    // Huawei noise (^RSSI, ^HCSQ, ^MODE) at a real stick's pace of seconds, not the fast
    // config's 200 ms: gammu drains the port until it is quiet before its first AT, and a
    // port that is never quiet for it keeps gammu waiting forever.
    cfg.noise_interval = Duration::from_secs(5);
    let imei = cfg.imei.clone();
    let imsi = cfg.imsi.clone();
    let sim = SimModem::start(cfg).await.unwrap();
    let rc = dir.join(format!("gammurc-{name}"));
    std::fs::write(
        &rc,
        format!(
            "[gammu]\ndevice = {}\nconnection = at\nlogfile = {}\nlogformat = textall\n",
            link.display(),
            rc.with_extension("log").display()
        ),
    )
    .unwrap();

    let id = gammu_async(&rc, &["identify"]).await;
    // gammu capitalises what it knows ("huawei" shows as "Huawei").
    assert!(
        id.to_lowercase()
            .contains(&profile.manufacturer.to_lowercase()),
        "{name}: {id}"
    );
    assert!(id.contains(&imei), "{name}: {id}");
    assert!(id.contains(&imsi), "{name}: {id}");

    let text = format!("Sent by gammu through the {name} profile");
    let rc2 = rc.clone();
    let text2 = text.clone();
    tokio::task::spawn_blocking(move || {
        gammu(&rc2, &["sendsms", "TEXT", "+358401234567", "-text", &text2])
    })
    .await
    .unwrap();
    let sent = sim.sent_messages();
    assert_eq!(sent.len(), 1, "{name}: {sent:?}");
    assert_eq!(sent[0].recipient, "+358401234567", "{name}");
    assert_eq!(sent[0].text, text, "{name}");

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
    let all = gammu_async(&rc, &["getallsms"]).await;
    assert!(all.contains("+358407654321"), "{name}: {all}");
    assert!(
        all.contains("part 1 of 2") && all.contains("part 2 of 2"),
        "{name}: {all}"
    );
    assert!(all.contains("That is all."), "{name}: {all}");
    sim.shutdown().await;
    imei
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gammu_should_identify_send_through_and_read_from_every_profile() {
    if !peer::available("gammu", &["--version"], "Debian package gammu") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut imeis = Vec::new();
    for name in PROFILE_NAMES {
        let profile = Profile::by_name(name).unwrap();
        imeis.push(gammu_against(profile, dir.path()).await);
    }
    // Each simulated modem is a different device to gammu, as real ones are.
    let mut distinct = imeis.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), imeis.len(), "{imeis:?}");
}
