//! `[[smpp]]`: SMPP 3.4 links to operators' SMSCs, each serving one route of type `smpp`.
//!
//! A link is one operator account (system_id): it may open several sessions (binds) when the
//! operator allows it, each as a transceiver or as a transmitter + receiver pair. Shaping of the
//! route (`[[routes]] rate`, `daily_limit`) still applies; `rate` and `window` here are the link's
//! own contract with the SMSC, which the link lowers by itself when the SMSC throttles (`smpp::session::aimd`).

use serde::Deserialize;

use super::units::defaults::{d1h, d1s, d10s, d30s, d60s};

use super::{HumanDuration, Rate, TokenSecret};

/// One SMPP link (one operator account).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmppLinkConfig {
    /// The `smpp` route this link serves (one link per route).
    pub route: String,
    /// SMSC host name or address.
    pub host: String,
    /// SMSC port (2775 is the IANA port for SMPP).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Account name presented in the bind (SMPP 3.4 §4.1.1: at most 15 characters).
    pub system_id: String,
    /// Account password (§4.1.1: at most 8 characters); never logged.
    pub password: TokenSecret,
    /// ESME category, often empty (§4.1.1: at most 12 characters).
    #[serde(default)]
    pub system_type: String,
    /// `transceiver` (one connection both ways, SMPP 3.4 §2.2) or `transmitter_receiver`
    /// (two connections per session, for SMSCs without transceiver support).
    #[serde(default)]
    pub bind: BindMode,
    /// Sessions (binds) opened at once; operators usually allow 1–4 per account.
    #[serde(default = "one")]
    pub sessions: u32,
    /// Most submit_sm awaiting their response per session (SMPP 3.4 §2.8 "window").
    #[serde(default = "default_window")]
    pub window: u32,
    /// The link's contracted rate (`"100/s"`); the link never goes faster and slows down
    /// further when the SMSC throttles. Unlimited when absent (the window still bounds it).
    #[serde(default)]
    pub rate: Option<Rate>,
    /// How long a request (submit_sm, enquire_link, bind) waits for its response; past it a
    /// bound session is considered dead and reconnected (unanswered submits are then resent,
    /// marked as possible duplicates).
    #[serde(default = "d10s")]
    pub response_timeout: HumanDuration,
    /// Idle time after which an enquire_link checks the link (§4.11).
    #[serde(default = "d30s")]
    pub enquire_link: HumanDuration,
    /// First reconnect delay; doubles (with jitter) up to `reconnect_max`.
    #[serde(default = "d1s")]
    pub reconnect_min: HumanDuration,
    /// Longest reconnect delay; also the delay after a refused bind (bad credentials).
    #[serde(default = "d60s")]
    pub reconnect_max: HumanDuration,
    /// How long messages whose submit was cut by a disconnect wait for the link to come back
    /// before they go back to the dispatcher (which may then fail over).
    #[serde(default = "d10s")]
    pub rebind_wait: HumanDuration,
    /// How long-message parts are marked: `udh` (concatenation UDH in short_message, the
    /// default), `sar` (sar_* TLVs, §5.3.2.22–24) or `payload` (one submit_sm with the whole
    /// text in message_payload, §5.3.2.32).
    #[serde(default)]
    pub long_messages: LongMessages,
    /// What data_coding 0 (the SMSC default alphabet) means at this SMSC: `gsm7` (GSM 7-bit,
    /// one septet per octet, unpacked: most SMSCs), `latin1` or `ascii`. Characters of the GSM
    /// alphabet that Latin-1/ASCII lack (Greek capitals, €) are sent as `?` in those modes.
    #[serde(default)]
    pub default_coding: DefaultCoding,
    /// TON of the source address, overriding the one read from the sender's shape
    /// (alphanumeric 5, `+digits` 1, short codes 3).
    #[serde(default)]
    pub source_ton: Option<u8>,
    /// NPI of the source address, overriding the one read from the sender's shape.
    #[serde(default)]
    pub source_npi: Option<u8>,
    /// Sender used when a message has none (the SMSC's default otherwise): this route's
    /// default sender identity, e.g. the brand name. Checked like a submission's `from`
    /// (an alphanumeric sender is at most 11 characters, TS 23.040 §9.1.2.5).
    #[serde(default)]
    pub default_sender: Option<String>,
    /// Whether the operator accepts alphanumeric senders (brand names) on this link. When
    /// false, a submission forced onto this route with an alphanumeric `from` is refused
    /// with 422 `sender_not_allowed`, and `default_sender` must be a number.
    #[serde(default = "yes")]
    pub alphanumeric_senders: bool,
    /// registered_delivery (§5.2.17): 1 asks for a receipt on success and failure (default),
    /// 2 on failure only, 0 for none.
    #[serde(default = "one_u8")]
    pub registered_delivery: u8,
    /// Whether a Kannel `sendsms` `dlr-mask` decides registered_delivery for its message
    /// (bit 1 or both asks 1, bit 2 alone 2, neither, or 0, asks none): for clients that
    /// pay per receipt. Off by default: every submit asks `registered_delivery`, because
    /// `delivered`/`undelivered` statuses need the receipts.
    #[serde(default)]
    pub honour_dlr_mask: bool,
    /// How each submit_sm carries the message's remaining validity (SMPP 3.4 §7.1):
    /// `relative` (default: `0000DDhhmmss000R`, counted from when the SMSC receives it),
    /// `absolute` (UTC, `YYMMDDhhmmss000+`) or `none` (empty: the SMSC's default).
    #[serde(default)]
    pub validity_format: ValidityFormat,
    /// priority_flag (§5.2.14) sent for `low`, `normal` and `high` messages, each 0–3
    /// (GSM SMSCs treat 1–3 alike as priority).
    #[serde(default = "default_priority_flags")]
    pub priority_flags: [u8; 3],
    /// How often receipts that matched no submit yet are tried again.
    #[serde(default = "d1s")]
    pub receipt_retry: HumanDuration,
    /// How long parts of a concatenated MO message wait for the rest.
    #[serde(default = "d1h")]
    pub reassembly: HumanDuration,
}

