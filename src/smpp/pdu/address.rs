//! The `(ton, npi, address)` triple that most PDUs carry (SMPP 3.4 §5.2.5–5.2.8).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::EncodeError;
use super::fields::{COctetString, PResult, cstr, put_cstr, u8f};

/// An SME address: type of number, numbering plan and the digits or alphanumeric text.
/// The maximum size of `addr` depends on the PDU (21 octets in submit_sm, 65 in data_sm) and is
/// checked by the PDU that carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Address {
    /// Type of number (§5.2.5, see [`super::values::ton`]).
    pub ton: u8,
    /// Numbering plan indicator (§5.2.6, see [`super::values::npi`]).
    pub npi: u8,
    /// The address itself (§5.2.8).
    pub addr: COctetString,
}

impl Address {
    /// Builds an address from text; fails only on an embedded NUL.
    pub fn new(ton: u8, npi: u8, addr: &str) -> Result<Address, EncodeError> {
        Ok(Address {
            ton,
            npi,
            addr: COctetString::try_from(addr)?,
        })
    }

    /// Grammar: `ton:u8 npi:u8 addr:c-octet{max}`.
    pub(crate) fn parse<'a>(
        src: &'a Bytes,
        field: &'static str,
        max: usize,
        i: &'a [u8],
    ) -> PResult<'a, Address> {
        let (i, ton) = u8f(field)(i)?;
        let (i, npi) = u8f(field)(i)?;
        let (i, addr) = cstr(src, field, max)(i)?;
        Ok((i, Address { ton, npi, addr }))
    }

    /// Writes the triple, refusing an address longer than `max` (NUL included).
    pub(crate) fn put(
        &self,
        dst: &mut BytesMut,
        field: &'static str,
        max: usize,
    ) -> Result<(), EncodeError> {
        dst.put_slice(&[self.ton, self.npi]);
        put_cstr(dst, field, max, &self.addr)
    }
}
