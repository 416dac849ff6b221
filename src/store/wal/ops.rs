//! A journal record's payload: the changes of one atomic write, in order.
//!
//! Layout: a format byte, then the changes. Format 1 holds them as they are; format 2 holds
//! their length (u32, big-endian) and then them compressed as one zstd frame; format 3 the
//! same with one LZ4 block instead. Each change is
//! a tag (`1` put, `0` remove), the key's length (u32, big-endian) and the key, and for a put
//! the value's length and the value. Changes are absolute (a key's new value or its removal),
//! so replaying a record twice leaves the same state as once: recovery may replay records a
//! checkpoint already holds.
//!
//! Why compressed: a record carries whole values, and a message's value is rewritten at each
//! step with the same field names and most of the same fields; a batch of a hundred messages
//! repeats them a hundred times. zstd at its fastest level takes those records to a third or
//! less (measured in `BENCHMARKS.md`), which is a third of the journal's bytes on disk, for
//! tens of microseconds per batch. Small records (a single counter) are left as they are.
//!
//! Why LZ4 for records of a few changes: a single submission's record (~700 B: the message,
//! its index keys, its event, two counters) is the one written most often under one request
//! per message, and zstd builds its entropy tables afresh for each — 8% of all CPU in the
//! single-submit profile (BENCHMARKS.md), ~8 µs a record, for 1.71×. LZ4 (no entropy stage)
//! takes it to 1.61× in about 1 µs. Large records (a batch, a hand-over of many messages) keep
//! zstd, whose ratio there is what the journal's bytes on disk are made of.

use sled::IVec;

/// Changes as they are.
const PLAIN: u8 = 1;
/// Changes compressed by zstd.
const ZSTD: u8 = 2;
/// Changes compressed by LZ4 (one block).
const LZ4: u8 = 3;
const PUT: u8 = 1;
const REMOVE: u8 = 0;

/// Records whose changes take fewer bytes than this are not worth compressing.
const COMPRESS_FROM: usize = 192;
/// Records whose changes take at least this many bytes are compressed by zstd; smaller ones
/// (from [`COMPRESS_FROM`]) by LZ4.
const ZSTD_FROM: usize = 4096;
/// zstd's fastest standard level: the journal is on the request path.
const LEVEL: i32 = 1;
/// The most a compressed record may expand to: the journal's own record limit.
const MAX_CHANGES_LEN: usize = super::super::journal::frame::MAX_PAYLOAD;

/// One change: the key's new value, or `None` for a removal.
pub type Op = (IVec, Option<IVec>);

/// The payload of a record holding `ops`.
pub fn encode(ops: &[Op]) -> Vec<u8> {
    let size: usize = ops
        .iter()
        .map(|(k, v)| 9 + k.len() + v.as_ref().map_or(0, |v| v.len()))
        .sum();
    let mut out = Vec::with_capacity(1 + size);
    out.push(PLAIN);
    for (k, v) in ops {
        out.push(if v.is_some() { PUT } else { REMOVE });
        put_bytes(&mut out, k);
        if let Some(v) = v {
            put_bytes(&mut out, v);
        }
    }
    // The changes' own length (`size` is a bound: a removal has no value length).
    let len = out.len() - 1;
    if len < COMPRESS_FROM {
        return out;
    }
    let (format, packed) = if len < ZSTD_FROM {
        (LZ4, Ok(lz4_flex::block::compress(&out[1..])))
    } else {
        (ZSTD, compress(&out[1..]))
    };
    match packed {
        Ok(packed) if packed.len() + 5 < out.len() => {
            let mut z = Vec::with_capacity(5 + packed.len());
            z.push(format);
            // `len` is under the journal's record limit, so it fits in a u32.
            z.extend_from_slice(&(len as u32).to_be_bytes());
            z.extend_from_slice(&packed);
            z
        }
        // Incompressible, or zstd could not (it only fails on allocation): written plain.
        _ => out,
    }
}

