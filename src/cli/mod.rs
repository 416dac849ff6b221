//! cli (spine, in progress).
