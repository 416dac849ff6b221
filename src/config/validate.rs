//! Cross-key validation, collecting every problem with its key and line.

use std::collections::HashSet;
use std::fmt;

use toml::de::DeTable;

use super::Config;

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted key (`routes[1].rate`), or empty for file-level problems.
    pub key: String,
    /// 1-based line, when it could be found.
    pub line: Option<usize>,
    /// What is wrong, and what would be right.
    pub message: String,
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.key.is_empty()) {
            (Some(line), false) => write!(f, "line {line}: `{}`: {}", self.key, self.message),
            (Some(line), true) => write!(f, "line {line}: {}", self.message),
            (None, false) => write!(f, "`{}`: {}", self.key, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A step in a key path.
#[derive(Debug, Clone, Copy)]
pub(super) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Collects errors, locating each key in the original text.
pub(super) struct Collector<'t> {
    text: &'t str,
    doc: Option<toml::Spanned<DeTable<'t>>>,
    errors: Vec<ConfigError>,
}

impl<'t> Collector<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            doc: DeTable::parse(text).ok(),
            errors: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, path: &[Seg<'_>], message: impl Into<String>) {
        let key = path.iter().fold(String::new(), |mut acc, seg| {
            match seg {
                Seg::Key(k) if acc.is_empty() => acc.push_str(k),
                Seg::Key(k) => {
                    acc.push('.');
                    acc.push_str(k);
                }
                Seg::Index(i) => acc.push_str(&format!("[{i}]")),
            }
            acc
        });
        let line = self.locate(path);
        self.errors.push(ConfigError {
            key,
            line,
            message: message.into(),
        });
    }

    /// The line of the deepest part of `path` that exists in the document.
    fn locate(&self, path: &[Seg<'_>]) -> Option<usize> {
        let doc = self.doc.as_ref()?;
        let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
        let mut value: Option<&toml::Spanned<toml::de::DeValue<'_>>> = None;
        let mut start = None;
        for seg in path {
            match *seg {
                Seg::Key(k) => {
                    let t = match value {
                        Some(v) => v.get_ref().as_table(),
                        None => table,
                    };
                    let Some((key, v)) =
                        t.and_then(|t| t.iter().find(|(key, _)| key.get_ref() == k))
                    else {
                        break;
                    };
                    start = Some(key.span().start);
                    value = Some(v);
                    table = None;
                }
                Seg::Index(i) => {
                    let Some(v) = value.and_then(|v| v.get_ref().get(i)) else {
                        break;
                    };
                    start = Some(v.span().start);
                    value = Some(v);
                }
            }
        }
        start.map(|s| line_of(self.text, s))
    }
}

/// 1-based line number of byte offset `offset`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Config {
    /// Checks what serde cannot: relations between keys and value ranges. Returns every
    /// problem, not only the first.
    pub fn validate(&self, text: &str) -> ConfigErrors {
        let mut c = Collector::new(text);
        let server = Seg::Key("server");
        if !self.server.listen.ip().is_loopback() && self.server.tokens.is_empty() {
            c.push(
                &[server, Seg::Key("listen")],
                format!(
                    "{} is not a loopback address, so `server.tokens` must list at least one \
                     bearer token (an open API on the network would let anyone send SMS)",
                    self.server.listen
                ),
            );
        }
        for (i, token) in self.server.tokens.iter().enumerate() {
            if token.secret.0.len() < 16 {
                c.push(
                    &[server, Seg::Key("tokens"), Seg::Index(i)],
                    "tokens must be at least 16 characters long",
                );
            }
            if token.scopes.is_empty() {
                c.push(
                    &[
                        server,
                        Seg::Key("tokens"),
                        Seg::Index(i),
                        Seg::Key("scopes"),
                    ],
                    "list at least one of \"send\", \"read\", \"admin\"",
                );
            }
            if self.server.tokens[..i]
                .iter()
                .any(|t| t.secret == token.secret)
            {
                c.push(
                    &[server, Seg::Key("tokens"), Seg::Index(i)],
                    "the same token is listed twice; each holder should have its own",
                );
            }
        }

        let retention = self.store.retention.get();
        if !retention.is_zero() && retention < std::time::Duration::from_secs(86_400) {
            c.push(
                &[Seg::Key("store"), Seg::Key("retention")],
                "keep messages at least a day (\"1d\"), or for ever (\"0s\"): an \
                 Idempotency-Key repeated within 24 h must still find its message",
            );
        } else if !retention.is_zero() && retention < self.conversations.window.get() {
            c.push(
                &[Seg::Key("store"), Seg::Key("retention")],
                format!(
                    "shorter than the reply window (conversations.window = {}): a reply \
                     within the window must still find the message it answers",
                    self.conversations.window
                ),
            );
        }

        let messages = Seg::Key("messages");
        let m = &self.messages;
        if let Some(cc) = &m.default_country {
            if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
                c.push(
                    &[messages, Seg::Key("default_country")],
                    format!("{cc:?} is not a country calling code (1 to 3 digits, no +)"),
                );
            } else if !m.number_plan().is_known_country() {
                c.push(
                    &[messages, Seg::Key("default_country")],
                    format!("no country has the calling code {cc} in the numbering plans"),
                );
            }
        }
        if let Some(t) = &m.trunk_prefix {
            if !t.bytes().all(|b| b.is_ascii_digit()) {
                c.push(
                    &[messages, Seg::Key("trunk_prefix")],
                    "the trunk prefix is digits only (usually \"0\"); the key is obsolete, \
                     remove it",
                );
            }
        }
        if !(1..=255).contains(&m.max_parts) {
            c.push(
                &[messages, Seg::Key("max_parts")],
                "a message has 1 to 255 parts (TS 23.040 §9.2.3.24.1)",
            );
        }
        if m.max_attempts == 0 {
            c.push(&[messages, Seg::Key("max_attempts")], "must be at least 1");
        }
        if m.default_validity > m.max_validity {
            c.push(
                &[messages, Seg::Key("default_validity")],
                format!("longer than max_validity ({})", m.max_validity),
            );
        }
        if m.retry_base > m.retry_max {
            c.push(
                &[messages, Seg::Key("retry_base")],
                format!("longer than retry_max ({})", m.retry_max),
            );
        }

        let mut names = HashSet::new();
        for (i, route) in self.routes.iter().enumerate() {
            let at = |key| [Seg::Key("routes"), Seg::Index(i), Seg::Key(key)];
            if route.name.is_empty()
                || !route
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                c.push(
                    &at("name"),
                    "route names are letters, digits, - and _ (they appear in URLs and metrics)",
                );
            }
            if !names.insert(route.name.as_str()) {
                c.push(
                    &at("name"),
                    format!("route {:?} is defined twice", route.name),
                );
            }
            if route.burst == 0 {
                c.push(&at("burst"), "burst must be at least 1");
            }
            if route.daily_limit == Some(0) {
                c.push(
                    &at("daily_limit"),
                    "a daily limit of 0 would never send; remove the route from the rules instead",
                );
            }
        }

        for (i, rule) in self.rules.iter().enumerate() {
            let rule_path = [Seg::Key("rules"), Seg::Index(i)];
            let p = &rule.prefix;
            let body = p.strip_prefix('+').unwrap_or(p);
            if !body.bytes().all(|b| b.is_ascii_digit()) {
                c.push(
                    &[rule_path[0], rule_path[1], Seg::Key("prefix")],
                    format!("{p:?} is not a number prefix like \"+358\" (or \"\" for all)"),
                );
            }
            if rule.routes.is_empty() {
                c.push(
                    &[rule_path[0], rule_path[1], Seg::Key("routes")],
                    "a rule needs at least one route",
                );
            }
            for (j, name) in rule.routes.iter().enumerate() {
                if self.route(name).is_none() {
                    c.push(
                        &[
                            rule_path[0],
                            rule_path[1],
                            Seg::Key("routes"),
                            Seg::Index(j),
                        ],
                        format!("no route is named {name:?}"),
                    );
                }
            }
        }
        let mut hook_names = HashSet::new();
        for (i, hook) in self.webhooks.iter().enumerate() {
            let at = |key| [Seg::Key("webhooks"), Seg::Index(i), Seg::Key(key)];
            if hook.name.is_empty()
                || hook.name == super::CALLBACK_TARGET
                || hook.name == super::KANNEL_DLR_TARGET
                || !hook
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                c.push(
                    &at("name"),
                    format!(
                        "webhook names are letters, digits, - and _, and not {:?} or {:?} (reserved)",
                        super::CALLBACK_TARGET,
                        super::KANNEL_DLR_TARGET
                    ),
                );
            }
            if !hook_names.insert(hook.name.as_str()) {
                c.push(
                    &at("name"),
                    format!("webhook {:?} is defined twice", hook.name),
                );
            }
            if !is_http_url(&hook.url) {
                c.push(&at("url"), "an http:// or https:// URL with a host");
            }
            if hook.secret.0.len() < 16 {
                c.push(&at("secret"), "secrets must be at least 16 characters long");
            }
            if hook.events.is_empty() {
                c.push(
                    &at("events"),
                    "list at least one event, or remove the webhook",
                );
            }
            check_delivery(&mut c, &hook.delivery(), |key| {
                vec![Seg::Key("webhooks"), Seg::Index(i), Seg::Key(key)]
            });
        }
        let mut kannel_users = HashSet::new();
        for (i, u) in self.kannel.users.iter().enumerate() {
            let at = |key| {
                [
                    Seg::Key("kannel"),
                    Seg::Key("users"),
                    Seg::Index(i),
                    Seg::Key(key),
                ]
            };
            if u.username.is_empty() || !kannel_users.insert(u.username.as_str()) {
                c.push(&at("username"), "usernames are non-empty and unique");
            }
            // Shorter passwords (Kannel's own example is `foobar`) are kept for the scripts
            // that use them: `KannelConfig::warnings` says so, it does not refuse them.
            if u.password.0.is_empty() {
                c.push(&at("password"), "passwords are non-empty");
            }
            // Checked as a request's `from` is, so a bad one fails at load and not as every
            // request's "Sender field misformed".
            if let Some(sender) = &u.default_sender {
                if let Err(e) = crate::model::Sender::parse(sender, &self.messages.number_plan()) {
                    c.push(&at("default_sender"), e.to_string());
                }
            }
        }
        let mut console_users = HashSet::new();
        for (i, u) in self.console.users.iter().enumerate() {
            let at = |key| {
                [
                    Seg::Key("console"),
                    Seg::Key("users"),
                    Seg::Index(i),
                    Seg::Key(key),
                ]
            };
            let name_ok = !u.name.trim().is_empty()
                && u.name.chars().count() <= super::MAX_USER_NAME
                && !u.name.chars().any(char::is_control);
            if !name_ok || !console_users.insert(u.name.as_str()) {
                c.push(
                    &at("name"),
                    format!(
                        "names are unique, 1 to {} characters, without control characters",
                        super::MAX_USER_NAME
                    ),
                );
            }
            // Only a hash is configured: a plain password here would be a secret in the file
            // that anyone who reads it can use.
            match argon2::PasswordHash::new(&u.password_hash.0) {
                Ok(h) if h.algorithm.as_str().starts_with("argon2") => {}
                _ => c.push(
                    &at("password_hash"),
                    "an Argon2 hash as a PHC string ($argon2id$v=19$...); make one with `smsgw hash-password`",
                ),
            }
            if u.scopes.is_empty() {
                c.push(&at("scopes"), "give at least one scope (read, send, admin)");
            }
        }
        if !self.console.users.is_empty() && self.server.tokens.is_empty() {
            c.push(
                &[Seg::Key("console"), Seg::Key("users")],
                "console users need `server.tokens`: without tokens the API and the console are open to anyone on this machine, and no one signs in",
            );
        }
        if self.kannel.enabled && self.kannel.users.is_empty() {
            c.push(
                &[Seg::Key("kannel"), Seg::Key("users")],
                "the Kannel interface is enabled but has no users, so every request would be refused",
            );
        }
        if self.limits.max_queued == Some(0) {
            c.push(
                &[Seg::Key("limits"), Seg::Key("max_queued")],
                "a limit of 0 would refuse every message; remove it for no limit",
            );
        }
        if let Some(cb) = &self.callbacks {
            if cb.secret.0.len() < 16 {
                c.push(
                    &[Seg::Key("callbacks"), Seg::Key("secret")],
                    "secrets must be at least 16 characters long",
                );
            }
            check_delivery(&mut c, &cb.delivery(), |key| {
                vec![Seg::Key("callbacks"), Seg::Key(key)]
            });
            check_allow_list(&mut c, &cb.allow, "callbacks", "allow");
        }
        check_allow_list(&mut c, &self.kannel.dlr_allow, "kannel", "dlr_allow");
        self.validate_modems(&mut c);
        self.validate_smpp(&mut c);
        self.validate_conversations(&mut c);
        ConfigErrors(c.errors)
    }

    /// [`Config::validate`] and what only matters to a daemon that starts its own drivers:
    /// every `smpp` route has its `[[smpp]]` link. Tests that hand the daemon stand-in routes
    /// build their configuration with `Config::from_toml`, which skips this; `run`,
    /// `check-config` and `hw-sim demo` load files with [`Config::load`], which does not, so
    /// `check-config` refuses what `run` would.
    pub fn validate_for_run(&self, text: &str) -> ConfigErrors {
        let mut errors = self.validate(text);
        let mut c = Collector::new(text);
        for (i, route) in self.routes.iter().enumerate() {
            if route.kind == super::RouteKind::Smpp
                && !self.smpp.iter().any(|l| l.route == route.name)
            {
                c.push(
                    &[Seg::Key("routes"), Seg::Index(i), Seg::Key("type")],
                    format!(
                        "route {:?} is of type \"smpp\" but no [[smpp]] table serves it: add one \
                         with route = {:?}, host, port, system_id and password",
                        route.name, route.name
                    ),
                );
            }
        }
        errors.0.extend(c.errors);
        errors
    }

    /// `[[modems]]`: unique names, a `modem_pool` route, a plausible PIN and `+CNMI`, and
    /// non-zero timeouts.
    fn validate_modems(&self, c: &mut Collector<'_>) {
        let mut names = HashSet::new();
        for (i, m) in self.modems.iter().enumerate() {
            let at = |key| [Seg::Key("modems"), Seg::Index(i), Seg::Key(key)];
            if m.name.is_empty()
                || !m
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                c.push(&at("name"), "modem names are letters, digits, - and _");
            }
            if !names.insert(m.name.as_str()) {
                c.push(&at("name"), format!("modem {:?} is defined twice", m.name));
            }
            if m.device.as_os_str().is_empty() {
                c.push(&at("device"), "the serial device path is empty");
            }
            match self.route(&m.route) {
                None => c.push(&at("route"), format!("no route is named {:?}", m.route)),
                Some(r) if r.kind != super::RouteKind::ModemPool => c.push(
                    &at("route"),
                    format!("route {:?} is not of type \"modem_pool\"", m.route),
                ),
                Some(_) => {}
            }
            if let Some(pin) = &m.pin {
                if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
                    c.push(&at("pin"), "a PIN is 4 to 8 digits (TS 27.007 §8.3)");
                }
            }
            if m.burst == 0 {
                c.push(&at("burst"), "burst must be at least 1");
            }
            if m.daily_limit == Some(0) {
                c.push(&at("daily_limit"), "a daily limit of 0 would never send");
            }
            if let Some(s) = &m.storage {
                if !matches!(s.as_str(), "SM" | "ME" | "MT" | "SR" | "BM" | "TA") {
                    c.push(
                        &at("storage"),
                        format!("{s:?} is not a message storage (SM, ME, MT; TS 27.005 §3.2.2)"),
                    );
                }
            }
            if let Some(v) = m.cnmi {
                if v[0] > 3 || v[1] > 3 || v[2] > 3 || v[3] > 2 || v[4] > 1 {
                    c.push(
                        &at("cnmi"),
                        "+CNMI values are <mode> 0-3, <mt> 0-3, <bm> 0-3, <ds> 0-2, <bfr> 0-1 \
                         (TS 27.005 §3.4.1)",
                    );
                }
            }
            if let Some(q) = &m.quirks {
                if !super::QUIRK_NAMES.contains(&q.as_str()) {
                    c.push(
                        &at("quirks"),
                        format!("unknown quirk table {q:?}; one of {:?}", super::QUIRK_NAMES),
                    );
                }
            }
            let t = &m.timeouts;
            for (key, v) in [
                ("command", t.command),
                ("prompt", t.prompt),
                ("result", t.result),
                ("probe_every", t.probe_every),
                ("poll_every", t.poll_every),
                ("sweep_every", t.sweep_every),
                ("registration", t.registration),
                ("reassembly", t.reassembly),
                ("report_window", t.report_window),
                ("out_of_rotation", t.out_of_rotation),
            ] {
                if v.get().is_zero() {
                    c.push(
                        &[
                            Seg::Key("modems"),
                            Seg::Index(i),
                            Seg::Key("timeouts"),
                            Seg::Key(key),
                        ],
                        "must be longer than zero",
                    );
                }
            }
        }
    }
}

