//! An SMPP link as a dispatcher [`Route`].
//!
//! - Readiness: `Ready` while a transmitting connection is bound, with room for
//!   [`PREFETCH_WINDOWS`] times as many messages as the bound windows hold (AIMD-adjusted)
//!   minus those already taken; `Down`
//!   with the connections' states otherwise, so the dispatcher parks the route's messages
//!   (no spinning) and fails over.
//! - A message becomes one submit_sm per part ([`super::encode`]), queued on the link in
//!   order. Per part: `ESME_ROK` records the SMSC id in the store's correlation index (only
//!   then) and reports `Sent`; `ESME_RTHROTTLED`/`ESME_RMSGQFUL` feed the link's rate controller (`session::aimd`)
//!   and put the part back at the head of the queue, until the message's validity ends;
//!   other statuses are temporary or permanent per [`CommandStatus::is_temporary`], with the
//!   SMPP error name as the reason (it lands in the message history).
//! - A part written without a response when the connection ended is resent once the link is
//!   bound again (within `rebind_wait`), marked `possible_duplicate` in the store and counted;
//!   if the link does not come back, it goes to the dispatcher as `Unknown`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use futures::future::join_all;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::encode::{self, SubmitPart};
use super::pdu::{Body, CommandStatus};
use super::session::{Link, SubmitReq, SubmitResult, conn};
use crate::config::{Config, RouteKind};
use crate::dispatch::{BoxFuture, PartOutcome, Readiness, Route, SendJob, SendReport};
use crate::metrics::{Collector, Exposition, Panel};
use crate::model::{MessageId, Timestamp};
use crate::store::{ALL_PARTS, Store};

/// How many windows' worth of messages the link takes from the dispatcher: one on the wire,
/// the rest waiting in the link's queue. The dispatcher makes each hand-over durable (an
/// fsync) before the route sees it; with only one window taken, every window would wait for
/// that flush and the link would idle through it. Messages waiting here are `sending` in the
/// store, so after a crash they are requeued as possible duplicates even though they never
/// left: a bounded cost (at most this many windows per session) for not idling.
const PREFETCH_WINDOWS: usize = 4;

/// One SMPP link serving one route.
#[derive(Debug)]
pub struct SmppRoute {
    link: Arc<Link>,
    store: Arc<Store>,
    reference: AtomicU16,
}

/// Gives a job's capacity back when its send ends.
struct Reservation(Arc<Link>);

impl Drop for Reservation {
    fn drop(&mut self) {
        self.0.reserved.fetch_sub(1, Ordering::AcqRel);
        self.0.wake_dispatcher();
    }
}

impl SmppRoute {
    /// The link behind the route (for metrics, `GET /v1/links` and tests).
    pub fn link(&self) -> &Arc<Link> {
        &self.link
    }
}

impl Route for SmppRoute {
    fn name(&self) -> &str {
        &self.link.name
    }

    fn readiness(&self) -> Readiness {
        let bound = self.link.bound_transmitters();
        if bound == 0 {
            let why: Vec<String> = self
                .link
                .conns
                .iter()
                .filter(|c| c.role.transmits())
                .map(|c| c.state.lock().describe())
                .collect();
            return Readiness::Down(format!("SMPP link not bound ({})", why.join("; ")));
        }
        let capacity = bound * self.link.window() * PREFETCH_WINDOWS;
        let taken = self.link.reserved.load(Ordering::Acquire);
        Readiness::Ready {
            free: capacity.saturating_sub(taken),
        }
    }

    fn send(&self, job: SendJob) -> BoxFuture<SendReport> {
        self.link.reserved.fetch_add(1, Ordering::AcqRel);
        let guard = Reservation(self.link.clone());
        let reference = self.reference.fetch_add(1, Ordering::Relaxed);
        let link = self.link.clone();
        let store = self.store.clone();
        let encoded = encode::submits(
            &job.message,
            &job.parts,
            &link.config,
            reference,
            Timestamp::now(),
        );
        Box::pin(async move {
            let _guard = guard;
            let parts = match encoded {
                Ok(p) => p,
                Err(e) => {
                    return SendReport {
                        parts: job
                            .parts
                            .iter()
                            .map(|&i| {
                                (
                                    i,
                                    PartOutcome::Permanent {
                                        reason: format!("cannot encode the message: {e}"),
                                    },
                                )
                            })
                            .collect(),
                    };
                }
            };
            let id = job.message.id;
            let expires = job.message.expires_at;
            let outcomes = join_all(
                parts
                    .into_iter()
                    .map(|p| submit_part(&link, &store, id, expires, p)),
            )
            .await;
            let mut report = SendReport::default();
            for (index, outcome) in outcomes {
                if index == ALL_PARTS {
                    for &i in &job.parts {
                        report.parts.push((i, outcome.clone()));
                    }
                } else {
                    report.parts.push((index, outcome));
                }
            }
            report
        })
    }

