//! Logging set-up: structured `tracing` events, filtered like `RUST_LOG`, as text or JSON.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber, writing to stderr (stdout is kept for the few lines
/// scripts read, such as the listening address). `RUST_LOG` wins over `filter` when set.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests, embedding) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// A duration for a log line or a reason, as precise as a person reads it: `850µs`, `42ms`,
/// `4.2s`, `42s`, `2m 5s`, `1h 2m` (humantime's own format goes to the nanosecond:
/// `42s 75ms 171us 801ns`).
#[derive(Debug, Clone, Copy)]
pub struct Short(pub std::time::Duration);

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        let ms = d.as_millis();
        if ms == 0 && !d.is_zero() {
            return write!(f, "{}µs", d.as_micros());
        }
        if ms < 1000 {
            return write!(f, "{ms}ms");
        }
        if ms < 10_000 {
            // Tenths of a second, rounded.
            let tenths = (ms + 50) / 100;
            return match tenths % 10 {
                0 => write!(f, "{}s", tenths / 10),
                t => write!(f, "{}.{t}s", tenths / 10),
            };
        }
        let secs = (ms + 500) / 1000;
        if secs < 60 {
            return write!(f, "{secs}s");
        }
        // Past an hour, seconds are noise.
        let secs = if secs >= 3600 { secs / 60 * 60 } else { secs };
        let d = std::time::Duration::from_secs(secs as u64);
        write!(f, "{}", humantime::format_duration(d))
    }
}

#[cfg(test)]
mod tests {
    use super::Short;
    use std::time::Duration;

    #[test]
    fn durations_should_be_shown_to_the_precision_people_read() {
        let s = |d: Duration| Short(d).to_string();
        assert_eq!(s(Duration::new(42, 75_171_801)), "42s");
        assert_eq!(s(Duration::from_micros(850)), "850µs");
        assert_eq!(s(Duration::ZERO), "0ms");
        assert_eq!(s(Duration::from_millis(42)), "42ms");
        assert_eq!(s(Duration::from_millis(4_249)), "4.2s");
        assert_eq!(s(Duration::from_millis(2_000)), "2s");
        assert_eq!(s(Duration::from_millis(9_990)), "10s");
        assert_eq!(s(Duration::from_millis(125_400)), "2m 5s");
        assert_eq!(s(Duration::from_secs(3_725)), "1h 2m");
        assert_eq!(s(Duration::from_secs(2 * 86_400 + 7)), "2days");
    }
}
