//! The configuration file: strict serde structs in human units, and validation that reports
//! every problem with its key and line.
//!
//! Every table denies unknown keys: a typo (`daily_limt`) must stop the daemon, not silently
//! fall back to a default. Values are checked in two steps: serde checks shapes and units while
//! parsing, then [`Config::validate`] checks what relates keys to each other (a rule naming an
//! unknown route, a public listener without tokens) and collects all such problems at once.

mod consent;
mod console;
mod conversations;
mod kannel;
mod limits;
mod modem;
mod parse;
mod secrets;
mod smpp;
mod tokens;
mod units;
mod validate;
mod webhook;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use consent::{CapsConfig, ConsentConfig, ConsentScope, KeywordSet, OverCap, default_keywords};
pub use console::{ConsoleConfig, ConsoleUser, MAX_USER_NAME};
pub use conversations::{
    ConversationsConfig, InboundRouteConfig, LocalWindow, QuietHoursConfig, ZoneOverride,
    zone_exists,
};
pub use kannel::{KANNEL_DLR_TARGET, KannelConfig, KannelUser};
pub use limits::{ByteSize, LimitsConfig};
pub use modem::{ModemConfig, ModemTimeouts, QUIRK_NAMES, UnknownOutcome};
pub use secrets::exposure_warning;
pub use smpp::{BindMode, DefaultCoding, LongMessages, SmppLinkConfig, ValidityFormat};
pub use tokens::{ALL_SCOPES, ApiToken, Scope, TokenSecret};
pub use units::{HumanDuration, Rate};
pub use validate::{ConfigError, ConfigErrors, is_http_url};
pub use webhook::{
    CALLBACK_TARGET, CallbacksConfig, DeliveryConfig, EventName, Template, WebhookConfig,
};

use crate::model::NumberPlan;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The HTTP API.
    #[serde(default)]
    pub server: ServerConfig,
    /// Where and how messages are kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Defaults and limits for outbound messages.
    #[serde(default)]
    pub messages: MessagesConfig,
    /// The routes messages can take, with their shaping.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Which routes serve which number prefixes, in failover order.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// HTTP targets that receive events (`message.status`, `message.received`).
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// Per-message `callback_url` delivery; absent means clients may not set one.
    #[serde(default)]
    pub callbacks: Option<CallbacksConfig>,
    /// Back-pressure: queue limit and disk floor.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The Kannel-compatible `sendsms` interface.
    #[serde(default)]
    pub kannel: KannelConfig,
    /// The GSM modems serving `modem_pool` routes.
    #[serde(default)]
    pub modems: Vec<ModemConfig>,
    /// The SMPP links serving `smpp` routes.
    #[serde(default)]
    pub smpp: Vec<SmppLinkConfig>,
    /// Reply matching and sticky senders.
    #[serde(default)]
    pub conversations: ConversationsConfig,
    /// The recipient's sending window; absent means none.
    #[serde(default)]
    pub quiet_hours: Option<QuietHoursConfig>,
    /// Where received messages are posted, by rule.
    #[serde(default)]
    pub inbound_routes: Vec<InboundRouteConfig>,
    /// Opt-out keywords, the suppression list and frequency caps.
    #[serde(default)]
    pub consent: ConsentConfig,
    /// The operator console's users (name and password sign-in).
    #[serde(default)]
    pub console: ConsoleConfig,
}

/// `[server]`: the local HTTP API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Loopback by default: the API is for local applications.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Bearer tokens accepted by the API: plain strings (every scope) or tables with `scopes`.
    /// Empty means no authentication, which is only allowed on a loopback address.
    #[serde(default)]
    pub tokens: Vec<ApiToken>,
    /// How long shutdown waits for sends already handed to a route.
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace: HumanDuration,
    /// Serve the API over TLS with these files (reloaded on SIGHUP); plain HTTP without.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
}

/// `[server.tls]`: PEM files for the API's TLS listener.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_shutdown_grace() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(10))
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            tokens: Vec::new(),
            shutdown_grace: default_shutdown_grace(),
            tls: None,
        }
    }
}

