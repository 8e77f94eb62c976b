//! Requests and responses of the sync API.

use fairtill_core::ids::DeviceId;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::record::{Record, RecordKey};

/// A device trades a one-time code for a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollRequest {
    /// The one-time code printed by `fairtill-server device add`.
    pub code: String,
    /// The device's own id (from its database).
    #[schema(value_type = String, format = Uuid)]
    pub device_id: DeviceId,
    /// Its receipt prefix.
    pub device_code: String,
}

/// The token a device keeps in its OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollResponse {
    /// The device, as the server knows it.
    #[schema(value_type = String, format = Uuid)]
    pub device_id: DeviceId,
    /// The name the manager gave it.
    pub name: String,
    /// Bearer token for push and pull. The server keeps only its hash.
    pub token: String,
}

/// A batch of records from a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    /// At most [`crate::MAX_BATCH`] records.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Record>,
}

/// What the server did with one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Stored now.
    Stored,
    /// Stored now, and it breaks a rule across devices: raised as a conflict for a manager.
    StoredWithConflict {
        /// The conflict.
        #[schema(value_type = String, format = Uuid)]
        conflict_id: Uuid,
        /// What rule it breaks.
        reason: String,
    },
    /// The server already had it (a re-send): nothing changed.
    AlreadyHad,
    /// Not well formed: not stored. The device keeps it and shows the reason.
    Invalid {
        /// Why.
        reason: String,
    },
}

/// The answer for one record, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResult {
    /// Which record.
    pub key: RecordKey,
    /// What happened.
    pub outcome: PushOutcome,
}

/// The answers for a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    /// One per record sent.
    pub results: Vec<PushResult>,
}

/// Ask for changes after a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullRequest {
    /// The device's current event: its orders and transactions from other devices come too.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub event_id: Option<fairtill_core::ids::EventId>,
    /// The `cursor` of the last response; none the first time (or after changing event).
    pub cursor: Option<String>,
    /// Most records to return.
    pub limit: u32,
}

/// Changes for a device: offers, products and events, and its event's orders and
/// transactions from other devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullResponse {
    /// Records, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Record>,
    /// Pass back next time.
    pub cursor: String,
    /// More are waiting: pull again at once.
    pub more: bool,
}

/// What a device may know about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceStatus {
    /// The device.
    #[schema(value_type = String, format = Uuid)]
    pub device_id: DeviceId,
    /// Its name on the server.
    pub name: String,
    /// Last successful push.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_push_at: Option<Timestamp>,
    /// Open conflicts that involve its records.
    pub open_conflicts: u32,
}

/// The error codes of the API: a small closed set, each one something a client acts on
/// (the sync client turns each into its own `ClientError`; see `docs/domain.md`, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed request, or a value the server refuses: not retried; the message is shown.
    BadRequest,
    /// No valid token: a device enrolls again, a manager signs in again.
    Unauthorized,
    /// A valid token that may not do this (a device token on a manager endpoint).
    Forbidden,
    /// Nothing there.
    NotFound,
    /// It clashes with what is there now (a taken name, a device already enrolled, a conflict
    /// already resolved): read again before deciding.
    Conflict,
    /// The client speaks an older API version than the server: update the app.
    ClientTooOld,
    /// The client speaks a newer API version than the server: update the server.
    ServerTooOld,
    /// The body or batch is too large: send less at once.
    PayloadTooLarge,
    /// Too many failed sign-ins from this name or address: wait the answer's `Retry-After`
    /// seconds before trying again.
    TooManyAttempts,
    /// The server is busy (its database is locked or has no free connection): try again soon.
    Busy,
    /// The server failed: try again later.
    Internal,
}

impl ErrorCode {
    /// The HTTP status that carries this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::ClientTooOld | ErrorCode::ServerTooOld => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::Busy => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// Every error response's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What kind of error.
    pub code: ErrorCode,
    /// What happened and what to do.
    pub message: String,
}
