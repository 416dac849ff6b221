//! The 16-octet PDU header (SMPP 3.4 §3.2, §2.2) and the size limits.

use super::command_id::CommandId;
use super::status::CommandStatus;

/// Size of the header: `command_length`, `command_id`, `command_status`, `sequence_number`,
/// four octets each (SMPP 3.4 §3.2). Also the smallest legal `command_length`.
pub const HEADER_LEN: usize = 16;

/// The largest `command_length` we accept or produce.
///
/// SMPP sets no maximum, so a hostile or broken peer could announce 4 GiB. The largest
/// legitimate PDU is a `submit_multi` (254 destinations × 24 octets ≈ 6 KiB of mandatory
/// fields) or any message carrying a 64 KiB `message_payload` TLV (SMPP 3.4 §5.3.2.32), so
/// 64 KiB plus 4 KiB of headroom covers every real PDU while bounding what one frame can make
/// us allocate.
pub const MAX_PDU_LEN: usize = 64 * 1024 + 4 * 1024;

/// A decoded PDU header. `command_length` is what the peer announced; encoders derive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// Total PDU length including the header (SMPP 3.4 §3.2).
    pub command_length: u32,
    /// Which PDU follows (§5.1.2.1).
    pub command_id: CommandId,
    /// Outcome in responses, 0 in requests (§5.1.3).
    pub command_status: CommandStatus,
    /// Correlates a response with its request (§3.2: 0x00000001..0x7FFFFFFF).
    pub sequence_number: u32,
}

impl Header {
    /// Reads a header from the first 16 octets, or `None` when fewer are present. Performs no
    /// validation: the framer and [`super::Pdu::decode`] check the length against the limits.
    pub fn peek(buf: &[u8]) -> Option<Header> {
        let word = |i: usize| -> Option<u32> {
            let b: [u8; 4] = buf.get(i..i + 4)?.try_into().ok()?;
            Some(u32::from_be_bytes(b))
        };
        Some(Header {
            command_length: word(0)?,
            command_id: CommandId::from_u32(word(4)?),
            command_status: CommandStatus::from_u32(word(8)?),
            sequence_number: word(12)?,
        })
    }
}
