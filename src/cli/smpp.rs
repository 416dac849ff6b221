//! `smsgw smpp decode HEX`: print one SMPP PDU as JSON, for people debugging operator links
//! (paste the hex from a Wireshark capture or an SMSC log).
//!
//! Exit codes: 0 decoded, 1 the octets are not a valid PDU (the error, with its offset, is
//! printed as JSON), 2 the argument is not hexadecimal.

use serde_json::{Value, json};

use crate::smpp::pdu::{Body, Pdu, values::data_coding};
use crate::smpp::receipt;

use super::{EXIT_CONFIG, EXIT_FAILURE, EXIT_OK};

/// `smsgw smpp ...`.
#[derive(Debug, clap::Args)]
pub struct SmppArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SmppCommand,
}

/// The SMPP debugging tools.
#[derive(Debug, clap::Subcommand)]
pub enum SmppCommand {
    /// Decode one PDU given as hexadecimal (spaces, colons and a 0x prefix are ignored);
    /// without an argument, the hex is read from standard input (`xxd -p dump | smsgw smpp
    /// decode`).
    Decode {
        /// The PDU octets in hexadecimal, header included.
        hex: Vec<String>,
    },
}

/// Runs the command, printing to stdout, and returns the exit code.
pub fn run(args: SmppArgs) -> u8 {
    match args.command {
        SmppCommand::Decode { hex } => {
            let input = if hex.is_empty() {
                let mut all = String::new();
                if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut all) {
                    let err = json!({"error": {"code": "invalid_hex", "message": format!("cannot read standard input: {e}")}});
                    println!("{}", pretty(&err));
                    return EXIT_CONFIG;
                }
                all
            } else {
                hex.join("")
            };
            let (code, out) = decode_hex(&input);
            println!("{out}");
            code
        }
    }
}

/// Decodes a hex PDU to `(exit code, pretty JSON)`; split out so it is testable without a
/// process.
pub fn decode_hex(input: &str) -> (u8, String) {
    let cleaned: String = input
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let bytes = match hex::decode(&cleaned) {
        Ok(b) => b,
        Err(e) => {
            return (
                EXIT_CONFIG,
                pretty(&json!({"error": {"code": "invalid_hex", "message": e.to_string()}})),
            );
        }
    };
    match Pdu::decode(&bytes) {
        Ok(pdu) => (EXIT_OK, pretty(&describe(&pdu, bytes.len()))),
        Err(e) => (
            EXIT_FAILURE,
            pretty(&json!({"error": {
                "code": "invalid_pdu",
                "message": e.kind.to_string(),
                "offset": e.offset,
                "header": e.header,
                "nack_status": e.nack_status(),
            }})),
        ),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The PDU as JSON with `command_length`/`command_id` and, for messages, a best-effort
/// reading of the text and of a receipt.
fn describe(pdu: &Pdu, len: usize) -> Value {
    let mut v = json!({
        "command_length": len,
        "command_id": pdu.command_id(),
        "command_status": pdu.command_status,
        "sequence_number": pdu.sequence_number,
        "body": pdu.body,
    });
    let message = match &pdu.body {
        Body::SubmitSm(s) | Body::DeliverSm(s) => Some((s.data_coding, s.payload(), s.esm_class)),
        Body::DataSm(d) => Some((
            d.data_coding,
            d.tlvs.message_payload().unwrap_or_default(),
            d.esm_class,
        )),
        _ => None,
    };
    if let Some((dc, payload, esm)) = message {
        if let Some(text) = text_of(dc, payload, esm) {
            v["text"] = json!(text);
            if let Ok(r) = receipt::parse(&text) {
                if crate::smpp::pdu::values::esm_class::is_receipt(esm) {
                    v["receipt"] = json!(r);
                }
            }
        }
    }
    v
}

/// Reads user data as text for the codings that need no tables: UCS-2, Latin-1, and ASCII for
/// the SMSC default alphabet (its letters and digits coincide). Skips a UDH when UDHI is set.
fn text_of(dc: u8, payload: &[u8], esm: u8) -> Option<String> {
    let body = if esm & crate::smpp::pdu::values::esm_class::UDHI != 0 {
        let n = usize::from(*payload.first()?) + 1;
        payload.get(n..)?
    } else {
        payload
    };
    match dc {
        data_coding::UCS2 => {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        data_coding::LATIN1 => Some(body.iter().map(|&b| char::from(b)).collect()),
        data_coding::SMSC_DEFAULT | data_coding::IA5 => body
            .is_ascii()
            .then(|| String::from_utf8_lossy(body).into_owned()),
        _ => None,
    }
}
