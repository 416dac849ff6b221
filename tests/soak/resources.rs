//! What a process holds, read from `/proc/PID` once a second: resident memory, open file
//! descriptors, threads. A soak fails on a trend, not on a level, so the samples are kept.

use std::time::Duration;

/// One reading.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since sampling started.
    pub at: f64,
    /// Resident set size, KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
    /// Of which sockets (connections come and go with the peers' pools; the rest — files,
    /// pipes, event descriptors — must not grow at all).
    pub sockets: usize,
    /// Threads.
    pub threads: usize,
}

/// Reads `pid` now; `None` once the process is gone.
pub fn read(pid: u32, at: f64) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let mut fds = 0;
    let mut sockets = 0;
    for e in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.flatten() {
        fds += 1;
        if std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:")) {
            sockets += 1;
        }
    }
    Some(Sample {
        at,
        rss_kib: field("VmRSS:")?,
        fds,
        sockets,
        threads: field("Threads:")? as usize,
    })
}

/// Samples `pid` every second until `stop` is cancelled.
pub async fn sample(pid: u32, stop: tokio_util::sync::CancellationToken) -> Vec<Sample> {
    let start = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut out = Vec::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return out,
            _ = tick.tick() => {}
        }
        match read(pid, start.elapsed().as_secs_f64()) {
            Some(s) => out.push(s),
            None => return out,
        }
    }
}

/// What `pid`'s descriptors point at, counted by kind (`socket`, `pipe`, an anonymous inode's
/// name, or the file's path): printed when descriptors grew, to tell a pool of connections
/// from a leak.
pub fn fd_kinds(pid: u32) -> String {
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    if let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in entries.flatten() {
            let target = std::fs::read_link(e.path())
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            let kind = match target.split_once(":[") {
                Some((kind, _)) => kind.to_string(),
                None => target,
            };
            *kinds.entry(kind).or_default() += 1;
        }
    }
    kinds
        .iter()
        .map(|(k, n)| format!("{n} × {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The median of `values` (0 when empty).
pub fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// Median resident memory of the samples between the fractions `from` and `to` of the run.
pub fn rss_median(samples: &[Sample], from: f64, to: f64) -> u64 {
    let n = samples.len() as f64;
    let lo = (n * from) as usize;
    let hi = ((n * to) as usize).max(lo + 1).min(samples.len());
    median(samples[lo.min(hi)..hi].iter().map(|s| s.rss_kib).collect())
}
