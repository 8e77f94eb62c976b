//! fairtill-testkit: what Fairtill's test suites share, so no suite keeps its own copy.
//!
//! - [`Db`]: a fresh, empty server database on SQLite or PostgreSQL, removed when dropped.
//! - [`Server`]: a real `fairtill-server` process on a loopback port, and its command line
//!   (enrollment codes, manager accounts).
//! - [`orders`]: fixture order drafts.
//! - [`Localstripe`]: the Stripe emulator on a loopback port, the processor tests charge.
//! - [`Smtp`]: a real SMTP server (aiosmtpd) on a loopback port, and what it received.
//! - [`WebhookReceiver`]: a real HTTP server that checks webhook signatures with the
//!   Standard Webhooks project's Python library, and what it received.
//! - [`TestPrinter`]: a receipt printer on a loopback port (status answers, kept jobs).
//!
//! A dev-dependency only: nothing that ships links it.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod localstripe;
pub mod orders;
mod printer;
mod server;
pub mod smtp;
pub mod webhooks;

pub use localstripe::{Localstripe, TEST_KEY};
pub use printer::{PrinterState, TestPrinter};
pub use smtp::{Received, Smtp};
pub use webhooks::{Delivery, WebhookReceiver};

pub use server::{cli, server_bin, Db, Kind, Server, MANAGER_PASSWORD};

/// The PostgreSQL server tests use: `FAIRTILL_TEST_PG`, else the local one (trust auth).
pub fn pg_base() -> String {
    std::env::var("FAIRTILL_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}
