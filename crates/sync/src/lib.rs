//! fairtill-sync: the device side of sync.
//!
//! [`outbox`] turns what the device store has not yet synced into wire records; [`client`]
//! talks to the server; [`round`] pushes everything waiting and pulls every change;
//! [`background`] runs rounds whenever a connection is there, with backoff; [`credential`]
//! keeps the device's token in the OS keyring and nowhere else.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod background;
pub mod client;
pub mod credential;
pub mod manager;
pub mod outbox;
pub mod round;

/// The wire types, for the app's Manager workspace.
pub use fairtill_protocol as protocol;

pub use background::{spawn, Failure, Schedule, SyncFailure, SyncHandle, SyncStatus};
pub use client::{normalize_url, ClientError, SyncClient};
pub use credential::{Credential, CredentialError};
pub use manager::{CloseOutScope, ImportOptions, ManagerClient};
pub use outbox::{pending, OutboxError, Pending};
pub use round::{sync_once, Progress, RoundReport, SyncError};
