//! model (spine, in progress).
