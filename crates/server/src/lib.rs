//! fairtill-server: the central server. Devices enroll with a one-time code, push their
//! immutable records and pull offers, the catalog, events and their event's records from other
//! devices; managers sign in to see every device's transactions and resolve conflicts.
//! Storage ([`storage::Storage`]) runs on embedded SQLite or PostgreSQL.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api;
pub mod auth;
pub mod automations;
pub mod backup;
pub mod charging;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod processor;
pub mod receipts;
pub mod settlement;
pub mod storage;
pub mod webhooks;
