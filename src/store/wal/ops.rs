//! A journal record's payload: the changes of one atomic write, in order.
//!
//! Layout: a format byte (1), then for each change a tag (`1` put, `0` remove), the key's
//! length (u32, big-endian) and the key, and for a put the value's length and the value.
//! Changes are absolute (a key's new value or its removal), so replaying a record twice
//! leaves the same state as once: recovery may replay records a checkpoint already holds.

use sled::IVec;

/// The only format this build writes and reads.
const FORMAT: u8 = 1;
const PUT: u8 = 1;
const REMOVE: u8 = 0;

/// One change: the key's new value, or `None` for a removal.
pub type Op = (IVec, Option<IVec>);

/// The payload of a record holding `ops`.
pub fn encode(ops: &[Op]) -> Vec<u8> {
    let size: usize = ops
        .iter()
        .map(|(k, v)| 9 + k.len() + v.as_ref().map_or(0, |v| v.len()))
        .sum();
    let mut out = Vec::with_capacity(1 + size);
    out.push(FORMAT);
    for (k, v) in ops {
        out.push(if v.is_some() { PUT } else { REMOVE });
        put_bytes(&mut out, k);
        if let Some(v) = v {
            put_bytes(&mut out, v);
        }
    }
    out
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
}

/// The changes of a payload, in order.
pub fn decode(payload: &[u8]) -> Result<Vec<Op>, DecodeError> {
    let (&format, mut rest) = payload.split_first().ok_or(DecodeError::Short(0))?;
    if format != FORMAT {
        return Err(DecodeError::Format(format));
    }
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
        assert_eq!(decode(&[2]), Err(DecodeError::Format(2)));
        assert_eq!(
            decode(&[1, 7, 0, 0, 0, 0]),
            Err(DecodeError::Tag { index: 0, tag: 7 })
        );
    }
}
