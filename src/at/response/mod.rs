//! Typed parsers for command answers, one file per command family.
//!
//! Every parser takes a complete [`Response`] and fails with
//! [`ParseError::Failed`] when the final result is not `OK`.

pub mod identity;
pub mod network;
pub mod sim;
pub mod sms;
pub mod storage;

use super::error::ParseError;
use super::event::{FinalResult, Response};

/// Fail unless the response ended with `OK`.
pub(crate) fn ensure_ok(r: &Response) -> Result<(), ParseError> {
    if r.result == FinalResult::Ok {
        Ok(())
    } else {
        Err(ParseError::Failed(r.result.clone()))
    }
}

/// The parameters of the first line with `prefix`, or [`ParseError::Missing`].
pub(crate) fn first<'a>(r: &'a Response, prefix: &'static str) -> Result<&'a str, ParseError> {
    r.with_prefix(prefix)
        .next()
        .ok_or(ParseError::Missing { prefix })
}

/// Shorthand for [`ParseError::Malformed`].
pub(crate) fn malformed(what: &'static str, line: &str) -> ParseError {
    ParseError::Malformed {
        what,
        line: line.to_owned(),
    }
}
