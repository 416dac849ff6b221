//! dispatch (spine, in progress).
