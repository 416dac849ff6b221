//! `[kannel]`: the Kannel-compatible `/cgi-bin/sendsms` interface, off unless enabled.

use serde::Deserialize;

use super::TokenSecret;

/// `[kannel]`: lets scripts written for Kannel's smsbox submit through smsgw unchanged.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KannelConfig {
    /// Serve `GET|POST /cgi-bin/sendsms`. Off by default: it authenticates with a password
    /// in the query string, as Kannel does, which only suits trusted local networks.
    #[serde(default)]
    pub enabled: bool,
    /// The `sendsms-user`s: `username`/`password` pairs accepted in the request.
    #[serde(default)]
    pub users: Vec<KannelUser>,
    /// Where a `dlr-url` may point besides public addresses: URL prefixes or host names,
    /// as `[callbacks] allow` (`webhook::egress`).
    #[serde(default)]
    pub dlr_allow: Vec<String>,
}

/// Passwords shorter than this are accepted (scripts migrated from Kannel keep theirs) but
/// warned about by `check-config` and at start.
pub const KANNEL_PASSWORD_ADVISED_LEN: usize = 8;

impl KannelConfig {
    /// What is allowed but unwise: each a `key: advice` line for `check-config` and the
    /// start-up log.
    pub fn warnings(&self) -> Vec<String> {
        self.users
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                !u.password.0.is_empty()
                    && u.password.0.chars().count() < KANNEL_PASSWORD_ADVISED_LEN
            })
            .map(|(i, u)| {
                format!(
                    "`kannel.users[{i}].password` (user {:?}) is shorter than \
                     {KANNEL_PASSWORD_ADVISED_LEN} characters: accepted so that scripts written \
                     for Kannel keep working, but easy to guess; change it when the scripts can",
                    u.username
                )
            })
            .collect()
    }
}

/// One Kannel `sendsms-user`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KannelUser {
    /// `username` (or `user`) parameter.
    pub username: String,
    /// `password` (or `pass`) parameter.
    pub password: TokenSecret,
    /// Sender used when a request has no `from` (Kannel's `default-sender`); without it the
    /// route chooses (the SIM's own number).
    #[serde(default)]
    pub default_sender: Option<String>,
}

/// The reserved webhook-target name of Kannel delivery-report calls.
pub const KANNEL_DLR_TARGET: &str = "kannel-dlr";
