//! The simulator's only door to GSM TPDUs: everything it needs from `smsgw::gsm`, in the shapes
//! the engine uses. Encoding and decoding live in smsgw's codec; this file only adapts.

/// Why a PDU could not be decoded or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// The codec rejected the bytes or the input (its message, with the offset when it has one).
    #[error("GSM codec: {0}")]
    Codec(String),
    /// The codec in this build cannot do what was asked.
    #[error("GSM codec lacks {0}")]
    Unsupported(&'static str),
}

/// A concatenation element (TS 23.040 §9.2.3.24.1 / .8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Concat {
    /// Reference number (8- or 16-bit).
    pub reference: u16,
    /// Total number of parts.
    pub total: u8,
    /// This part's sequence number, from 1.
    pub seq: u8,
}

/// What the simulator needs to know about an SMS-SUBMIT a client sent (TS 23.040 §9.2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubmitInfo {
    /// TP-DA as text (`+` for international numbers, letters for alphanumeric).
    pub recipient: String,
    /// TP-SRR: a status report was requested.
    pub srr: bool,
    /// The user data as text (without the UDH), if it is text.
    pub text: Option<String>,
    /// `gsm7`, `ucs2` or `binary`.
    pub encoding: String,
    /// Concatenation, if the UDH has it.
    pub concat: Option<Concat>,
}

/// Decode an SMS-SUBMIT TPDU (without the SMSC address).
pub fn decode_submit(_tpdu: &[u8]) -> Result<SubmitInfo, PduError> {
    Err(PduError::Unsupported("SMS-SUBMIT decoding"))
}

/// How to encode an injected incoming message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliverOptions {
    /// Force UCS-2 even when the text fits the GSM 7-bit alphabet.
    pub ucs2: bool,
    /// Concatenation reference for multi-part messages.
    pub reference: u8,
}

/// Build the SMS-DELIVER TPDUs (without the SMSC address) of a text from `sender`, split
/// into concatenated parts when needed (TS 23.040 §9.2.2.1).
pub fn encode_deliver(
    _sender: &str,
    _text: &str,
    _opts: &DeliverOptions,
    _scts: time::OffsetDateTime,
) -> Result<Vec<Vec<u8>>, PduError> {
    Err(PduError::Unsupported("SMS-DELIVER encoding"))
}

/// Build an SMS-STATUS-REPORT TPDU (TS 23.040 §9.2.2.3) for the message with TP-MR `mr` sent
/// to `recipient`, submitted at `scts`, discharged at `discharge`, with TP-ST `status`.
pub fn encode_status_report(
    _mr: u8,
    _recipient: &str,
    _scts: time::OffsetDateTime,
    _discharge: time::OffsetDateTime,
    _status: u8,
) -> Result<Vec<u8>, PduError> {
    Err(PduError::Unsupported("SMS-STATUS-REPORT encoding"))
}

/// The SMSC address field prefixed to PDUs in AT PDU mode (TS 27.005 §3.1 `<pdu>`, address
/// coded as TS 24.011 §8.2.5.1).
pub fn encode_smsc(_number: &str) -> Result<Vec<u8>, PduError> {
    Err(PduError::Unsupported("SMSC address encoding"))
}
