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
//!   [`encode_pdu_hex`]; for the modem: [`build_text_pdus`]`(&OutgoingText, smsc, &opts)`
//!   (one [`AtPdu`] per part) and [`build_submits`].
//! - Segmentation: [`count_parts`]`(&str, &SegmentOptions) -> PartCount`, [`segment`]`(text,
//!   opts, reference) -> Segments` (user data per part), [`segment_binary`],
//!   [`SegmentOptions`] (16-bit refs, national languages, look-alike replacement, class),
//!   [`ConcatReferences`] (`allocate(recipient, sixteen_bit)`).
//! - Reassembly is not here: received parts are reassembled durably by the store
//!   (`store::reassembly`, `Store::receive_part`), one reassembler for modems and SMPP.
//! - Error: [`GsmError`] (byte offsets on every parse error).

mod address;
mod alphabet;
mod at_pdu;
mod dcs;
mod error;
mod outgoing;
mod references;
mod replace;
mod segment;
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
pub use outgoing::{OutgoingText, build_submits, build_text_pdus};
pub use references::{ConcatReferences, DEFAULT_MAX_RECIPIENTS};
pub use segment::{
    MAX_PARTS, PartCount, SegmentOptions, Segments, count_parts, segment, segment_binary,
};
pub use time::{Timestamp, ValidityPeriod};
pub use tpdu::{Deliver, DeliveryState, Direction, StatusReport, Submit, TpStatus, Tpdu};
pub use udh::{Concat, InformationElement, UserDataHeader};
pub use user_data::{Body, MAX_USER_DATA_OCTETS, UserData};
