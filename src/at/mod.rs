//! SANS-IO AT command layer (3GPP TS 27.005 / 27.007).
//!
//! This module owns the conversation grammar with a GSM modem: it turns the
//! modem's byte stream into events (command echo dropped, answers collected
//! up to their final result code, the `> ` prompt, unsolicited result codes),
//! builds the exact command bytes, parses answers into typed values and
//! names/classifies `+CMS`/`+CME ERROR` codes. It must not do I/O, spawn
//! tasks, sleep, keep time, log, or know about ports: the serial driver feeds
//! bytes in, writes the bytes it gets out, and owns timeouts and retries.
//!
//! # Contents
//! - [`digest`]: the streaming [`Digester`](digest::Digester) (framing in `frame`).
//! - [`expect`]: [`Expect`](expect::Expect), what the command in flight looks like.
//! - [`event`]: [`Event`](event::Event), [`Response`](event::Response), [`FinalResult`](event::FinalResult).
//! - [`urc`]: typed unsolicited result codes.
//! - [`registration`]: `+CREG`/`+CGREG`/`+CEREG` state, shared by URCs and answers.
//! - [`response`]: typed answer parsers, by command family.
//! - [`command`]: command builders, including `+CMGS` with Ctrl-Z/ESC.
//! - [`cms_error`], [`cme_error`], [`vendor_errors`]: error code tables and retry classes.
//! - [`error`]: the layer's error types, [`ErrorClass`](error::ErrorClass) and [`Vendor`](error::Vendor).
//! - [`fields`]: splitting parameter lists (quotes, ranges).

#![warn(missing_docs)]

pub mod cme_error;
pub mod cms_error;
pub mod command;
pub mod digest;
pub mod error;
pub mod event;
pub mod expect;
pub mod fields;
mod frame;
pub mod registration;
pub mod response;
pub mod urc;
pub mod vendor_errors;

pub use command::{Command, SendPdu};
pub use digest::{DEFAULT_MAX_LINE, Digester};
pub use error::{CommandError, ErrorClass, ParseError, Vendor};
pub use event::{Event, FinalResult, Response};
pub use expect::Expect;
pub use urc::Urc;
