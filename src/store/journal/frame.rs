//! The journal's on-disk framing, pure and sans-IO: a segment header, and records framed by
//! length and checksum. Everything here reads bytes that may be torn, stale or corrupt, so
//! nothing panics on any input; the reader says how far the bytes are good and why it stopped.
//!
//! ```text
//! segment header (32 bytes): magic "SMSGWJNL" | version u32 | first_lsn u64 | crc32 u32 | 8 zero bytes
//! record (16-byte head + payload): len u32 | crc32 u32 (of lsn and payload) | lsn u64 | payload
//! ```
//!
//! All integers little-endian. Segments are zero-filled when created, so the end of the data
//! is a head of zeros; a record's checksum covers its sequence number, so a record left over
//! from an earlier use of the same bytes (stale) is told from the next one by its number.

/// A record's sequence number: strictly increasing by one across the whole journal.
pub type Lsn = u64;

/// Bytes of a segment header.
pub const SEGMENT_HEADER_LEN: usize = 32;
/// Bytes of a record's head (before its payload).
pub const RECORD_HEAD_LEN: usize = 16;
/// The largest payload a record may carry. A change bigger than this is refused by `append`
/// rather than written in a form the reader would take for a torn record.
pub const MAX_PAYLOAD: usize = 64 << 20;

const MAGIC: &[u8; 8] = b"SMSGWJNL";
const VERSION: u32 = 1;

/// A segment's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The sequence number of the segment's first record.
    pub first_lsn: Lsn,
}

/// Why a segment header was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than [`SEGMENT_HEADER_LEN`] bytes.
    #[error("segment header is {0} bytes, shorter than {SEGMENT_HEADER_LEN}")]
    Short(usize),
    /// Not a journal segment.
    #[error("not a journal segment (bad magic)")]
    Magic,
    /// Written by a newer build.
    #[error("journal segment format version {0}; this smsgw reads version {VERSION}")]
    Version(u32),
    /// The header's checksum does not match.
    #[error("segment header checksum mismatch")]
    Checksum,
}

/// The header bytes of a segment whose first record is `first_lsn`.
pub fn encode_header(first_lsn: Lsn) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..20].copy_from_slice(&first_lsn.to_le_bytes());
    let crc = crc32fast::hash(&h[..20]);
    h[20..24].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Reads a segment header.
pub fn decode_header(bytes: &[u8]) -> Result<SegmentHeader, HeaderError> {
    let h = bytes
        .get(..SEGMENT_HEADER_LEN)
        .ok_or(HeaderError::Short(bytes.len()))?;
    if &h[..8] != MAGIC {
        return Err(HeaderError::Magic);
    }
    let version = u32_at(h, 8);
    if version != VERSION {
        return Err(HeaderError::Version(version));
    }
    if crc32fast::hash(&h[..20]) != u32_at(h, 20) {
        return Err(HeaderError::Checksum);
    }
    Ok(SegmentHeader {
        first_lsn: u64_at(h, 12),
    })
}

/// Appends one framed record to `out`.
///
/// The payload must be at most [`MAX_PAYLOAD`] bytes; `Journal::append` checks that first.
pub fn encode_record(lsn: Lsn, payload: &[u8], out: &mut Vec<u8>) {
    debug_assert!(payload.len() <= MAX_PAYLOAD);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&lsn.to_le_bytes());
    crc.update(payload);
    out.reserve(RECORD_HEAD_LEN + payload.len());
    // MAX_PAYLOAD fits in u32, so the length never truncates.
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(payload);
}

/// The bytes a record of `payload_len` takes.
pub fn record_len(payload_len: usize) -> usize {
    RECORD_HEAD_LEN + payload_len
}

/// What the reader found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole record with the sequence number asked for; `len` bytes in all.
    Record {
        /// Its payload.
        payload: &'a [u8],
        /// Bytes it takes (head and payload).
        len: usize,
    },
    /// The end of the data: a head of zeros, or too few bytes left for a head.
    End,
    /// Bytes that are not the record asked for: torn, corrupt or stale.
    Invalid(Invalid),
}

/// Why the bytes at an offset are not the next record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// The length runs past the bytes there are (a record cut short), or past the limit.
    Length(u64),
    /// The checksum does not match the bytes (torn or corrupt).
    Checksum,
    /// A whole, valid record, but not the one expected (left over from earlier writes).
    Sequence {
        /// The number expected.
        expected: Lsn,
        /// The number found.
        found: Lsn,
    },
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Length(n) => write!(f, "record length {n} runs past the segment"),
            Invalid::Checksum => write!(f, "record checksum mismatch"),
            Invalid::Sequence { expected, found } => {
                write!(f, "record number {found} where {expected} was expected")
            }
        }
    }
}