    fn set_waker(&self, waker: Arc<Notify>) {
        *self.link.waker.lock() = Some(waker);
    }
}

/// Sends one part until it has an outcome the dispatcher should record.
async fn submit_part(
    link: &Arc<Link>,
    store: &Arc<Store>,
    id: MessageId,
    expires: Timestamp,
    part: SubmitPart,
) -> (u8, PartOutcome) {
    let mut front = false;
    loop {
        let (tx, rx) = oneshot::channel();
        let mut body = part.body.clone();
        if front {
            // Sent again (throttled, or its response lost): what is left of the validity now.
            body.validity_period =
                encode::validity_period(expires, Timestamp::now(), link.config.validity_format);
        }
        link.enqueue(
            SubmitReq {
                body: Body::SubmitSm(body),
                part: Some((id, part.index)),
                reply: tx,
            },
            front,
        );
        let result = rx.await.unwrap_or(SubmitResult::NotSent);
        let outcome = match result {
            SubmitResult::Accepted { message_id } => PartOutcome::Sent {
                remote_id: Some(message_id),
            },
            SubmitResult::Refused(status) if status.is_throttle() => {
                if Timestamp::now() >= expires {
                    PartOutcome::Temporary {
                        reason: format!("{status} until the validity period ended"),
                    }
                } else {
                    // In its place: at the head of the queue; the link's pacing slows it.
                    front = true;
                    continue;
                }
            }
            SubmitResult::Refused(status) => refused(status),
            SubmitResult::Lost => {
                if link.wait_bound(link.config.rebind_wait.get()).await {
                    Link::count(&link.stats.possible_duplicates);
                    store.writer().mark_possible_duplicate(id, part.index);
                    front = true;
                    continue;
                }
                PartOutcome::Unknown {
                    reason: "the SMPP link dropped before the submit_sm_resp".into(),
                }
            }
            SubmitResult::NotSent => PartOutcome::Temporary {
                reason: "the SMPP link is stopping".into(),
            },
        };
        return (part.index, outcome);
    }
}

fn refused(status: CommandStatus) -> PartOutcome {
    let reason = status.to_string();
    if status.is_temporary() {
        PartOutcome::Temporary { reason }
    } else {
        PartOutcome::Permanent { reason }
    }
}

/// Running SMPP links: their routes and tasks.
#[derive(Debug, Default)]
pub struct Links {
    /// One route per `[[smpp]]` link.
    pub routes: Vec<Arc<SmppRoute>>,
    /// Connection and housekeeping tasks; they end when the token given to [`start`] is
    /// cancelled (connections unbind first).
    pub tasks: Vec<JoinHandle<()>>,
}

/// Starts every `[[smpp]]` link whose route is not in `skip` (routes already provided, such
/// as test doubles).
pub fn start(
    config: &Config,
    store: Arc<Store>,
    cancel: CancellationToken,
    skip: &[String],
) -> Links {
    let mut out = Links::default();
    for lc in &config.smpp {
        if skip.contains(&lc.route)
            || config
                .route(&lc.route)
                .is_none_or(|r| r.kind != RouteKind::Smpp)
        {
            continue;
        }
        let link = Link::new(&lc.route, lc.clone());
        for i in 0..link.conns.len() {
            out.tasks.push(tokio::spawn(conn::run(
                link.clone(),
                i,
                store.clone(),
                cancel.clone(),
            )));
        }
        out.tasks.push(tokio::spawn(super::inbound::retry_parked(
            link.clone(),
            store.clone(),
            super::inbound::receipt_keep(config.messages.max_validity.get()),
            cancel.clone(),
        )));
        {
            let link = link.clone();
            let cancel = cancel.clone();
            out.tasks.push(tokio::spawn(async move {
                cancel.cancelled().await;
                link.drain();
            }));
        }
        out.routes.push(Arc::new(SmppRoute {
            link,
            store: store.clone(),
            reference: AtomicU16::new(fastrand::u16(..)),
        }));
    }
    out
}

