//! `[[webhooks]]` and `[callbacks]`: where events are POSTed and how hard we try.

use std::time::Duration;

use serde::Deserialize;

use super::HumanDuration;

/// Which events a webhook wants. The names are the event `type` strings of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum EventName {
    /// Every status change of an outbound message.
    #[serde(rename = "message.status")]
    MessageStatus,
    /// Every message received.
    #[serde(rename = "message.received")]
    MessageReceived,
}

/// `[[webhooks]]`: one HTTP target that receives events, in order per message, at least once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Unique name: keys its durable cursor in the store, its dead letters in the API and its
    /// metrics. Renaming a webhook starts it afresh from the newest event.
    pub name: String,
    /// `http://` or `https://` URL the events are POSTed to.
    pub url: String,
    /// HMAC-SHA256 key (at least 16 characters) for the `X-Smsgw-Signature` header, so the
    /// receiver can check that a request comes from this gateway.
    pub secret: super::TokenSecret,
    /// Which events to send; both when absent.
    #[serde(default = "all_events")]
    pub events: Vec<EventName>,
    /// A body template instead of the event document, e.g. `'{"text": "SMS to {{data.to}}:
    /// {{data.status}}"}'` for a chat incoming-webhook. `{{path}}` takes a value from the event
    /// document, escaped for use inside a JSON string.
    #[serde(default)]
    pub template: Option<Template>,
    /// How long one request may take before it counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// The first retry delay; each next one doubles (with jitter) up to `retry_max`.
    #[serde(default = "default_retry_base")]
    pub retry_base: HumanDuration,
    /// The longest delay between two attempts.
    #[serde(default = "default_retry_max")]
    pub retry_max: HumanDuration,
    /// How long an event is retried from its first attempt before it goes to the dead-letter
    /// list (from where the API can replay it).
    #[serde(default = "default_retry_for")]
    pub retry_for: HumanDuration,
    /// Requests in flight at once to this target (different messages; one message's events
    /// always go one at a time, in order).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
}

/// `[callbacks]`: the per-message `callback_url` a client may give on submit. Without this
/// table, submissions with a `callback_url` are refused (`callbacks_disabled`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbacksConfig {
    /// HMAC-SHA256 key for the signature header of callback requests.
    pub secret: super::TokenSecret,
    /// Where a `callback_url` may point besides public addresses: URL prefixes
    /// (`"http://10.0.0.5:8080/hooks/"`) or host names and addresses (`"crm.lan"`,
    /// `"127.0.0.1"`). Loopback, private, link-local and multicast targets are refused
    /// otherwise, also when a name resolves to one at connect time (`webhook::egress`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// How long one request may take before it counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// The first retry delay; each next one doubles (with jitter) up to `retry_max`.
    #[serde(default = "default_retry_base")]
    pub retry_base: HumanDuration,
    /// The longest delay between two attempts.
    #[serde(default = "default_retry_max")]
    pub retry_max: HumanDuration,
    /// How long an event is retried from its first attempt before it goes to the dead-letter
    /// list (from where the API can replay it).
    #[serde(default = "default_retry_for")]
    pub retry_for: HumanDuration,
    /// Requests in flight at once to this target (different messages; one message's events
    /// always go one at a time, in order).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
}

/// Timeouts, retry pacing and concurrency of one target, as the delivery worker needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// See [`WebhookConfig::timeout`].
    pub timeout: Duration,
    /// See [`WebhookConfig::retry_base`].
    pub retry_base: Duration,
    /// See [`WebhookConfig::retry_max`].
    pub retry_max: Duration,
    /// See [`WebhookConfig::retry_for`].
    pub retry_for: Duration,
    /// See [`WebhookConfig::max_in_flight`].
    pub max_in_flight: usize,
}

