//! Third-party programs the tests run against (schemathesis, chromium, gammu, Kannel …).
//!
//! A test that needs one and cannot find it must not pass silently: under CI (`CI` set, as
//! `.ci/run` is run) that is a failure, because `.ci/run` installs every such program; on a
//! developer's machine the test is skipped with a notice on stderr naming what to install.

use std::process::{Command, Stdio};

/// Whether `program` runs (`program probe_args…` starts). When it does not: panics under CI,
/// else prints a notice and returns false, and the caller returns early.
#[allow(dead_code)] // not every test crate that includes this file needs it
pub fn available(program: &str, probe_args: &[&str], install_hint: &str) -> bool {
    let runs = Command::new(program)
        .args(probe_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if runs {
        return true;
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !in_ci,
        "{program} is required under CI ({install_hint}; .ci/run installs it) but does not run"
    );
    eprintln!("notice: {program} is not installed ({install_hint}); skipping this test");
    false
}

/// Like [`available`], but `program probe_args…` must also succeed (exit 0): for a peer that
/// is a library, where the interpreter runs but the import may fail.
#[allow(dead_code)] // not every test crate that includes this file needs it
pub fn works(program: &str, probe_args: &[&str], install_hint: &str) -> bool {
    let ok = Command::new(program)
        .args(probe_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !in_ci,
        "{program} {probe_args:?} is required under CI ({install_hint}; .ci/run installs it) \
         but fails"
    );
    eprintln!("notice: {program} {probe_args:?} fails ({install_hint}); skipping this test");
    false
}