impl Config {
    /// `[[smpp]]`: an existing `smpp` route served by one link, credentials within the SMPP
    /// 3.4 §4.1.1 sizes, and non-zero windows, sessions and timeouts.
    fn validate_smpp(&self, c: &mut Collector<'_>) {
        let mut routes = HashSet::new();
        for (i, l) in self.smpp.iter().enumerate() {
            let at = |key| [Seg::Key("smpp"), Seg::Index(i), Seg::Key(key)];
            match self.route(&l.route) {
                None => c.push(&at("route"), format!("no route is named {:?}", l.route)),
                Some(r) if r.kind != super::RouteKind::Smpp => c.push(
                    &at("route"),
                    format!("route {:?} is not of type \"smpp\"", l.route),
                ),
                Some(_) => {}
            }
            if !routes.insert(l.route.as_str()) {
                c.push(
                    &at("route"),
                    format!(
                        "route {:?} already has a link; use `sessions` for more binds",
                        l.route
                    ),
                );
            }
            if l.host.is_empty() {
                c.push(&at("host"), "the SMSC host is empty");
            }
            if let Some(sender) = &l.default_sender {
                match crate::model::Sender::parse(sender, &self.messages.number_plan()) {
                    Err(e) => c.push(&at("default_sender"), e.to_string()),
                    Ok(crate::model::Sender::Alphanumeric(_)) if !l.alphanumeric_senders => c.push(
                        &at("default_sender"),
                        "alphanumeric_senders = false on this link, so the default sender \
                             must be a number",
                    ),
                    Ok(_) => {}
                }
            }
            for (key, v, max) in [
                ("system_id", &l.system_id, 15),
                ("password", &l.password.0, 8),
                ("system_type", &l.system_type, 12),
            ] {
                if v.len() > max || v.contains('\0') {
                    c.push(
                        &at(key),
                        format!("at most {max} characters without NUL (SMPP 3.4 §4.1.1)"),
                    );
                }
            }
            if l.system_id.is_empty() {
                c.push(&at("system_id"), "the system_id is empty");
            }
            if l.window == 0 {
                c.push(&at("window"), "a window of 0 would never send");
            }
            if l.sessions == 0 {
                c.push(&at("sessions"), "at least one session is needed");
            }
            if l.registered_delivery & 0b1110_0000 != 0 {
                c.push(
                    &at("registered_delivery"),
                    "bits 7..5 are reserved (SMPP 3.4 §5.2.17)",
                );
            }
            if l.priority_flags.iter().any(|&f| f > 3) {
                c.push(
                    &at("priority_flags"),
                    "each must be 0..=3 (SMPP 3.4 §5.2.14)",
                );
            }
            if l.reconnect_max.get() < l.reconnect_min.get() {
                c.push(
                    &at("reconnect_max"),
                    "must not be shorter than reconnect_min",
                );
            }
            for (key, v) in [
                ("response_timeout", l.response_timeout),
                ("enquire_link", l.enquire_link),
                ("reconnect_min", l.reconnect_min),
                ("reconnect_max", l.reconnect_max),
                ("rebind_wait", l.rebind_wait),
                ("receipt_retry", l.receipt_retry),
                ("reassembly", l.reassembly),
            ] {
                if v.get().is_zero() {
                    c.push(&at(key), "must be longer than zero");
                }
            }
        }
    }
}

