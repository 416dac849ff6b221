//! SANS-IO GSM SMS codec: alphabets (3GPP TS 23.038), segmentation and TPDUs (TS 23.040),
//! reassembly, and the AT PDU-mode framing of TS 27.005. Pure functions and plain data: no
//! I/O, no clocks, no async (time comes in as arguments).
//!
//! # Public API (all re-exported here)
//! - Alphabets: [`Gsm7Charset`] (`lookup`, `encode_into`, `decode`, `septet_len`),
//!   [`NationalLanguage`] (Turkish, Spanish, Portuguese), [`septet`] (`pack`, `unpack`,
//!   `fill_bits`), [`ucs2`] (`encode`, `decode`).
//! - Data coding: [`Encoding`] (`Gsm7`, `Ucs2`, `Binary`), [`DataCoding`] (TP-DCS octet with
//!   `encoding()`, `class()`, `compressed()`, `group()`), [`MessageClass`].
//! - Addresses and time: [`Address`] (`from_user`, `international`, `alphanumeric`, ...),
//!   [`Timestamp`] (`to_rfc3339`), [`ValidityPeriod`] (`relative_at_least(Duration)`).
//! - User data: [`UserData`] { header, body: [`Body`] }, [`UserDataHeader`],
//!   [`InformationElement`], [`Concat`].
//! - TPDUs: [`Tpdu`] (`decode(bytes, Direction)`, `decode_any`, `encode`), [`Submit`],
//!   [`Deliver`], [`StatusReport`] with [`TpStatus`] → [`DeliveryState`].
//! - AT PDU mode: [`AtPdu`] (`hex`, `tpdu_len`), [`decode_pdu_hex`] → [`ReceivedPdu`],
//!   [`encode_pdu_hex`].
//! - Error: [`GsmError`] (byte offsets on every parse error).

mod address;
mod alphabet;
mod at_pdu;
mod dcs;
mod error;
pub mod septet;
mod tables;
mod time;
mod tpdu;
pub mod ucs2;
mod udh;
mod user_data;

pub use address::{Address, MAX_ALPHANUMERIC, MAX_DIGITS, NPI_ISDN, TypeOfNumber};
pub use alphabet::{ESCAPE, Gsm7Charset, NationalLanguage, Septets};
pub use at_pdu::{AtPdu, ReceivedPdu, decode_pdu_hex, encode_pdu_hex};
pub use dcs::{DataCoding, DcsGroup, Encoding, MessageClass};
pub use error::GsmError;
pub use time::{Timestamp, ValidityPeriod};
pub use tpdu::{Deliver, DeliveryState, Direction, StatusReport, Submit, TpStatus, Tpdu};
pub use udh::{Concat, InformationElement, UserDataHeader};
pub use user_data::{Body, MAX_USER_DATA_OCTETS, UserData};

// Temporary until segment.rs lands.
/// Segmentation options.
#[derive(Debug, Clone, Default)]
pub struct SegmentOptions {
    /// 16-bit concatenation references (one more UDH octet per part).
    pub concat_16bit: bool,
}

/// How many parts a text needs, and in which coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartCount {
    /// Number of SMS parts.
    pub parts: usize,
    /// The coding.
    pub encoding: Encoding,
}

const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Counts parts (TS 23.040 §9.2.3.24.1: 160 septets or 140 octets, less the 6-octet
/// concatenation UDH when there is more than one part).
pub fn count_parts(text: &str, opts: &SegmentOptions) -> PartCount {
    let udh = if opts.concat_16bit { 7 } else { 6 };
    let mut septets = 0usize;
    let mut gsm = true;
    for c in text.chars() {
        if BASIC.contains(c) {
            septets += 1;
        } else if EXTENSION.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    if gsm {
        let per = (140 - udh) * 8 / 7;
        let parts = if septets <= 160 {
            1
        } else {
            septets.div_ceil(per)
        };
        return PartCount {
            parts,
            encoding: Encoding::Gsm7,
        };
    }
    let units = text.encode_utf16().count();
    let per = (140 - udh) / 2;
    let parts = if units <= 70 { 1 } else { units.div_ceil(per) };
    PartCount {
        parts,
        encoding: Encoding::Ucs2,
    }
}