/// `[store]`: the sled database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Directory of the database. Relative paths are relative to the working directory; the
    /// systemd unit runs in `/var/lib/smsgw`.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// sled's page cache size in bytes.
    #[serde(default = "default_cache_bytes")]
    pub cache_bytes: u64,
    /// How long messages are kept once final (delivered, undelivered, failed, expired,
    /// canceled), and received messages; `"0s"` keeps them for ever.
    #[serde(default = "default_retention")]
    pub retention: HumanDuration,
}

fn default_retention() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(90 * 86_400))
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

fn default_cache_bytes() -> u64 {
    256 * 1024 * 1024
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            cache_bytes: default_cache_bytes(),
            retention: default_retention(),
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` for people, `json` for log collectors.
    #[serde(default)]
    pub format: LogFormat,
    /// A `RUST_LOG`-style filter; the `RUST_LOG` environment variable wins when set.
    #[serde(default = "default_log_filter")]
    pub filter: String,
}

fn default_log_filter() -> String {
    "info".to_string()
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::default(),
            filter: default_log_filter(),
        }
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `[messages]`: how submissions are read and how long they are tried.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesConfig {
    /// Country calling code for national numbers (`"358"`); without it only `+` numbers and
    /// short codes are accepted.
    #[serde(default)]
    pub default_country: Option<String>,
    /// Obsolete: the trunk prefix now comes from `default_country`'s numbering plan. Still
    /// read, so that older files load; `check-config` and the daemon warn about it.
    #[serde(default)]
    pub trunk_prefix: Option<String>,
    /// The most parts one message may have; longer texts are refused with `too_many_parts`.
    #[serde(default = "default_max_parts")]
    pub max_parts: usize,
    /// Validity when the client gives none.
    #[serde(default = "default_validity")]
    pub default_validity: HumanDuration,
    /// The longest validity a client may ask for.
    #[serde(default = "default_max_validity")]
    pub max_validity: HumanDuration,
    /// Delivery attempts before a message with temporary errors is `failed`.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry delay; each next one doubles, with jitter.
    #[serde(default = "default_retry_base")]
    pub retry_base: HumanDuration,
    /// The longest retry delay.
    #[serde(default = "default_retry_max")]
    pub retry_max: HumanDuration,
}

fn default_max_parts() -> usize {
    10
}
fn default_validity() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(2 * 86_400))
}
fn default_max_validity() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(14 * 86_400))
}
fn default_max_attempts() -> u32 {
    6
}
fn default_retry_base() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(30))
}
fn default_retry_max() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(30 * 60))
}

impl Default for MessagesConfig {
    fn default() -> Self {
        Self {
            default_country: None,
            trunk_prefix: None,
            max_parts: default_max_parts(),
            default_validity: default_validity(),
            max_validity: default_max_validity(),
            max_attempts: default_max_attempts(),
            retry_base: default_retry_base(),
            retry_max: default_retry_max(),
        }
    }
}

impl MessagesConfig {
    /// How numbers without `+` are read.
    pub fn number_plan(&self) -> NumberPlan {
        NumberPlan {
            default_country: self.default_country.clone(),
        }
    }
}

/// What drives a route.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// A pool of GSM modems driven over AT commands.
    ModemPool,
    /// An SMPP bind to an operator's SMSC.
    Smpp,
}

/// `[[routes]]`: one way out, with its shaping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Unique name, used by rules, the API and metrics.
    pub name: String,
    /// What drives it.
    #[serde(rename = "type")]
    pub kind: RouteKind,
    /// Steady sending rate (`"6/min"`, `"50/s"`); unlimited when absent.
    #[serde(default)]
    pub rate: Option<Rate>,
    /// How many messages may go at once above the steady rate after a quiet spell.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// At most this many messages per UTC day; kept across restarts.
    #[serde(default)]
    pub daily_limit: Option<u32>,
}

fn default_burst() -> u32 {
    1
}

/// `[[rules]]`: recipients starting with `prefix` go through `routes`, first ready one first.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// A prefix of the normalised number (`"+358"`); `""` matches everything.
    pub prefix: String,
    /// Route names in failover order.
    pub routes: Vec<String>,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but has problems, each with its key and line.
    #[error("{path}: {errors}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        errors: ConfigErrors,
    },
}

/// Settings given on the command line instead of in the file (`smsgw run --listen`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`: replaces `server.listen`.
    pub listen: Option<SocketAddr>,
    /// `--data-dir`: replaces `store.data_dir`.
    pub data_dir: Option<PathBuf>,
}

