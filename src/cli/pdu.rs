//! `smsgw pdu decode HEX` and `smsgw pdu encode ...`: the GSM codec at the command line, for
//! people debugging modems. Decode prints one JSON object; encode prints one line per part:
//! the TPDU length `AT+CMGS` needs, a space, and the PDU in upper-case hex.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::gsm::{
    self, Address, Body, DataCoding, Deliver, OutgoingText, SegmentOptions, Timestamp, Tpdu,
    UserData, ValidityPeriod,
};

/// `smsgw pdu`.
#[derive(Debug, Args)]
pub struct PduArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PduCommand,
}

/// The `pdu` subcommands.
#[derive(Debug, Subcommand)]
pub enum PduCommand {
    /// Decode an AT PDU-mode hex string (SMSC prefix included, as +CMGR/+CMGL/+CMT/+CDS show it).
    Decode {
        /// The PDU in hex.
        hex: String,
        /// The PDU has no SMSC prefix (a bare TPDU).
        #[arg(long)]
        no_smsc: bool,
    },
    /// Encode a text into SMS-SUBMIT PDUs (or SMS-DELIVER PDUs with --from).
    Encode(EncodeArgs),
}

/// `smsgw pdu encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Recipient: `+` and digits for international, digits for unknown type.
    #[arg(long)]
    pub to: String,
    /// The text.
    #[arg(long)]
    pub text: String,
    /// Build SMS-DELIVERs from this sender (number or alphanumeric), as an SMSC would.
    #[arg(long)]
    pub from: Option<String>,
    /// SMSC number for the prefix (default: `00`, the SIM's SMSC).
    #[arg(long)]
    pub smsc: Option<String>,
    /// Ask for a status report.
    #[arg(long)]
    pub status_report: bool,
    /// Validity, e.g. `2d` or `90m` (relative TP-VP, rounded up).
    #[arg(long)]
    pub validity: Option<String>,
    /// Concatenation reference for multi-part texts.
    #[arg(long, default_value_t = 0)]
    pub reference: u16,
    /// Use 16-bit concatenation references.
    #[arg(long)]
    pub concat_16bit: bool,
}

/// Runs `smsgw pdu`; returns the process exit code.
pub fn run(args: PduArgs) -> u8 {
    let result = match args.command {
        PduCommand::Decode { hex, no_smsc } => decode(&hex, no_smsc),
        PduCommand::Encode(e) => encode(&e),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            super::EXIT_OK
        }
        Err(e) => {
            eprintln!("smsgw: {e}");
            super::EXIT_FAILURE
        }
    }
}

