//! The command line: check-config exit codes and messages, and `smsgw send`.

use std::process::Command;

use crate::harness::{BIN, Daemon, QUEUE_ONLY, write_config};

fn repo_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn check_config_should_accept_every_shipped_file() {
    for f in ["config/demo.toml", "config/smsgw.toml"] {
        let out = Command::new(BIN)
            .args(["check-config", "--config"])
            .arg(repo_file(f))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn run_should_refuse_an_open_api_given_as_listen_before_binding() {
    // `--listen 0.0.0.0:…` on a token-less configuration used to start an open API on every
    // interface: the override was applied after validation. It is validated like the file.
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), QUEUE_ONLY);
    let data = dir.path().join("data");
    let mut child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&path)
        .args(["--listen", "0.0.0.0:0", "--data-dir"])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A refused configuration exits at once; a daemon that started keeps running.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("smsgw started an open API on 0.0.0.0 instead of refusing --listen");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`--listen`: 0.0.0.0:0 is not a loopback address"),
        "{err}"
    );
    assert!(
        !data.exists(),
        "nothing may start before the configuration is valid"
    );
}

#[test]
fn check_config_should_exit_2_naming_the_key_and_line_of_each_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "[server]\nlisten = \"0.0.0.0:80\"\n\n[messages]\nmax_parts = 0\n",
    );
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: `server.listen`"), "{err}");
    assert!(err.contains("line 5: `messages.max_parts`"), "{err}");

    let path = write_config(dir.path(), "[messages]\nmax_part = 3\n");
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("max_part"), "{err}");
}

#[test]
fn send_should_print_the_id_of_an_accepted_message_and_report_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), QUEUE_ONLY);
    let daemon = Daemon::start(dir.path(), &config);
    let out = Command::new(BIN)
        .args([
            "send",
            "--to",
            "+358401234567",
            "--text",
            "Hei!",
            "--url",
            &daemon.base,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.contains("queued (1 part(s), gsm7)"), "{line}");

    let out = Command::new(BIN)
        .args(["send", "--to", "12", "--text", "x", "--url", &daemon.base])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_number"));
}