macro_rules! delivery_of {
    ($t:ty) => {
        impl $t {
            /// The pacing of this target.
            pub fn delivery(&self) -> DeliveryConfig {
                DeliveryConfig {
                    timeout: self.timeout.get(),
                    retry_base: self.retry_base.get(),
                    retry_max: self.retry_max.get(),
                    retry_for: self.retry_for.get(),
                    max_in_flight: self.max_in_flight,
                }
            }
        }
    };
}
delivery_of!(WebhookConfig);
delivery_of!(CallbacksConfig);

fn all_events() -> Vec<EventName> {
    vec![EventName::MessageStatus, EventName::MessageReceived]
}
fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(10))
}
fn default_retry_base() -> HumanDuration {
    HumanDuration(Duration::from_secs(10))
}
fn default_retry_max() -> HumanDuration {
    HumanDuration(Duration::from_secs(15 * 60))
}
fn default_retry_for() -> HumanDuration {
    HumanDuration(Duration::from_secs(24 * 3600))
}
fn default_max_in_flight() -> usize {
    4
}

/// The reserved store name of the per-message callback target; no webhook may use it.
pub const CALLBACK_TARGET: &str = "callback";

/// A body template: text with `{{path}}` holes filled from the event document. Values are
/// escaped as the inside of a JSON string, so a template that is valid JSON with the holes
/// inside strings stays valid JSON for any message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Hole(Vec<String>),
}

/// The top-level fields of the event document a template may read.
const TEMPLATE_ROOTS: [&str; 4] = ["id", "type", "created_at", "data"];

impl Template {
    /// Parses and checks a template: every `{{` is closed, every path starts at a field of the
    /// event document, and the result is JSON whatever the values are.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| "a `{{` is not closed by `}}`".to_string())?;
            let path = after[..close].trim();
            let segs: Vec<String> = path.split('.').map(str::to_string).collect();
            let valid = segs
                .iter()
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !valid || !TEMPLATE_ROOTS.contains(&segs[0].as_str()) {
                return Err(format!(
                    "`{{{{{path}}}}}` is not a path into the event (start with one of {})",
                    TEMPLATE_ROOTS.join(", ")
                ));
            }
            pieces.push(Piece::Hole(segs));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        let t = Template { pieces };
        let sample = t.render(&serde_json::Value::Null);
        serde_json::from_str::<serde_json::Value>(&sample).map_err(|e| {
            format!(
                "the template is not JSON once its holes are filled ({e}); put holes inside strings"
            )
        })?;
        Ok(t)
    }

    /// Fills the holes from `doc`: strings without quotes and escaped, numbers and booleans as
    /// written, anything missing as nothing.
    pub fn render(&self, doc: &serde_json::Value) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Hole(path) => {
                    let v = path
                        .iter()
                        .try_fold(doc, |v, seg| match seg.parse::<usize>() {
                            Ok(i) => v.get(i),
                            Err(_) => v.get(seg.as_str()),
                        });
                    let text = match v {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    };
                    let quoted = serde_json::Value::String(text).to_string();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                }
            }
        }
        out
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Template::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_template_should_escape_values_inside_json_strings() {
        let t = Template::parse(
            r#"{"text": "SMS to {{data.to}}: {{ data.status }} ({{data.parts.0.index}})"}"#,
        )
        .unwrap();
        let doc = serde_json::json!({"data": {"to": "+358\"40", "status": "sent", "parts": [{"index": 1}]}});
        let body: serde_json::Value = serde_json::from_str(&t.render(&doc)).unwrap();
        assert_eq!(body["text"], "SMS to +358\"40: sent (1)");
    }

    #[test]
    fn templates_that_cannot_make_json_or_read_unknown_roots_should_be_refused() {
        assert!(Template::parse(r#"{"text": {{data.to}}}"#).is_err());
        assert!(Template::parse(r#"{"text": "{{secret}}"}"#).is_err());
        assert!(Template::parse(r#"{"text": "{{data.to"}"#).is_err());
    }
}