impl SmppRoute {
    /// submit_sm awaiting their response, over every connection.
    fn window_used(&self) -> usize {
        self.link
            .conns
            .iter()
            .map(|c| c.in_flight.load(Ordering::Relaxed))
            .sum()
    }
}

impl Collector for SmppRoute {
    fn collect(&self, out: &mut Exposition) {
        let l = &self.link;
        let name = l.name.as_str();
        let s = &l.stats;
        let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64;
        out.gauge(
            "smsgw_smpp_bound_sessions",
            "Bound transmitting SMPP connections.",
            &[("link", name)],
            l.bound_transmitters() as f64,
        );
        let in_flight = self.window_used();
        out.gauge(
            "smsgw_smpp_window_used",
            "submit_sm awaiting their response.",
            &[("link", name)],
            in_flight as f64,
        );
        out.gauge(
            "smsgw_smpp_window",
            "Window per session now (at most about one second of the paced rate).",
            &[("link", name)],
            l.window() as f64,
        );
        out.gauge(
            "smsgw_smpp_rate_limit",
            "submit_sm per second the link paces itself to now (the contracted rate, lowered while the SMSC throttles); 0 for none.",
            &[("link", name)],
            l.current_rate().unwrap_or(0.0),
        );
        out.gauge(
            "smsgw_smpp_receipts_parked",
            "Receipts that matched no submit yet, kept and retried.",
            &[("link", name)],
            g(&s.receipts_parked_now),
        );
        for (result, v) in [
            ("accepted", g(&s.accepted)),
            ("throttled", g(&s.throttled)),
            ("refused", g(&s.refused)),
            ("lost", g(&s.lost)),
        ] {
            out.counter(
                "smsgw_smpp_submits_total",
                "submit_sm by outcome.",
                &[("link", name), ("result", result)],
                v,
            );
        }
        for (metric, help, v) in [
            (
                "smsgw_smpp_possible_duplicates_total",
                "Parts resent after their response was lost.",
                g(&s.possible_duplicates),
            ),
            (
                "smsgw_smpp_receipts_unmatched_total",
                "Receipts parked on arrival (matched later or still parked).",
                g(&s.receipts_parked),
            ),
            (
                "smsgw_smpp_receipts_total",
                "Receipts applied to a message part.",
                g(&s.receipts),
            ),
            (
                "smsgw_smpp_receipts_expired_total",
                "Parked receipts dropped unmatched, older than any message stays valid.",
                g(&s.receipts_expired),
            ),
            (
                "smsgw_smpp_mo_total",
                "MO message parts received.",
                g(&s.mo),
            ),
            (
                "smsgw_smpp_binds_total",
                "Successful binds (more than the sessions bound: the link was lost and bound again).",
                g(&s.binds),
            ),
            (
                "smsgw_smpp_response_timeouts_total",
                "Responses the SMSC did not send in time (each ends its session).",
                g(&s.response_timeouts),
            ),
            (
                "smsgw_smpp_bind_refusals_total",
                "Binds refused by the SMSC.",
                g(&s.bind_refusals),
            ),
            (
                "smsgw_smpp_generic_nacks_sent_total",
                "Malformed PDUs answered with generic_nack.",
                g(&s.nacks_sent),
            ),
            (
                "smsgw_smpp_throttle_cuts_total",
                "Times throttling cut the rate (the throttled share of answers was above 25%).",
                l.throttle_cuts() as f64,
            ),
        ] {
            out.counter(metric, help, &[("link", name)], v);
        }
    }

    fn panels(&self) -> Vec<Panel> {
        let l = &self.link;
        let states: Vec<String> = l
            .conns
            .iter()
            .map(|c| format!("{} {}", c.role.as_str(), c.state.lock().describe()))
            .collect();
        // What a person watching the link wants: bound or not, how full the window is, and
        // whether the SMSC is holding it back.
        let mut detail = format!(
            "{}; window {}/{} in use",
            states.join(", "),
            self.window_used(),
            l.window()
        );
        if let Some(rate) = l.current_rate() {
            detail.push_str(&format!("; paced to {rate:.0}/s"));
        }
        let throttled = l.stats.throttled.load(Ordering::Relaxed);
        if throttled > 0 {
            detail.push_str(&format!(
                "; throttled {throttled} times since start, rate cut {} times",
                l.throttle_cuts()
            ));
        }
        vec![Panel {
            section: "links",
            name: l.name.clone(),
            healthy: l.bound_transmitters() > 0,
            signal_bars: None,
            detail,
        }]
    }
}
