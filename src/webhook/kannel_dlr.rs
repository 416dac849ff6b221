//! Kannel delivery-report calls: which status changes a `dlr-mask` asks for, and the `dlr-url`
//! escapes, as Kannel's user guide defines them ("Delivery reports" and the `sms-service`
//! parameter table). Pure functions; the worker fetches the resulting URL with GET.

use crate::model::{Status, Timestamp};

/// `dlr-mask` bit 1: delivered to phone.
pub const DLR_DELIVERED: u8 = 1;
/// Bit 2: non-delivered to phone.
pub const DLR_UNDELIVERED: u8 = 2;
/// Bit 8: delivered to SMSC (the network accepted it).
pub const DLR_SMSC_ACCEPTED: u8 = 8;
/// Bit 16: non-delivered to SMSC (refused, failed, expired or canceled before sending).
pub const DLR_SMSC_REJECTED: u8 = 16;

/// The Kannel report type of a status, if it has one. Bit 4 ("queued on SMSC") has no smsgw
/// counterpart: smsgw's own queue is not the SMSC's, so it is never reported.
pub fn dlr_type(status: Status) -> Option<u8> {
    match status {
        Status::Delivered => Some(DLR_DELIVERED),
        Status::Undelivered => Some(DLR_UNDELIVERED),
        Status::Sent => Some(DLR_SMSC_ACCEPTED),
        Status::Failed | Status::Expired | Status::Canceled => Some(DLR_SMSC_REJECTED),
        Status::Scheduled | Status::Queued | Status::Sending => None,
    }
}

/// The values a `dlr-url` may ask for.
#[derive(Debug, Clone, Default)]
pub struct DlrValues<'a> {
    /// `%d`: the report type.
    pub dlr_type: u8,
    /// `%A` (and `%b`, the text of Kannel's report message): the report's text, as Kannel
    /// gives it ([`report_text`]).
    pub reply: &'a str,
    /// `%i`: the route (Kannel's smsc-id).
    pub smsc: &'a str,
    /// `%I`: smsgw's message id.
    pub id: &'a str,
    /// `%F`: the network's id of the first part.
    pub foreign_id: &'a str,
    /// `%p`: the handset, the message's receiver (a report comes *from* the handset, so
    /// Kannel gives its number as the report's sender).
    pub handset: &'a str,
    /// `%P`: the message's original sender (empty when the route chose it).
    pub sender: &'a str,
    /// `%t` (`YYYY-MM-DD HH:MM:SS`, UTC) and `%T` (Unix seconds): when the report happened.
    pub at: Timestamp,
    /// `%n`: the sendsms user.
    pub user: &'a str,
}

/// `%A` of a report, as Kannel 1.4.5 writes it: `ACK/` when the network took the message
/// (type 8), `NACK/` and the reason when it refused it or it failed (16), and for a
/// handset report (1, 2) the receipt as the network sent it (SMPP's
/// `id:… sub:… dlvrd:… stat:… err:… text:…`), else smsgw's reason or the status.
pub fn report_text(dlr_type: u8, receipt: Option<&str>, reason: &str) -> String {
    match dlr_type {
        DLR_SMSC_ACCEPTED => "ACK/".to_string(),
        DLR_SMSC_REJECTED => format!("NACK/{reason}"),
        _ => receipt.unwrap_or(reason).to_string(),
    }
}

/// Fills `template`'s escapes with URL-encoded values. `%%` is a literal `%`; an unknown
/// escape is left as written.
pub fn substitute(template: &str, v: &DlrValues<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(code) = chars.next() else {
            out.push('%');
            break;
        };
        let value: String = match code {
            'd' => v.dlr_type.to_string(),
            'A' => v.reply.to_string(),
            'i' => v.smsc.to_string(),
            'I' => v.id.to_string(),
            'F' => v.foreign_id.to_string(),
            'p' => v.handset.to_string(),
            'P' => v.sender.to_string(),
            'q' => plus_for_00(v.handset),
            'Q' => plus_for_00(v.sender),
            't' => kannel_time(v.at),
            'T' => (v.at.as_millis() / 1000).to_string(),
            'n' => v.user.to_string(),
            'b' => v.reply.to_string(),
            '%' => {
                out.push('%');
                continue;
            }
            other => {
                out.push('%');
                out.push(other);
                continue;
            }
        };
        out.push_str(&url_encode(&value));
    }
    out
}

fn plus_for_00(n: &str) -> String {
    match n.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => n.to_string(),
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
fn kannel_time(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    // RFC 3339 from Timestamp is `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
    s.get(..19).map_or(s.clone(), |d| d.replace('T', " "))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dlr_url_should_get_every_documented_escape_url_encoded() {
        let v = DlrValues {
            dlr_type: 1,
            reply: "DELIVRD ok",
            smsc: "sims",
            id: "01J0000000000000000000000",
            foreign_id: "17",
            handset: "+358401234567",
            sender: "0040123",
            at: Timestamp(1_700_000_000_000),
            user: "playsms",
        };
        let url = substitute(
            "http://127.0.0.1/dlr?type=%d&a=%A&smsc=%i&id=%I&f=%F&p=%p&P=%P&q=%q&t=%t&T=%T&n=%n&b=%b&pct=%%&x=%z",
            &v,
        );
        assert_eq!(
            url,
            "http://127.0.0.1/dlr?type=1&a=DELIVRD%20ok&smsc=sims&id=01J0000000000000000000000&f=17\
             &p=%2B358401234567&P=0040123&q=%2B358401234567&t=2023-11-14%2022%3A13%3A20&T=1700000000\
             &n=playsms&b=DELIVRD%20ok&pct=%&x=%z"
        );
    }

    #[test]
    fn report_texts_should_be_kannels() {
        let receipt = "id:1A sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:hi";
        assert_eq!(report_text(8, None, "sent"), "ACK/");
        assert_eq!(
            report_text(16, None, "route refused: 0x45"),
            "NACK/route refused: 0x45"
        );
        assert_eq!(report_text(1, Some(receipt), "delivered"), receipt);
        assert_eq!(report_text(2, None, "undelivered"), "undelivered");
        let v = DlrValues {
            dlr_type: 8,
            reply: "ACK/",
            ..DlrValues::default()
        };
        assert_eq!(substitute("%A|%b", &v), "ACK%2F|ACK%2F");
    }

    #[test]
    fn statuses_should_map_to_kannel_report_types() {
        assert_eq!(dlr_type(Status::Delivered), Some(1));
        assert_eq!(dlr_type(Status::Undelivered), Some(2));
        assert_eq!(dlr_type(Status::Sent), Some(8));
        assert_eq!(dlr_type(Status::Failed), Some(16));
        assert_eq!(dlr_type(Status::Queued), None);
    }
}
