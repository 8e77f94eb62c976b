//! Where the server keeps everything: one trait, two backends (embedded SQLite, PostgreSQL).
//! The server holds no state of its own beyond its storage, so it scales out on PostgreSQL.

pub mod sqlite;

use std::future::Future;

use fairtill_core::ids::{DeviceId, EventId};
use fairtill_core::Timestamp;
use fairtill_protocol::{DeviceStatus, PushResult, Record};
use serde::Serialize;

/// A device as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// Its id (the one its own database made).
    pub id: DeviceId,
    /// The name the manager gave it.
    pub name: String,
    /// Its receipt prefix.
    pub code: String,
    /// When it enrolled.
    pub enrolled_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// Its last successful push.
    pub last_push_at: Option<Timestamp>,
}

/// A page of records for a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullPage {
    /// Records, oldest first.
    pub records: Vec<Record>,
    /// The position after the last record.
    pub last_seq: i64,
    /// More wait.
    pub more: bool,
}

/// Storage failures and refusals.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The one-time code is not known.
    #[error("that enrollment code is not known; ask a manager for a new one")]
    UnknownCode,
    /// The code expired.
    #[error("that enrollment code has expired; ask a manager for a new one")]
    CodeExpired,
    /// The code was used.
    #[error("that enrollment code was already used; ask a manager for a new one")]
    CodeUsed,
    /// The device is already enrolled.
    #[error("this device is already enrolled as {0:?}; a manager must revoke it before it enrolls again")]
    AlreadyEnrolled(String),
    /// No such device.
    #[error("no device {0}")]
    UnknownDevice(String),
    /// The database failed.
    #[error("storage error: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(e: serde_json::Error) -> Self {
        StorageError::Backend(format!("stored record could not be read: {e}"))
    }
}

/// Result with a [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Everything the API needs from storage. Each method is one database transaction.
pub trait Storage: Send + Sync + 'static {
    /// Records a one-time enrollment code (its hash) for a device to be named `name`.
    fn add_enrollment(
        &self,
        name: String,
        code_hash: String,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Trades a code for enrollment: the device is stored with its token's hash.
    fn enroll(
        &self,
        code_hash: String,
        device_id: DeviceId,
        device_code: String,
        token_hash: String,
        now: Timestamp,
    ) -> impl Future<Output = Result<Device>> + Send;

    /// Every device.
    fn devices(&self) -> impl Future<Output = Result<Vec<Device>>> + Send;

    /// Revokes a device: its token stops working at once. False if it was already revoked.
    fn revoke(&self, device: DeviceId, now: Timestamp)
        -> impl Future<Output = Result<bool>> + Send;

    /// The enrolled, unrevoked device a token hash belongs to.
    fn authenticate(
        &self,
        token_hash: String,
    ) -> impl Future<Output = Result<Option<Device>>> + Send;

    /// Stores a batch: each record once by key, invalid ones refused, rules across devices
    /// raised as conflicts. One result per record, in order.
    fn push(
        &self,
        device: DeviceId,
        records: Vec<Record>,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<PushResult>>> + Send;

    /// Records after `after` for a device: offers, products and events, and the orders and
    /// transactions of its event from other devices.
    fn pull(
        &self,
        device: DeviceId,
        event: Option<EventId>,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<PullPage>> + Send;

    /// What a device may know about itself.
    fn status(&self, device: DeviceId) -> impl Future<Output = Result<DeviceStatus>> + Send;
}