/// How a session binds (SMPP 3.4 §2.2, §4.1).
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BindMode {
    /// bind_transceiver: one connection carries submits, receipts and MO.
    #[default]
    Transceiver,
    /// bind_transmitter + bind_receiver: two connections per session.
    TransmitterReceiver,
}

/// How the parts of a long message are marked.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LongMessages {
    /// Concatenation UDH (TS 23.040 §9.2.3.24.1) in short_message, esm_class UDHI set.
    #[default]
    Udh,
    /// sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (SMPP 3.4 §5.3.2.22–24).
    Sar,
    /// The whole message in one message_payload TLV (SMPP 3.4 §5.3.2.32); the SMSC splits it.
    Payload,
}

/// How submit_sm carries a message's validity (SMPP 3.4 §7.1.1, §7.1.2).
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ValidityFormat {
    /// The time left, relative to when the SMSC receives the submit.
    #[default]
    Relative,
    /// The expiry time in UTC (for SMSCs that refuse relative times).
    Absolute,
    /// An empty validity_period: the SMSC's default validity.
    None,
}

/// The SMSC default alphabet (data_coding 0).
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DefaultCoding {
    /// GSM 03.38 default alphabet, one septet per octet.
    #[default]
    Gsm7,
    /// ISO-8859-1.
    Latin1,
    /// IA5 / ASCII.
    Ascii,
}

fn default_port() -> u16 {
    2775
}
fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

fn one_u8() -> u8 {
    1
}
fn default_priority_flags() -> [u8; 3] {
    [0, 0, 1]
}
fn default_window() -> u32 {
    10
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const BASE: &str = "[[routes]]\nname = \"op\"\ntype = \"smpp\"\n";

    #[test]
    fn a_minimal_link_should_load_with_defaults() {
        let c = Config::from_toml(&format!(
            "{BASE}[[smpp]]\nroute = \"op\"\nhost = \"127.0.0.1\"\nsystem_id = \"acme\"\npassword = \"pw\"\n"
        ))
        .unwrap();
        let l = &c.smpp[0];
        assert_eq!((l.port, l.window, l.sessions), (2775, 10, 1));
        assert_eq!(l.long_messages, super::LongMessages::Udh);
        assert!(!format!("{l:?}").contains("\"pw\""));
    }

    #[test]
    fn link_problems_should_be_reported_with_key_and_line() {
        let text = format!(
            "{BASE}[[smpp]]\nroute = \"nope\"\nhost = \"h\"\nsystem_id = \"a-very-long-system-id\"\n\
             password = \"123456789\"\nwindow = 0\n"
        );
        let errors = Config::from_toml(&text).unwrap_err();
        let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
        for k in [
            "smpp[0].route",
            "smpp[0].system_id",
            "smpp[0].password",
            "smpp[0].window",
        ] {
            assert!(keys.contains(&k), "{k} not in {keys:?}");
        }
    }

    #[test]
    fn an_unknown_link_key_should_be_refused() {
        let text = format!(
            "{BASE}[[smpp]]\nroute = \"op\"\nhost = \"h\"\nsystem_id = \"a\"\npassword = \"b\"\nwindoww = 3\n"
        );
        assert!(Config::from_toml(&text).is_err());
    }
}