/// Whether `url` is an absolute http(s) URL with a host.
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !r.chars().any(char::is_whitespace)
    })
}

/// `[callbacks] allow` and `[kannel] dlr_allow`: each entry an http(s) URL prefix or a bare
/// host name or address (`webhook::egress` reads them).
fn check_allow_list(c: &mut Collector<'_>, allow: &[String], table: &str, key: &str) {
    for (i, entry) in allow.iter().enumerate() {
        let entry = entry.trim();
        let ok = if entry.starts_with("http://") || entry.starts_with("https://") {
            is_http_url(entry)
        } else {
            !entry.is_empty()
                && !entry
                    .chars()
                    .any(|ch| ch.is_whitespace() || matches!(ch, '/' | '?' | '#' | '@'))
        };
        if !ok {
            c.push(
                &[Seg::Key(table), Seg::Key(key), Seg::Index(i)],
                format!(
                    "{entry:?} is neither an http:// or https:// URL prefix nor a host name or address"
                ),
            );
        }
    }
}

fn check_delivery<'a>(
    c: &mut Collector<'_>,
    d: &super::DeliveryConfig,
    at: impl Fn(&'a str) -> Vec<Seg<'a>>,
) {
    if d.max_in_flight == 0 || d.max_in_flight > 64 {
        c.push(&at("max_in_flight"), "between 1 and 64");
    }
    if d.timeout.is_zero() {
        c.push(&at("timeout"), "must be longer than 0s");
    }
    if d.retry_base.is_zero() || d.retry_base > d.retry_max {
        c.push(
            &at("retry_base"),
            "longer than 0s and not longer than retry_max",
        );
    }
    if d.retry_for < d.retry_base {
        c.push(&at("retry_for"), "at least retry_base");
    }
}
