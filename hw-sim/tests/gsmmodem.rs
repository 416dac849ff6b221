//! python-gsmmodem (PyPI `python-gsmmodem-new`, pinned in `.ci/requirements.txt`) against
//! every simulated modem profile: it connects with its own start-up sequence, reads a message
//! stored on the SIM, sends one and gets its status report, and takes one announced by
//! `+CMTI`. The Python side is
//! `tests/python/gsmmodem_peer.py`.
//!
//! The interpreter: `HW_SIM_PYTHON` if set, else the CI virtual environment
//! (`$SMSGW_CI_VENV` or `target/ci-venv`, which `.ci/run` creates), else `python3`. Where it
//! cannot import the library the test fails under CI and is skipped with a notice elsewhere
//! (`tests/support/peer.rs`).
#![allow(clippy::unwrap_used)]

#[allow(dead_code)] // only `peer::works` is used here
#[path = "../../tests/support/peer.rs"]
mod peer;
#[path = "support/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hw_sim::modem::profile::PROFILE_NAMES;
use hw_sim::{ModemConfig, Profile, SimModem};
use process::Bounded;
use serde_json::Value;

/// Upper bound of each wait for the script (its own waits are 20 s and 30 s).
const WAIT: Duration = Duration::from_secs(60);

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("HW_SIM_PYTHON") {
        return p.into();
    }
    let venv = std::env::var_os("SMSGW_CI_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ci-venv"));
    let in_venv = venv.join("bin/python");
    if in_venv.exists() {
        in_venv
    } else {
        "python3".into()
    }
}

/// The next JSON line the script printed; it must be the `event` expected.
fn event(script: &mut Bounded, expected: &str) -> Value {
    let line = script
        .next_line(WAIT)
        .unwrap_or_else(|| panic!("the script ended before {expected:?}"));
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert_eq!(v["event"], expected, "{v}");
    v
}

fn against(rt: &tokio::runtime::Runtime, py: &Path, profile: Profile, dir: &Path) {
    let name = profile.name;
    let mut cfg = ModemConfig::fast(profile.clone());
    cfg.link = Some(dir.join(format!("tty-{name}")));
    // Huawei noise at a real stick's pace (see tests/gammu.rs).
    cfg.noise_interval = Duration::from_secs(5);
    let imei = cfg.imei.clone();
    let sim = rt.block_on(SimModem::start(cfg)).unwrap();
    // Stored on the SIM before the library connects (no +CMTI: the default <mt> is 0).
    let parts = rt
        .block_on(sim.inject_text("+358407654321", "Stored before it connected", false, false))
        .unwrap();
    assert_eq!(parts, 1);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/gsmmodem_peer.py");
    let text = format!("Sent by python-gsmmodem through the {name} profile");
    let mut run = Bounded::spawn(
        Command::new(py)
            .arg(&script)
            .arg(sim.link())
            .arg("+358401234567")
            .arg(&text),
    );

    let c = event(&mut run, "connected");
    assert_eq!(c["imei"], imei.as_str(), "{name}: {c}");
    assert_eq!(c["manufacturer"], profile.manufacturer, "{name}: {c}");
    let stored = event(&mut run, "stored");
    let msgs = stored["messages"].as_array().unwrap();
    assert!(
        msgs.iter()
            .any(|m| m["from"] == "+358407654321" && m["text"] == "Stored before it connected"),
        "{name}: {stored}"
    );
    let sent_event = event(&mut run, "sent");
    let sent = sim.sent_messages();
    assert_eq!(sent.len(), 1, "{name}: {sent:?}");
    assert_eq!(sent[0].recipient, "+358401234567", "{name}");
    assert_eq!(sent[0].text, text, "{name}");

    // The library asked for a status report (AT+CSMP=49,...): the network's one arrives.
    let report = event(&mut run, "report");
    assert_eq!(
        report["reference"], sent_event["reference"],
        "{name}: {report}"
    );
    assert_eq!(report["delivered"], true, "{name}: {report}");

    rt.block_on(sim.inject_text("+358409998877", "Announced by +CMTI", false, false))
        .unwrap();
    let r = event(&mut run, "received");
    assert_eq!(r["from"], "+358409998877", "{name}: {r}");
    assert_eq!(r["text"], "Announced by +CMTI", "{name}: {r}");
    let status = run.wait(WAIT);
    assert!(status.success(), "{name}: the script ended with {status}");
    rt.block_on(sim.shutdown());
}

#[test]
fn python_gsmmodem_should_read_send_and_receive_on_every_profile() {
    let py = python();
    if !peer::works(
        &py.to_string_lossy(),
        &["-c", "import gsmmodem.modem, serial"],
        "python-gsmmodem-new and pyserial, pinned in .ci/requirements.txt",
    ) {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in PROFILE_NAMES {
        against(&rt, &py, Profile::by_name(name).unwrap(), dir.path());
    }
}
