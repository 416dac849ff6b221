//! What the bench binaries share: knobs from the environment, medians, and the real `smsgw`
//! binary as a child process whose CPU time and memory can be read from `/proc`.
#![allow(dead_code)] // each bench uses its own subset

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A number from the environment, or `default`.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median (upper median for an even count); 0 for none.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The `p` quantile (0..=1) of sorted values (durations, milliseconds…); the default
/// (zero) for none.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// The number after `key` (`"VmRSS:"`, `"write_bytes:"`…) in `/proc/PID/<file>`; 0 when
/// unknown.
pub fn proc_field(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory of `pid` in KiB (0 when unknown).
pub fn rss_kib(pid: u32) -> u64 {
    proc_field(pid, "status", "VmRSS:")
}

/// The node-smpp SMSC simulator (`tests/peers/node_smsc.js`) in a child process, with `envs`
/// set (its header lists them); killed on drop.
pub struct NodeSmsc {
    pub child: tokio::process::Child,
    pub port: u16,
    pub stdin: tokio::process::ChildStdin,
    /// Its stdout after the first line (the port): the caller must keep reading it.
    pub lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

/// Where node-smpp is installed (`SMSGW_NODE_MODULES`, else `target/node-smpp/node_modules`);
/// exits with the install command when it is not.
pub fn node_modules() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let modules = std::env::var_os("SMSGW_NODE_MODULES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/node-smpp/node_modules"));
    if !modules.join("smpp").is_dir() {
        eprintln!(
            "node-smpp is not installed under {}: npm install --prefix target/node-smpp smpp@0.5.1",
            modules.display()
        );
        std::process::exit(2);
    }
    modules
}

impl NodeSmsc {
    /// Starts it and waits for the port it listens on.
    pub async fn start(modules: &Path, envs: &[(&str, &str)]) -> NodeSmsc {
        use tokio::io::AsyncBufReadExt;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = tokio::process::Command::new("node")
            .arg(root.join("tests/peers/node_smsc.js"))
            .env("NODE_PATH", modules)
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&first).unwrap();
        let port = v["port"].as_u64().unwrap() as u16;
        let stdin = child.stdin.take().unwrap();
        NodeSmsc {
            child,
            port,
            stdin,
            lines,
        }
    }
}

/// CPU time (user + system) `pid` has used, in seconds, from `/proc/PID/stat` (fields 14 and
/// 15, in clock ticks; Linux's USER_HZ is 100).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0.0;
    };
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    (ticks(11) + ticks(12)) / 100.0
}

/// The `smsgw` binary running `config` with its store in `data`; stopped with SIGTERM on drop.
pub struct Gateway {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Gateway {
    /// Starts it on a free loopback port and waits until the API listens.
    pub fn start(config: &Path, data: &Path) -> Gateway {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smsgw"))
            .args(["run", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut gw = Gateway {
            child,
            base: String::new(),
        };
        gw.base = loop {
            let line = lines.next().unwrap().unwrap();
            if let Some(url) = line.strip_prefix("smsgw: listening on ") {
                break url.to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        gw
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