thread_local! {
    /// One zstd context per writing thread, kept: making one per record (what
    /// `zstd::bulk::compress` does) cost a few percent of the CPU under load in the profile
    /// of the side-by-side benchmark, for tables zstd rebuilds each time.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// `changes` compressed at [`LEVEL`] with this thread's context.
fn compress(changes: &[u8]) -> std::io::Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match slot.as_mut() {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL)?),
        };
        compressor.compress(changes)
    })
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // A record is at most 64 MiB (the journal refuses more), so lengths fit in a u32.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Why a payload could not be read (its checksum was right, so this is a bug or a record of
/// another format, never a torn write).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The first byte is not a format this build reads.
    #[error("unknown record format {0}")]
    Format(u8),
    /// The record ends inside a change.
    #[error("record ends inside change {0}")]
    Short(usize),
    /// A change's tag is neither put nor remove.
    #[error("change {index} has tag {tag}")]
    Tag {
        /// Which change.
        index: usize,
        /// The byte found.
        tag: u8,
    },
    /// The compressed changes do not expand to the length the record gives.
    #[error("compressed changes unreadable: {0}")]
    Compressed(String),
}

/// The changes of a payload, in order.
pub fn decode(payload: &[u8]) -> Result<Vec<Op>, DecodeError> {
    let (&format, rest) = payload.split_first().ok_or(DecodeError::Short(0))?;
    match format {
        PLAIN => decode_changes(rest),
        ZSTD => decode_changes(&expand(rest, |packed, len| {
            zstd::bulk::decompress(packed, len).map_err(|e| e.to_string())
        })?),
        LZ4 => decode_changes(&expand(rest, |packed, len| {
            lz4_flex::block::decompress(packed, len).map_err(|e| e.to_string())
        })?),
        other => Err(DecodeError::Format(other)),
    }
}

