//! `GET /v1/console/stream`: the console's live feed, as server-sent events.
//!
//! - `overview`: the overview ([`super::overview::overview`]) at once and every
//!   [`OVERVIEW_EVERY`] (modems' signal and links change without events);
//! - `message`: each event the store records (`message.status`, `message.received`), as it is
//!   counted ([`crate::metrics::activity::LiveEvent`]); pages reload what it touches;
//! - `lagged`: the page fell behind by more than the buffer: reload everything.
//!
//! A comment line every 15 s keeps proxies from closing an idle stream. The stream ends at
//! shutdown, and for a browser signed in with a session cookie once that session ends
//! (sign-out, expiry), seen at the next overview tick: a signed-out tab learns nothing more.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::super::AppState;
use super::session::SignedIn;

/// How often the overview is sent again.
pub const OVERVIEW_EVERY: Duration = Duration::from_secs(3);

struct Feed {
    state: AppState,
    live: tokio::sync::broadcast::Receiver<crate::metrics::activity::LiveEvent>,
    every: tokio::time::Interval,
    /// The session the stream was opened with (`None` for a bearer token).
    session: Option<String>,
}

/// The feed.
pub async fn stream(
    State(state): State<AppState>,
    signed_in: Option<Extension<SignedIn>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut every = tokio::time::interval(OVERVIEW_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let feed = Feed {
        live: state.activity.listen(),
        state,
        every,
        session: signed_in.map(|Extension(SignedIn(id))| id),
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        let event = tokio::select! {
            _ = feed.state.stop.cancelled() => return None,
            _ = feed.every.tick() => {
                if let Some(id) = &feed.session
                    && !feed.state.console.sessions.is_open(id, std::time::Instant::now())
                {
                    return None;
                }
                overview_event(&feed.state).await?
            }
            heard = feed.live.recv() => match heard {
                Ok(e) => Event::default().event("message").json_data(&e).ok()?,
                Err(RecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
                Err(RecvError::Closed) => return None,
            },
        };
        Some((Ok(event), feed))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn overview_event(state: &AppState) -> Option<Event> {
    let state = state.clone();
    let view = tokio::task::spawn_blocking(move || super::overview::overview(&state))
        .await
        .ok()?;
    Event::default().event("overview").json_data(&view).ok()
}
