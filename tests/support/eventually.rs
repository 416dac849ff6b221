//! Polling with a deadline: the way tests wait for something the system does on its own time
//! (a flush, a delivery, an acknowledgement recorded), instead of sleeping and hoping.

use std::future::Future;
use std::time::Duration;

/// How long [`eventually`] waits before the test fails (generous: debug builds, busy CI).
pub const WAIT: Duration = Duration::from_secs(30);

/// Polls `check` every 50 ms until it returns `Some`, failing the test after [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