/// The changes of a compressed record (`rest`: their length, then them compressed), expanded
/// by `decompress` only once the length is known to be within the record limit, and checked
/// to be that length.
fn expand(
    rest: &[u8],
    decompress: impl FnOnce(&[u8], usize) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, DecodeError> {
    let (len, packed) = rest
        .split_first_chunk::<4>()
        .ok_or(DecodeError::Compressed("no length".into()))?;
    let len = u32::from_be_bytes(*len) as usize;
    if len > MAX_CHANGES_LEN {
        return Err(DecodeError::Compressed(format!(
            "{len} bytes is over the record limit"
        )));
    }
    let changes = decompress(packed, len).map_err(DecodeError::Compressed)?;
    if changes.len() != len {
        return Err(DecodeError::Compressed(format!(
            "{} bytes where the record says {len}",
            changes.len()
        )));
    }
    Ok(changes)
}

fn decode_changes(mut rest: &[u8]) -> Result<Vec<Op>, DecodeError> {
    let mut ops = Vec::new();
    while let Some((&tag, after)) = rest.split_first() {
        let index = ops.len();
        let (key, after) = take_bytes(after).ok_or(DecodeError::Short(index))?;
        let (value, after) = match tag {
            PUT => {
                let (v, after) = take_bytes(after).ok_or(DecodeError::Short(index))?;
                (Some(IVec::from(v)), after)
            }
            REMOVE => (None, after),
            tag => return Err(DecodeError::Tag { index, tag }),
        };
        ops.push((IVec::from(key), value));
        rest = after;
    }
    Ok(ops)
}

fn take_bytes(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = input.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(k: &str, v: Option<&str>) -> Op {
        (
            IVec::from(k.as_bytes()),
            v.map(|v| IVec::from(v.as_bytes())),
        )
    }

    #[test]
    fn changes_should_come_back_in_order() {
        let ops = vec![
            op("a", Some("1")),
            op("b", None),
            op("a", Some("")),
            op("", None),
        ];
        assert_eq!(decode(&encode(&ops)).unwrap(), ops);
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn every_cut_of_a_payload_should_be_refused_or_read_as_fewer_changes_never_panic() {
        let full = encode(&[op("key", Some("value")), op("gone", None)]);
        for cut in 0..full.len() {
            match decode(&full[..cut]) {
                Ok(ops) => assert!(ops.len() < 2, "a cut at {cut} read as whole"),
                Err(e) => assert!(matches!(e, DecodeError::Short(_)), "{e}"),
            }
        }
        assert_eq!(decode(&[4]), Err(DecodeError::Format(4)));
        assert_eq!(
            decode(&[1, 7, 0, 0, 0, 0]),
            Err(DecodeError::Tag { index: 0, tag: 7 })
        );
    }

    /// Values like a batch of messages: the same field names and most fields again.
    fn batch(n: usize) -> Vec<Op> {
        (0..n)
            .map(|i| {
                let v = format!(
                    "{{\"id\":\"{i:026}\",\"to\":\"+35840{i:07}\",\"status\":\"queued\",\
                     \"text\":\"Your appointment is tomorrow at 10:00\",\"history\":[]}}"
                );
                (
                    IVec::from(format!("M{i:016}").as_bytes()),
                    Some(IVec::from(v.as_bytes())),
                )
            })
            .collect()
    }

    #[test]
    fn a_batch_should_be_compressed_and_read_back_whole() {
        let ops = batch(100);
        let payload = encode(&ops);
        let plain = plain_len(&ops);
        assert_eq!(payload[0], ZSTD);
        assert!(payload.len() * 3 < plain, "{} of {plain}", payload.len());
        assert_eq!(decode(&payload).unwrap(), ops);
    }

    /// Found by the fuzzer: removals (no value length) in a record large enough to compress.
    #[test]
    fn many_removals_should_compress_and_read_back() {
        for n in [40, 1000] {
            let ops: Vec<Op> = (0..n).map(|i| op(&format!("S{i:04}"), None)).collect();
            let payload = encode(&ops);
            assert_eq!(payload[0], if n == 40 { LZ4 } else { ZSTD });
            assert_eq!(decode(&payload).unwrap(), ops);
        }
        let empty: Vec<Op> = (0..24).map(|_| op("", None)).collect();
        assert_eq!(decode(&encode(&empty)).unwrap(), empty);
    }

    #[test]
    fn a_small_record_should_stay_plain() {
        let ops = vec![op("Xevent_seq", Some("12345678"))];
        let payload = encode(&ops);
        assert_eq!(payload[0], PLAIN);
        assert_eq!(decode(&payload).unwrap(), ops);
    }

    #[test]
    fn a_record_of_a_few_changes_should_be_compressed_by_lz4() {
        let ops = batch(4);
        let payload = encode(&ops);
        assert_eq!(payload[0], LZ4);
        let plain = plain_len(&ops);
        assert!(
            payload.len() * 3 < plain * 2,
            "{} of {plain}",
            payload.len()
        );
        assert_eq!(decode(&payload).unwrap(), ops);
    }

    /// The bytes `ops` take uncompressed.
    fn plain_len(ops: &[Op]) -> usize {
        ops.iter()
            .map(|(k, v)| 5 + k.len() + v.as_ref().map_or(0, |v| 4 + v.len()))
            .sum()
    }

    #[test]
    fn a_damaged_compressed_record_should_be_refused_never_panic() {
        for (n, format) in [(5, LZ4), (40, ZSTD)] {
            let payload = encode(&batch(n));
            assert_eq!(payload[0], format);
            refused_when_damaged(payload);
        }
    }

    fn refused_when_damaged(payload: Vec<u8>) {
        for cut in 0..payload.len() {
            assert!(decode(&payload[..cut]).is_err(), "a cut at {cut} was read");
        }
        let mut flipped = payload.clone();
        for i in 5..flipped.len() {
            flipped[i] ^= 0x55;
            // Either refused or read as some changes; never a panic.
            let _ = decode(&flipped);
            flipped[i] ^= 0x55;
        }
        // A length over the limit is refused before anything is allocated for it.
        let mut huge = payload.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(decode(&huge), Err(DecodeError::Compressed(_))));
        // A length that is not what the block expands to.
        let mut wrong = payload;
        let len = u32::from_be_bytes(wrong[1..5].try_into().unwrap());
        wrong[1..5].copy_from_slice(&(len + 1).to_be_bytes());
        assert!(matches!(decode(&wrong), Err(DecodeError::Compressed(_))));
    }
}
