//! daemon wiring.
