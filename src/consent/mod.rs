//! Respectful sending (issue 7 items 2, 3 and 5): opt-out/opt-in keywords on replies, the
//! suppression list, and per-recipient frequency caps.
//!
//! - [`keywords`]: the pure matcher (is a whole reply a configured keyword?).
//! - [`hook`]: the store's inbound hook that acts on keyword replies in the batch storing them.
//! - [`policy`]: [`admit`], the submit-side check (suppressed recipients, caps) the API runs.
//! - [`csv`]: suppression-list import and export.
//!
//! The data lives in the store (`O` suppression entries, `F` daily counters); this module
//! holds the decisions. It sits beside `api` above `dispatch` and `store`.

pub mod csv;
pub mod hook;
pub mod keywords;
pub mod policy;

pub use hook::{ConsentHook, on_inbound};
pub use keywords::{KeywordMatch, KeywordMatcher};
pub use policy::{CapTally, Refused, admit};
