//! `+CPIN` (TS 27.007 §8.3) answers.

use super::{first, malformed};
use crate::at::error::ParseError;
use crate::at::event::{FinalResult, Response};

/// `<code>` of `+CPIN:` (TS 27.007 §8.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PinState {
    /// `READY`: no password pending.
    Ready,
    /// `SIM PIN`.
    SimPin,
    /// `SIM PUK`.
    SimPuk,
    /// `PH-SIM PIN` (phone-to-SIM lock).
    PhSimPin,
    /// `SIM PIN2`.
    SimPin2,
    /// `SIM PUK2`.
    SimPuk2,
    /// `NOT INSERTED` / `NOT READY` and similar vendor states.
    NotReady(String),
    /// Any other code (`PH-NET PIN`, …), as sent.
    Other(String),
}

impl PinState {
    /// Map the text after `+CPIN:`.
    pub fn parse(code: &str) -> PinState {
        let c = code.trim().trim_matches('"');
        match c.to_ascii_uppercase().as_str() {
            "READY" => PinState::Ready,
            "SIM PIN" => PinState::SimPin,
            "SIM PUK" => PinState::SimPuk,
            "PH-SIM PIN" | "PH_SIM PIN" => PinState::PhSimPin,
            "SIM PIN2" => PinState::SimPin2,
            "SIM PUK2" => PinState::SimPuk2,
            u if u.starts_with("NOT ") => PinState::NotReady(c.to_owned()),
            _ => PinState::Other(c.to_owned()),
        }
    }
}

/// Parse the answer to `AT+CPIN?`. Accepts a response without `OK` that the
/// driver abandoned after a timeout (old Wavecom firmware omits the `OK`).
pub fn parse_cpin(r: &Response) -> Result<PinState, ParseError> {
    match &r.result {
        FinalResult::Ok | FinalResult::Abandoned => {}
        other => return Err(ParseError::Failed(other.clone())),
    }
    let p = first(r, "+CPIN:")?;
    if p.trim().is_empty() {
        return Err(malformed("+CPIN", p));
    }
    Ok(PinState::parse(p))
}
