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

/// Starts `smsgw run` with `configure` adding an override, and returns its exit code and
/// stderr once it exits; panics if it keeps running (it started instead of refusing).
fn run_refused(configure: impl FnOnce(&mut Command, &std::path::Path)) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), QUEUE_ONLY);
    let data = dir.path().join("data");
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--config"]).arg(&path);
    // Only what the test sets: not a variable of the shell that runs the tests.
    for var in ["SMSGW_LISTEN", "SMSGW_DATA_DIR", "SMSGW_LOG_FORMAT"] {
        cmd.env_remove(var);
    }
    configure(&mut cmd, &data);
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A refused configuration exits at once; a daemon that started keeps running.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("smsgw started an open API on 0.0.0.0 instead of refusing the override");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        !data.exists(),
        "nothing may start before the configuration is valid"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_should_refuse_an_open_api_given_as_listen_before_binding() {
    // `--listen 0.0.0.0:…` on a token-less configuration used to start an open API on every
    // interface: the override was applied after validation. It is validated like the file.
    let (code, err) = run_refused(|cmd, data| {
        cmd.args(["--listen", "0.0.0.0:0", "--data-dir"]).arg(data);
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("`--listen (or SMSGW_LISTEN)`: 0.0.0.0:0 is not a loopback address"),
        "{err}"
    );
}

#[test]
fn run_should_refuse_an_open_api_given_in_the_environment_before_binding() {
    // The environment is a third source of configuration (systemd `Environment=`, containers):
    // it goes through the same checks as the file and the flags.
    let (code, err) = run_refused(|cmd, data| {
        cmd.arg("--data-dir").arg(data);
        cmd.env("SMSGW_LISTEN", "0.0.0.0:0");
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("0.0.0.0:0 is not a loopback address"), "{err}");
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

#[test]
fn check_config_should_warn_when_a_file_holding_secrets_is_readable_by_everyone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "[server]\ntokens = [\"a-token-written-in-the-file\"]\n",
    );
    let check = |mode: u32| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = Command::new(BIN)
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "a warning is not a failure");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(check(0o644).contains("readable by every user"));
    assert!(!check(0o600).contains("warning"));
}

#[test]
fn hash_password_should_print_a_hash_that_check_config_accepts_and_refuse_a_short_password() {
    use std::io::Write;
    let hash = |input: &str| {
        let mut child = Command::new(BIN)
            .arg("hash-password")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = hash("front-desk-password\n");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let phc = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &format!(
            "[server]\ntokens = [\"api-token-0123456789abcdef\"]\n\
             [[console.users]]\nname = \"reception\"\npassword_hash = \"{phc}\"\n"
        ),
    );
    let check = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let short = hash("short\n");
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
}
