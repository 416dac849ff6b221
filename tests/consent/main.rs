//! Respectful sending (issue 7 items 2, 3, 5, 6, 7): keyword opt-outs through the store's
//! receive path, the suppression list at submit, transactional exceptions, frequency caps
//! with an explicit clock, cancel by reference, the suppression API with CSV, and sender
//! identity checks. In-process: the store and the consent hook directly, and the HTTP API
//! served on a loopback port.
#![allow(clippy::unwrap_used)]

mod api;
mod caps;
mod harness;
mod keywords;
