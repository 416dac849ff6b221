//! Failed authentication: counted, logged without the token, and limited per client address.
//!
//! A gateway's token is worth money (it sends SMS), so guessing it must be slow. Each client
//! address has a budget of [`FAILURE_BURST`] failed attempts that refills by one every
//! [`REFILL_EVERY`]; a client that spent it gets `429` with `Retry-After` for every request
//! that needs a token, before the token is even looked at, until the budget refills. Requests
//! that authenticate do not spend it, and a token without the scope a route needs is counted
//! but not limited (it is a mistake in an integration, not a guess).
//!
//! Behind a reverse proxy every client has the proxy's address, so one client guessing slows
//! all of them: the proxy should limit per client itself (README, "Security"). Forwarded-for
//! headers are not trusted, since any client can write them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::metrics::{Collector, Exposition};

/// Failed attempts a client may make in a row before it must wait: enough for a person
/// retyping a token or a script restarted with an old one, far too few to guess.
pub const FAILURE_BURST: f64 = 10.0;

/// One more failed attempt is allowed per this much time (6 a minute).
pub const REFILL_EVERY: Duration = Duration::from_secs(10);

/// Most client addresses tracked at once. Past it, addresses whose budget is full again are
/// forgotten; if all are still limited, the oldest are (memory stays bounded whatever the
/// number of addresses that try).
const MAX_CLIENTS: usize = 10_000;

/// Why a request was refused, as the `reason` label of `smsgw_auth_failures_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No `Authorization: Bearer` header (or not that scheme).
    MissingToken,
    /// A token that is not configured.
    UnknownToken,
    /// A configured token without the scope the route needs.
    MissingScope,
    /// Refused without looking at the token: the client's budget is spent.
    RateLimited,
    /// A Kannel `sendsms` user name and password that match no `[[kannel.users]]` entry.
    KannelPassword,
    /// A console sign-in with a user name and password that match no `[[console.users]]`.
    ConsolePassword,
}

impl Failure {
    const ALL: [Failure; 6] = [
        Failure::MissingToken,
        Failure::UnknownToken,
        Failure::MissingScope,
        Failure::RateLimited,
        Failure::KannelPassword,
        Failure::ConsolePassword,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Failure::MissingToken => "missing_token",
            Failure::UnknownToken => "unknown_token",
            Failure::MissingScope => "missing_scope",
            Failure::RateLimited => "rate_limited",
            Failure::KannelPassword => "kannel_password",
            Failure::ConsolePassword => "console_password",
        }
    }

    /// Whether this failure spends the client's budget (a guess, or a request without one).
    fn spends_budget(self) -> bool {
        matches!(
            self,
            Failure::MissingToken
                | Failure::UnknownToken
                | Failure::KannelPassword
                | Failure::ConsolePassword
        )
    }
}

/// What one client address has left.
#[derive(Debug, Clone, Copy)]
struct Budget {
    left: f64,
    at: Instant,
}

impl Budget {
    fn refilled(self, now: Instant) -> Budget {
        let earned =
            now.saturating_duration_since(self.at).as_secs_f64() / REFILL_EVERY.as_secs_f64();
        Budget {
            left: (self.left + earned).min(FAILURE_BURST),
            at: now,
        }
    }
}

/// The per-address budgets and the failure counters.
#[derive(Debug, Default)]
pub struct AuthFailures {
    clients: Mutex<HashMap<IpAddr, Budget>>,
    counts: [AtomicU64; Failure::ALL.len()],
}