fn decode(hex: &str, no_smsc: bool) -> anyhow::Result<String> {
    let (smsc, tpdu) = if no_smsc {
        let bytes = ::hex::decode(hex.trim()).map_err(|e| anyhow::anyhow!("invalid hex: {e}"))?;
        (None, Tpdu::decode_any(&bytes)?)
    } else {
        let r = gsm::decode_pdu_hex(hex, None)?;
        (r.smsc, r.tpdu)
    };
    let smsc = smsc.map(|a| a.display());
    let v = match &tpdu {
        Tpdu::Deliver(d) => {
            let mut v = json!({
                "type": "deliver",
                "smsc": smsc,
                "sender": address_json(&d.originator),
                "timestamp": d.timestamp.to_rfc3339(),
                "protocol_id": d.protocol_id,
                "status_report_indication": d.status_report_indication,
            });
            merge(&mut v, user_data_json(d.dcs, &d.user_data));
            v
        }
        Tpdu::Submit(s) => {
            let mut v = json!({
                "type": "submit",
                "smsc": smsc,
                "recipient": address_json(&s.destination),
                "message_reference": s.message_reference,
                "protocol_id": s.protocol_id,
                "status_report_request": s.status_report_request,
                "validity": s.validity.map(|vp| validity_json(&vp)),
            });
            merge(&mut v, user_data_json(s.dcs, &s.user_data));
            v
        }
        Tpdu::StatusReport(r) => {
            let mut v = json!({
                "type": "status_report",
                "smsc": smsc,
                "recipient": address_json(&r.recipient),
                "message_reference": r.message_reference,
                "timestamp": r.timestamp.to_rfc3339(),
                "discharge_time": r.discharge_time.to_rfc3339(),
                "status": {
                    "code": r.status.0,
                    "state": r.status.state(),
                    "final": r.status.is_final(),
                },
            });
            if let Some(ud) = &r.user_data {
                merge(
                    &mut v,
                    user_data_json(r.dcs.unwrap_or(DataCoding::GSM7), ud),
                );
            }
            v
        }
    };
    Ok(serde_json::to_string_pretty(&v)?)
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

fn address_json(a: &Address) -> Value {
    json!({ "address": a.display(), "type": a.ton, "npi": a.npi })
}

fn validity_json(vp: &ValidityPeriod) -> Value {
    match vp {
        ValidityPeriod::Relative(v) => json!({
            "relative": v,
            "seconds": ValidityPeriod::relative_duration(*v).as_secs(),
        }),
        ValidityPeriod::Absolute(t) => json!({ "absolute": t.to_rfc3339() }),
        ValidityPeriod::Enhanced(b) => json!({ "enhanced": ::hex::encode_upper(b) }),
    }
}

fn user_data_json(dcs: DataCoding, ud: &UserData) -> Value {
    let (text, data, unsupported) = match &ud.body {
        Body::Text(t) => (Some(t.clone()), None, None),
        Body::Binary(b) => (None, Some(::hex::encode_upper(b)), None),
        Body::Compressed(b) => (
            None,
            Some(::hex::encode_upper(b)),
            Some("compressed user data (TS 23.042) is not supported"),
        ),
    };
    let concat = ud.header.as_ref().and_then(|h| h.concat());
    json!({
        "dcs": {
            "raw": format!("{:02X}", dcs.0),
            "group": dcs.group(),
            "class": dcs.class(),
            "compressed": dcs.compressed(),
        },
        "encoding": dcs.encoding(),
        "text": text,
        "data": data,
        "unsupported": unsupported,
        "udh": ud.header.as_ref().map(|h| &h.elements),
        "concatenation": concat,
    })
}

fn encode(e: &EncodeArgs) -> anyhow::Result<String> {
    let to = Address::from_user(&e.to);
    let smsc = e.smsc.as_deref().map(Address::from_user);
    let validity = e
        .validity
        .as_deref()
        .map(|v| {
            humantime::parse_duration(v)
                .map(ValidityPeriod::relative_at_least)
                .map_err(|err| anyhow::anyhow!("invalid --validity {v:?}: {err}"))
        })
        .transpose()?;
    let opts = SegmentOptions {
        concat_16bit: e.concat_16bit,
        ..SegmentOptions::default()
    };
    let pdus = match &e.from {
        None => gsm::build_text_pdus(
            &OutgoingText {
                to: &to,
                text: &e.text,
                status_report: e.status_report,
                validity,
                reference: e.reference,
            },
            smsc.as_ref(),
            &opts,
        )?,
        Some(from) => {
            let originator = Address::from_user(from);
            let timestamp = now_timestamp();
            let segments = gsm::segment(&e.text, &opts, e.reference)?;
            segments
                .parts
                .into_iter()
                .map(|user_data| {
                    let d = Deliver {
                        more_messages: false,
                        loop_prevention: false,
                        status_report_indication: e.status_report,
                        reply_path: false,
                        originator: originator.clone(),
                        protocol_id: 0,
                        dcs: segments.dcs,
                        timestamp,
                        user_data,
                    };
                    gsm::encode_pdu_hex(smsc.as_ref(), &Tpdu::Deliver(d))
                })
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok(pdus
        .iter()
        .map(|p| format!("{} {}", p.tpdu_len, p.hex))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn now_timestamp() -> Timestamp {
    let now = time::OffsetDateTime::now_utc();
    Timestamp {
        year: (now.year() % 100) as u8,
        month: u8::from(now.month()),
        day: now.day(),
        hour: now.hour(),
        minute: now.minute(),
        second: now.second(),
        tz_quarters: 0,
    }
}
