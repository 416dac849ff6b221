//! Console sessions: a browser signs in once with a token and carries an opaque session id in
//! an HttpOnly cookie, so no token is ever in a URL, a page or the browser's history.
//!
//! Sessions live in memory only (a restart signs everyone out: a console session is cheap to
//! renew and a store write per sign-in would buy nothing). Each holds the scopes of the token
//! it was opened with, the actor recorded in audit trails, and its own CSRF token, which every
//! write made with the cookie must echo in `X-CSRF-Token` (synchronizer-token pattern; the
//! cookie is SameSite=Strict as well).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::config::Scope;
use crate::model::Actor;

/// The session cookie's name.
pub const COOKIE: &str = "smsgw_session";
/// The header a cookie-authenticated write must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// A session ends this long after sign-in, used or not.
pub const LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Sessions kept at most; signing in beyond it ends the least recently used one.
pub const MAX_SESSIONS: usize = 1024;

/// The id of the session a request was made with: a request extension the token check
/// ([`crate::api::auth`]) sets, for handlers that outlive the request's check (the live
/// stream ends when its session does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn(pub String);

/// One signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who acts (the token's name), for audit trails and message histories.
    pub actor: Actor,
    /// What it may do: the scopes of the token it signed in with.
    pub scopes: Vec<Scope>,
    /// The token a write must echo in [`CSRF_HEADER`].
    pub csrf: String,
}

impl Session {
    /// Whether it may do what `scope` covers (`admin` covers everything).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&scope)
    }
}

#[derive(Debug)]
struct Entry {
    session: Session,
    opened: Instant,
    used: Instant,
}

/// The open sessions, by id. Owned here; handlers reach it through the console state.
#[derive(Debug, Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Entry>>,
}

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The system's random source failed: no id that cannot be guessed, no session.
    #[error("the system's random source failed: {0}")]
    Random(String),
}

/// 32 random bytes from the operating system, hex: a session id or CSRF token.
fn random_token() -> Result<String, SessionError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SessionError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

impl Sessions {
    /// Opens a session acting as `actor` with `scopes` (those of the token or console user
    /// that signed in); its id (the cookie value).
    pub fn open(
        &self,
        actor: Actor,
        scopes: Vec<Scope>,
        now: Instant,
    ) -> Result<(String, Session), SessionError> {
        let id = random_token()?;
        let session = Session {
            actor,
            scopes,
            csrf: random_token()?,
        };
        let mut open = self.open.lock();
        open.retain(|_, e| live(e, now));
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
        {
            open.remove(&oldest);
        }
        open.insert(
            id.clone(),
            Entry {
                session: session.clone(),
                opened: now,
                used: now,
            },
        );
        Ok((id, session))
    }

    /// The session with this id, if it is still open; marks it used.
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut open = self.open.lock();
        let entry = open.get_mut(id)?;
        if !live(entry, now) {
            open.remove(id);
            return None;
        }
        entry.used = now;
        Some(entry.session.clone())
    }

    /// Whether the session with this id is still open, without marking it used (a live
    /// stream checks this: an open tab alone does not keep a session from going idle).
    pub fn is_open(&self, id: &str, now: Instant) -> bool {
        self.open.lock().get(id).is_some_and(|e| live(e, now))
    }

    /// The open session named by the `Cookie` header of `headers`, with its id; marks it
    /// used.
    pub fn from_headers(
        &self,
        headers: &axum::http::HeaderMap,
        now: Instant,
    ) -> Option<(String, Session)> {
        let cookies = headers.get(axum::http::header::COOKIE)?.to_str().ok()?;
        let id = cookie_value(cookies)?;
        let session = self.get(id, now)?;
        Some((id.to_string(), session))
    }

    /// Ends the session with this id; whether there was one.
    pub fn close(&self, id: &str) -> bool {
        self.open.lock().remove(id).is_some()
    }

    /// How many are open (expired ones included until the next sign-in sweeps them).
    pub fn len(&self) -> usize {
        self.open.lock().len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn live(e: &Entry, now: Instant) -> bool {
    now.saturating_duration_since(e.used) < IDLE
        && now.saturating_duration_since(e.opened) < LIFETIME
}

/// The session id in a `Cookie` header value, if there is one.
pub fn cookie_value(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value that hands `id` to the browser: HttpOnly (no script reads it),
/// SameSite=Strict (no other site's page sends it), Secure when the API is served over TLS.
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        LIFETIME.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a read-only token named "front desk" signs in as.
    fn token() -> (Actor, Vec<Scope>) {
        (Actor("front desk".into()), vec![Scope::Read])
    }

    impl Sessions {
        fn open_as(&self, who: (Actor, Vec<Scope>), now: Instant) -> (String, Session) {
            self.open(who.0, who.1, now).unwrap()
        }
    }

    #[test]
    fn a_session_should_carry_the_tokens_scopes_and_a_csrf_token_of_its_own() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let (a, sa) = sessions.open_as(token(), now);
        let (b, sb) = sessions.open_as(token(), now);
        assert_ne!(a, b, "ids are random");
        assert_ne!(sa.csrf, sb.csrf);
        assert_eq!(a.len(), 64);
        assert!(sa.allows(Scope::Read) && !sa.allows(Scope::Send));
        assert_eq!(sa.actor, Actor("front desk".into()));
        assert_eq!(sessions.get(&a, now), Some(sa));
        assert!(sessions.close(&a));
        assert_eq!(sessions.get(&a, now), None);
        assert!(sessions.get(&b, now).is_some());
    }

    #[test]
    fn a_session_should_end_when_idle_or_too_old() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let (id, _) = sessions.open_as(token(), t0);
        assert!(sessions.get(&id, t0 + IDLE / 2).is_some());
        assert!(sessions.get(&id, t0 + IDLE).is_some(), "use keeps it alive");
        assert!(
            sessions
                .get(&id, t0 + IDLE + IDLE + Duration::from_secs(1))
                .is_none()
        );
        let (id, _) = sessions.open_as(token(), t0);
        let mut t = t0;
        while t < t0 + LIFETIME - IDLE / 2 {
            t += IDLE / 2;
            assert!(sessions.get(&id, t).is_some());
        }
        assert!(
            sessions.get(&id, t0 + LIFETIME).is_none(),
            "lifetime caps it"
        );
    }

    #[test]
    fn sign_ins_beyond_the_bound_should_end_the_least_recently_used_session() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let (first, _) = sessions.open_as(token(), t0);
        let (second, _) = sessions.open_as(token(), t0);
        sessions.get(&first, t0 + Duration::from_secs(1));
        for i in 0..MAX_SESSIONS - 1 {
            sessions.open_as(token(), t0 + Duration::from_secs(2 + i as u64));
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
        assert!(
            sessions
                .get(&second, t0 + Duration::from_secs(5000))
                .is_none()
        );
        assert!(
            sessions
                .get(&first, t0 + Duration::from_secs(5000))
                .is_some()
        );
    }

    #[test]
    fn the_cookie_should_be_found_among_others_and_set_strictly() {
        assert_eq!(cookie_value("a=1; smsgw_session=abc ; b=2"), Some("abc"));
        assert_eq!(cookie_value("smsgw_session="), None);
        assert_eq!(cookie_value("other=1"), None);
        let c = set_cookie("abc", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!set_cookie("abc", false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
