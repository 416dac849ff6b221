//! api (spine, in progress).
