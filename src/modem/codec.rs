//! The seam between the modem driver and the GSM TPDU codec (`crate::gsm`).
//!
//! The driver needs three things from TS 23.040: SMS-SUBMIT PDUs for a message's parts,
//! and decoded SMS-DELIVER and SMS-STATUS-REPORT PDUs. It asks for them through
//! [`TpduCodec`] so that the AT flow (prompt, timeouts, store-then-delete, correlation) is
//! tested without depending on how the codec is built, and so that the driver never grows a
//! second TPDU codec of its own. [`super::gsm_codec::GsmCodec`] is the implementation; TP-ST
//! is classified by [`crate::gsm::TpStatus::state`], not here.

use std::fmt::Debug;

use crate::model::{OutboundMessage, Timestamp};

/// One SMS-SUBMIT ready for `AT+CMGS` (TS 27.005 §3.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingPart {
    /// 1-based part index of the message.
    pub index: u8,
    /// The PDU in hex, SMSC address octets included (`00` = the SIM's default SMSC).
    pub pdu_hex: String,
    /// TPDU length in octets, without the SMSC address: the `<length>` of `AT+CMGS`.
    pub tpdu_len: usize,
}

/// The concatenation information element of a received part (TS 23.040 §9.2.3.24.1 with
/// 8-bit reference, §9.2.3.24.8 with 16-bit reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// The reference number shared by all parts of one message.
    pub reference: u16,
    /// How many parts the message has.
    pub total: u8,
    /// This part's 1-based sequence number.
    pub seq: u8,
    /// Whether the 16-bit reference form (IEI 0x08) was used.
    pub sixteen_bit: bool,
}

/// A decoded SMS-DELIVER (TS 23.040 §9.2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingSms {
    /// TP-OA, the originator (E.164 with `+`, or an alphanumeric name).
    pub from: String,
    /// TP-OA's type of number: the store reads `from` with it (national numbers included).
    pub from_type: crate::model::NumberType,
    /// TP-SCTS, the service centre time stamp.
    pub sent_at: Option<Timestamp>,
    /// Concatenation, when this is one part of a longer message.
    pub concat: Option<Concat>,
    /// This part's text (TP-UD without the header, decoded per TP-DCS).
    pub text: String,
}

/// A decoded SMS-STATUS-REPORT (TS 23.040 §9.2.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReportPdu {
    /// TP-MR of the SMS-SUBMIT it reports on.
    pub mr: u8,
    /// TP-RA, the recipient of that SMS-SUBMIT.
    pub recipient: String,
    /// TP-SCTS of the original submission.
    pub sent_at: Option<Timestamp>,
    /// TP-DT, when the final state was reached.
    pub discharged_at: Option<Timestamp>,
    /// TP-ST, the full status octet (§9.2.3.15).
    pub status: u8,
}

/// What a received PDU turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A message from a handset.
    Deliver(IncomingSms),
    /// A status report on a message we sent.
    StatusReport(StatusReportPdu),
    /// Another TPDU type (SMS-SUBMIT stored on the SIM, SMS-COMMAND…), with its type name.
    Other(String),
}

/// A PDU the codec refused, in its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(pub String);

/// The TPDU operations the driver needs. Implemented over `crate::gsm`; tests may use doubles.
pub trait TpduCodec: Send + Sync + Debug + 'static {
    /// SMS-SUBMIT PDUs for `parts` (1-based) of `message`, with status reports requested
    /// (TP-SRR) and `reference` as the concatenation reference when there is more than one part.
    fn encode_submit(
        &self,
        message: &OutboundMessage,
        parts: &[u8],
        reference: u16,
    ) -> Result<Vec<OutgoingPart>, CodecError>;

    /// Decodes a PDU as read by `+CMGR`/`+CMGL` or carried by `+CMT`/`+CDS` (SMSC address
    /// octets first, as TS 27.005 §3.1 `<pdu>` says for PDU mode).
    fn decode(&self, pdu_hex: &str) -> Result<Decoded, CodecError>;
}
