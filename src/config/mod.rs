//! config (spine, in progress).
