//! The `hw-sim` binary as a person or a service manager runs it: a second simulator never
//! takes over the port of a running one, and SIGTERM (kill, systemd) removes the link just as
//! Ctrl-C does.
#![allow(clippy::unwrap_used)]

#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use process::Bounded;

/// Upper bound of every wait (a debug build on a busy machine).
const WAIT: Duration = Duration::from_secs(30);

fn modem(link: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hw-sim"));
    c.arg("modem")
        .arg("--link")
        .arg(link)
        .env("RUST_LOG", "warn");
    c
}

/// Waits until `link` is a symlink, and returns what it points at.
fn linked(link: &Path) -> std::path::PathBuf {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(target) = std::fs::read_link(link) {
            return target;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            link.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_should_stop_the_modem_and_remove_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttySIM0");
    let mut sim = Bounded::spawn(&mut modem(&link));
    linked(&link);
    let term = Command::new("kill")
        .args(["-TERM", &sim.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = sim.wait(WAIT);
    assert!(status.success(), "{status}");
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link is left behind"
    );
}

#[test]
fn a_second_modem_should_not_take_the_link_of_a_running_one() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttySIM0");
    let _first = Bounded::spawn(&mut modem(&link));
    let target = linked(&link);
    let second = Bounded::run(&mut modem(&link), WAIT);
    assert!(
        second.status.is_some_and(|s| !s.success()),
        "{}",
        second.ending()
    );
    assert!(
        second.stderr.contains("port of a running modem"),
        "{}",
        second.stderr
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
}

#[test]
fn a_stale_link_should_be_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttySIM0");
    // What a killed simulator leaves: a link to a pseudo-terminal that no longer exists.
    std::os::unix::fs::symlink(dir.path().join("gone"), &link).unwrap();
    let _sim = Bounded::spawn(&mut modem(&link));
    let deadline = Instant::now() + WAIT;
    while std::fs::read_link(&link).unwrap_or_default() == dir.path().join("gone") {
        assert!(Instant::now() < deadline, "the stale link was not replaced");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(std::fs::metadata(&link).is_ok());
}
