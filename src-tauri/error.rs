//! Errors as the UI sees them: `{ code, message }` with a small closed set of codes.

use fairtill_store::StoreError;
use serde::Serialize;

/// What the UI can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input needs correcting.
    Invalid,
    /// A ledger rule refused the action.
    Refused,
    /// The thing asked for does not exist.
    NotFound,
    /// The database cannot be used (damaged, newer, disk).
    Storage,
    /// The server or the system keyring cannot be reached now.
    Unavailable,
}

/// An error crossing IPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ApiError {
    /// What kind of problem.
    pub code: ErrorCode,
    /// What happened and what to do, in words.
    pub message: String,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::Ledger(_) | StoreError::DuplicateReference { .. } => ErrorCode::Refused,
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Invalid(_)
            | StoreError::Import(_)
            | StoreError::Money(_)
            | StoreError::Order(_)
            | StoreError::Offer(_)
            | StoreError::Product(_) => ErrorCode::Invalid,
            StoreError::Sqlite(_)
            | StoreError::Migration(_)
            | StoreError::TooNew { .. }
            | StoreError::Corrupt { .. }
            | StoreError::Decode(_)
            | StoreError::Io(_)
            | StoreError::Csv(_) => ErrorCode::Storage,
        };
        ApiError {
            code,
            message: e.to_string(),
        }
    }
}