/// Reads the record that should be number `expected` from the start of `bytes`.
pub fn decode_record(bytes: &[u8], expected: Lsn) -> Frame<'_> {
    let Some(head) = bytes.get(..RECORD_HEAD_LEN) else {
        return Frame::End;
    };
    if head.iter().all(|&b| b == 0) {
        return Frame::End;
    }
    let len = u32_at(head, 0) as usize;
    if len > MAX_PAYLOAD || bytes.len() - RECORD_HEAD_LEN < len {
        return Frame::Invalid(Invalid::Length(len as u64));
    }
    let lsn = u64_at(head, 8);
    let payload = &bytes[RECORD_HEAD_LEN..RECORD_HEAD_LEN + len];
    let mut crc = crc32fast::Hasher::new();
    crc.update(&head[8..16]);
    crc.update(payload);
    if crc.finalize() != u32_at(head, 4) {
        return Frame::Invalid(Invalid::Checksum);
    }
    if lsn != expected {
        return Frame::Invalid(Invalid::Sequence {
            expected,
            found: lsn,
        });
    }
    Frame::Record {
        payload,
        len: record_len(len),
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment written by another implementation of the format (the fuzz seed, made with
    /// Python's zlib CRC-32): the framing is what this file says, not just what the code does.
    #[test]
    fn a_segment_written_elsewhere_from_the_format_description_reads_back() {
        let bytes = include_bytes!("../../../tests/fuzz/seeds/journal_frame/three_records");
        assert_eq!(decode_header(bytes), Ok(SegmentHeader { first_lsn: 1 }));
        let mut at = SEGMENT_HEADER_LEN;
        for lsn in 1..=3 {
            match decode_record(&bytes[at..], lsn) {
                Frame::Record { payload, len } => {
                    let want = format!("{{\"change\":{lsn},\"text\":\"reminder\"}}");
                    assert_eq!(payload, want.as_bytes());
                    at += len;
                }
                other => panic!("record {lsn}: {other:?}"),
            }
        }
        assert_eq!(decode_record(&bytes[at..], 4), Frame::End);
    }

    #[test]
    fn a_record_reads_back_and_its_neighbours_do_not_pass_for_it() {
        let mut buf = Vec::new();
        encode_record(7, b"hello", &mut buf);
        encode_record(8, b"", &mut buf);
        let Frame::Record { payload, len } = decode_record(&buf, 7) else {
            panic!("record 7 unread");
        };
        assert_eq!((payload, len), (&b"hello"[..], 21));
        assert_eq!(
            decode_record(&buf[21..], 8),
            Frame::Record {
                payload: b"",
                len: 16
            }
        );
        assert_eq!(decode_record(&buf[37..], 9), Frame::End);
        assert_eq!(
            decode_record(&buf, 6),
            Frame::Invalid(Invalid::Sequence {
                expected: 6,
                found: 7
            })
        );
    }

    #[test]
    fn every_cut_and_every_flipped_bit_of_a_record_is_refused() {
        let mut buf = Vec::new();
        encode_record(1, b"a message body", &mut buf);
        for cut in 1..buf.len() {
            let torn = &buf[..cut];
            assert!(
                !matches!(decode_record(torn, 1), Frame::Record { .. }),
                "cut at {cut} read as a record"
            );
        }
        for bit in 0..buf.len() * 8 {
            let mut b = buf.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !matches!(decode_record(&b, 1), Frame::Record { .. }),
                "bit {bit} flipped read as a record"
            );
        }
    }

    #[test]
    fn headers_round_trip_and_refuse_what_is_not_theirs() {
        let h = encode_header(42);
        assert_eq!(decode_header(&h), Ok(SegmentHeader { first_lsn: 42 }));
        assert_eq!(decode_header(&h[..10]), Err(HeaderError::Short(10)));
        let mut bad = h;
        bad[0] = b'X';
        assert_eq!(decode_header(&bad), Err(HeaderError::Magic));
        let mut bad = h;
        bad[13] ^= 1;
        assert_eq!(decode_header(&bad), Err(HeaderError::Checksum));
        let mut bad = h;
        bad[8] = 9;
        assert_eq!(decode_header(&bad), Err(HeaderError::Version(9)));
    }

    #[test]
    fn a_length_past_the_limit_is_invalid_not_an_allocation() {
        let mut head = [0u8; RECORD_HEAD_LEN];
        head[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode_record(&head, 1),
            Frame::Invalid(Invalid::Length(u64::from(u32::MAX)))
        );
    }
}
