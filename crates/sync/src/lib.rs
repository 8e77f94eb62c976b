//! fairtill-sync: the device side of sync.
//!
//! [`outbox`] turns what the device store has not yet synced into wire records;
//! [`credential`] keeps the device's token in the OS keyring and nowhere else.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod credential;
pub mod outbox;

pub use credential::{Credential, CredentialError};
pub use outbox::{pending, OutboxError, Pending};
