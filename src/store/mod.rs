//! store (spine, in progress).
