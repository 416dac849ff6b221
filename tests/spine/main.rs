//! In-process tests of the spine: store, dispatcher (with a route double and tokio's paused
//! clock), configuration files, and API cases that need a route.
#![allow(clippy::unwrap_used)]

#[path = "../support/eventually.rs"]
mod eventually;
#[path = "../support/fake_route.rs"]
mod fake_route;
mod inbox_longpoll;
mod integration_config;
mod kannel;
mod metrics;
mod numbers;
mod openapi;
#[path = "../support/peer.rs"]
mod peer;
#[path = "../support/webhook_receiver.rs"]
mod webhook_receiver;

mod api_inprocess;
mod backpressure;
mod config_files;
mod console;
mod dispatch;
mod store;
mod support;
mod tokens;
mod webhooks;
