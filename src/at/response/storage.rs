//! Storage and indication settings: `+CPMS` (TS 27.005 §3.2.2) and `+CNMI=?` (§3.4.1).

use super::{ensure_ok, first, malformed};
use crate::at::error::ParseError;
use crate::at::event::Response;
use crate::at::fields::{Field, expand_range, split};

/// One storage's occupancy in a `+CPMS` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUsage {
    /// `<mem>` name (`SM`, `ME`, `MT`, `SR` …); `None` in the `+CPMS=` answer, which omits names.
    pub memory: Option<String>,
    /// `<used>` locations.
    pub used: u32,
    /// `<total>` locations.
    pub total: u32,
}

/// Parse `+CPMS?` (`<mem1>,<used1>,<total1>,…`) or `+CPMS=` (`<used1>,<total1>,…`) answers.
///
/// Returns one entry per storage (read/delete, write/send, receive), in that order.
pub fn parse_cpms(r: &Response) -> Result<Vec<StorageUsage>, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+CPMS:")?;
    let f = split(p);
    let named = matches!(f.first(), Some(Field::Quoted(_)));
    let step = if named { 3 } else { 2 };
    let mut out = Vec::new();
    for chunk in f.chunks(step) {
        let (memory, used, total) = if named {
            (
                chunk.first().and_then(Field::text).map(str::to_owned),
                chunk.get(1),
                chunk.get(2),
            )
        } else {
            (None, chunk.first(), chunk.get(1))
        };
        match (used.and_then(Field::number), total.and_then(Field::number)) {
            (Some(used), Some(total)) => out.push(StorageUsage {
                memory,
                used,
                total,
            }),
            _ => return Err(malformed("+CPMS", p)),
        }
    }
    if out.is_empty() {
        return Err(malformed("+CPMS", p));
    }
    Ok(out)
}

/// Supported `+CNMI` values from `+CNMI: (<mode>s),(<mt>s),(<bm>s),(<ds>s),(<bfr>s)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CnmiSupport {
    /// Supported `<mode>` values.
    pub mode: Vec<u8>,
    /// Supported `<mt>` values.
    pub mt: Vec<u8>,
    /// Supported `<bm>` values.
    pub bm: Vec<u8>,
    /// Supported `<ds>` values.
    pub ds: Vec<u8>,
    /// Supported `<bfr>` values.
    pub bfr: Vec<u8>,
}

impl CnmiSupport {
    /// Pick the first supported value from each preference list
    /// (e.g. `mode: [2, 1]`, `mt: [1]`, `ds: [2, 1]`), `None` if a list has no match.
    pub fn pick(&self, pref: [&[u8]; 5]) -> Option<[u8; 5]> {
        let lists = [&self.mode, &self.mt, &self.bm, &self.ds, &self.bfr];
        let mut out = [0u8; 5];
        for (slot, (list, want)) in out.iter_mut().zip(lists.iter().zip(pref)) {
            *slot = *want.iter().find(|w| list.contains(w))?;
        }
        Some(out)
    }
}

/// Parse the answer to `AT+CNMI=?`.
pub fn parse_cnmi_test(r: &Response) -> Result<CnmiSupport, ParseError> {
    ensure_ok(r)?;
    let p = first(r, "+CNMI:")?;
    let f = split(p);
    let list = |i: usize| {
        f.get(i)
            .and_then(Field::text)
            .map(expand_range)
            .unwrap_or_default()
    };
    let s = CnmiSupport {
        mode: list(0),
        mt: list(1),
        bm: list(2),
        ds: list(3),
        bfr: list(4),
    };
    if s.mode.is_empty() {
        return Err(malformed("+CNMI", p));
    }
    Ok(s)
}