impl Overrides {
    fn apply(&self, config: &mut Config) {
        if let Some(listen) = self.listen {
            config.server.listen = listen;
        }
        if let Some(dir) = &self.data_dir {
            config.store.data_dir = dir.clone();
        }
    }

    /// Problems found in an overridden value point at the flag, not at the file's line.
    fn rename(&self, errors: &mut ConfigErrors) {
        for e in &mut errors.0 {
            let flag = match e.key.as_str() {
                "server.listen" if self.listen.is_some() => "--listen (or SMSGW_LISTEN)",
                "store.data_dir" if self.data_dir.is_some() => "--data-dir (or SMSGW_DATA_DIR)",
                _ => continue,
            };
            e.key = flag.to_string();
            e.line = None;
        }
    }
}

impl Config {
    /// Reads, parses and validates a configuration file for a daemon that starts its own
    /// drivers ([`Config::validate_for_run`]).
    pub fn load(path: &Path) -> Result<Config, LoadError> {
        Self::load_with(path, &Overrides::default())
    }

    /// [`Config::load`] with command-line `overrides` applied before validation: an address
    /// given as `--listen` is checked exactly as one written in the file (an open API on the
    /// network is refused either way). A problem with an override is named after its flag.
    pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Config, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let adjust = |config: &mut Config| overrides.apply(config);
        let dir = path.parent().unwrap_or(Path::new("."));
        let secrets = secrets::SecretSources::system(dir);
        parse::parse_all(&text, &secrets, &adjust, Config::validate_for_run).map_err(
            |mut errors| {
                overrides.rename(&mut errors);
                LoadError::Invalid {
                    path: path.to_path_buf(),
                    errors,
                }
            },
        )
    }

    /// Parses and validates configuration text, reporting every problem (see `parse`).
    pub fn from_toml(text: &str) -> Result<Config, ConfigErrors> {
        let secrets = secrets::SecretSources::system(Path::new("."));
        parse::parse_all(text, &secrets, &|_| {}, Config::validate)
    }

    /// The route named `name`.
    pub fn route(&self, name: &str) -> Option<&RouteConfig> {
        self.routes.iter().find(|r| r.name == name)
    }

    /// Keys that still load but no longer do anything, each with what to do instead.
    /// `check-config` prints them and the daemon logs them at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.messages.trunk_prefix {
            let plan = self.messages.number_plan();
            let actual = match (&self.messages.default_country, plan.trunk_prefix()) {
                (Some(cc), Some(p)) if p != t => format!(
                    "; national numbers of +{cc} are read with its trunk prefix {p}, not {t}"
                ),
                (Some(cc), None) if !t.is_empty() => {
                    format!("; +{cc} has no trunk prefix, so {t} is not dropped")
                }
                _ => String::new(),
            };
            out.push(format!(
                "`messages.trunk_prefix` is obsolete and ignored: the trunk prefix comes from \
                 the numbering plan of `default_country`{actual}; remove the key"
            ));
        }
        out.extend(self.kannel.warnings());
        out
    }

    /// Whether route `name` can send from a brand name (an alphanumeric sender): only SMPP
    /// links whose operator allows them; modems always send from their SIM's number.
    pub fn route_carries_brands(&self, name: &str) -> bool {
        self.route(name).is_some_and(|r| {
            r.kind == RouteKind::Smpp
                && self
                    .smpp
                    .iter()
                    .find(|l| l.route == r.name)
                    .is_none_or(|l| l.alphanumeric_senders)
        })
    }
}
