//! fairtill-server: the central server. Devices enroll with a one-time code, push their
//! immutable records and pull offers, the catalog, events and their event's records from other
//! devices. Storage is one trait ([`storage::Storage`]) with an embedded SQLite backend.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api;
pub mod auth;
pub mod storage;