impl AuthFailures {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `Err(wait)` when `client` has spent its budget: the request is refused (and counted
    /// as [`Failure::RateLimited`]) and may be retried after `wait`.
    pub fn admit(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let left = {
            let mut clients = self.clients.lock();
            let Some(budget) = clients.get_mut(&client) else {
                return Ok(());
            };
            *budget = budget.refilled(now);
            budget.left
        };
        if left >= 1.0 {
            return Ok(());
        }
        self.count(Failure::RateLimited);
        // Until the budget holds one whole attempt again; whole seconds for Retry-After.
        Err(REFILL_EVERY
            .mul_f64((1.0 - left).clamp(0.0, 1.0))
            .max(Duration::from_secs(1)))
    }

    /// Records a refused request from `client`.
    pub fn record(&self, client: IpAddr, failure: Failure, now: Instant) {
        self.count(failure);
        if !failure.spends_budget() {
            return;
        }
        let mut clients = self.clients.lock();
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            forget_some(&mut clients, now);
        }
        let budget = clients.entry(client).or_insert(Budget {
            left: FAILURE_BURST,
            at: now,
        });
        *budget = budget.refilled(now);
        budget.left = (budget.left - 1.0).max(0.0);
    }

    fn count(&self, failure: Failure) {
        let i = Failure::ALL.iter().position(|f| *f == failure).unwrap_or(0);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Refusals so far for `failure`.
    pub fn total(&self, failure: Failure) -> u64 {
        let i = Failure::ALL.iter().position(|f| *f == failure).unwrap_or(0);
        self.counts[i].load(Ordering::Relaxed)
    }
}

/// Makes room: first the addresses whose budget has refilled (nothing to remember), then, if
/// every one is still limited, the half that failed longest ago.
fn forget_some(clients: &mut HashMap<IpAddr, Budget>, now: Instant) {
    clients.retain(|_, b| b.refilled(now).left < FAILURE_BURST);
    if clients.len() >= MAX_CLIENTS {
        let mut ages: Vec<Instant> = clients.values().map(|b| b.at).collect();
        ages.sort_unstable();
        let cut = ages[ages.len() / 2];
        clients.retain(|_, b| b.at > cut);
    }
}

impl Collector for AuthFailures {
    fn collect(&self, out: &mut Exposition) {
        for failure in Failure::ALL {
            out.counter(
                "smsgw_auth_failures_total",
                "Requests refused for their token, by reason (rate_limited: refused unread \
                 because the client failed too often)",
                &[("reason", failure.label())],
                self.total(failure) as f64,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn a_client_should_be_limited_after_its_burst_of_failures_and_let_in_after_the_refill() {
        let f = AuthFailures::new();
        let t0 = Instant::now();
        for _ in 0..FAILURE_BURST as usize {
            assert_eq!(f.admit(ip(1), t0), Ok(()));
            f.record(ip(1), Failure::UnknownToken, t0);
        }
        let wait = f.admit(ip(1), t0).unwrap_err();
        assert!(
            wait >= Duration::from_secs(1) && wait <= REFILL_EVERY,
            "{wait:?}"
        );
        // Another address is not affected.
        assert_eq!(f.admit(ip(2), t0), Ok(()));
        // One attempt is earned back per REFILL_EVERY.
        assert_eq!(f.admit(ip(1), t0 + REFILL_EVERY), Ok(()));
        f.record(ip(1), Failure::UnknownToken, t0 + REFILL_EVERY);
        assert!(f.admit(ip(1), t0 + REFILL_EVERY).is_err());
        assert_eq!(f.total(Failure::UnknownToken), FAILURE_BURST as u64 + 1);
        assert_eq!(f.total(Failure::RateLimited), 2);
    }

    #[test]
    fn a_token_without_the_scope_should_be_counted_but_not_limited() {
        let f = AuthFailures::new();
        let t0 = Instant::now();
        for _ in 0..100 {
            f.record(ip(1), Failure::MissingScope, t0);
        }
        assert_eq!(f.admit(ip(1), t0), Ok(()));
        assert_eq!(f.total(Failure::MissingScope), 100);
    }

    #[test]
    fn memory_should_stay_bounded_whatever_the_number_of_addresses() {
        let f = AuthFailures::new();
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 * 3) {
            f.record(IpAddr::from(i.to_be_bytes()), Failure::UnknownToken, t0);
        }
        assert!(f.clients.lock().len() <= MAX_CLIENTS);
    }
}
