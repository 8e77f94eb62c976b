//! Shared by the app's test suites: the real app window, and a real server.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

pub mod server;
pub mod window;
