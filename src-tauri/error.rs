//! Errors as the UI sees them: `{ code, message }` with a small closed set of codes, each of
//! which the UI acts on in its own way (`ui/src/lib/errors.ts`), and every conversion into
//! them from the store, the sync client and the keyring, in this one file.

use fairtill_store::{StorageProblem, StoreError};
use fairtill_sync::{ClientError, CredentialError, Failure};
use serde::Serialize;

/// What the UI can act on. Adding a code breaks the UI's type check until it is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input needs correcting: the form stays as typed.
    Invalid,
    /// A ledger rule or the server refused the action.
    Refused,
    /// The thing asked for does not exist.
    NotFound,
    /// It changed elsewhere since it was read (a conflict resolved by another manager, a
    /// name taken): the screen reads it again.
    Conflict,
    /// The database or the server is busy for a moment: nothing changed; try again.
    Busy,
    /// The disk is full: nothing new can be saved until space is freed.
    DiskFull,
    /// The database, a file or the system keyring cannot be used.
    Storage,
    /// The server cannot be reached.
    Offline,
    /// A manager must sign in (again).
    SignIn,
    /// This till or account may not do this (a revoked till, a device token on a manager
    /// request): enroll again or ask a manager.
    NotAllowed,
    /// This app is older than the server: update Fairtill on this till.
    UpdateApp,
    /// The server is older than this app: the server must be updated.
    UpdateServer,
    /// The receipt printer did not print (off, out of paper, cover open): nothing else
    /// changed; the message says what to check.
    Printer,
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

impl ApiError {
    /// An error with a code and words.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

/// Logged by its code alone (commands log their errors): a message may quote what was typed,
/// such as a customer's email.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.code)
    }
}

impl From<StorageProblem> for ErrorCode {
    fn from(p: StorageProblem) -> Self {
        match p {
            StorageProblem::Busy => ErrorCode::Busy,
            StorageProblem::DiskFull => ErrorCode::DiskFull,
            StorageProblem::Failed => ErrorCode::Storage,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let Some(problem) = e.storage_problem() {
            // SQLite's own words go to the log; the booth reads the store's.
            tracing::error!(?problem, detail = %e.detail(), "storage failed");
            return ApiError::new(problem.into(), e.to_string());
        }
        let code = match &e {
            StoreError::Ledger(_) | StoreError::DuplicateReference { .. } => ErrorCode::Refused,
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Invalid(_)
            | StoreError::Import(_)
            | StoreError::Money(_)
            | StoreError::Order(_)
            | StoreError::Offer(_)
            | StoreError::Product(_)
            // A file the user chose that cannot be read or written, or is not a CSV (a full
            // disk is a storage problem, above).
            | StoreError::Csv(_)
            | StoreError::Io(_) => ErrorCode::Invalid,
            StoreError::Sqlite(_)
            | StoreError::Migration(_)
            | StoreError::TooNew { .. }
            | StoreError::Corrupt { .. }
            | StoreError::Decode(_) => ErrorCode::Storage,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        let code = match &e {
            ClientError::Offline(detail) => {
                tracing::info!(%detail, "server unreachable");
                ErrorCode::Offline
            }
            ClientError::SignIn(_) => ErrorCode::SignIn,
            ClientError::Unauthorized(_) | ClientError::NotAllowed(_) => ErrorCode::NotAllowed,
            ClientError::UpdateApp(_) => ErrorCode::UpdateApp,
            ClientError::UpdateServer(_) => ErrorCode::UpdateServer,
            ClientError::Conflict(_) => ErrorCode::Conflict,
            ClientError::NotFound(_) => ErrorCode::NotFound,
            ClientError::Busy(_) | ClientError::ServerFailed(_) => ErrorCode::Busy,
            ClientError::TooLarge(_) | ClientError::Refused(_) => ErrorCode::Refused,
            ClientError::Protocol(_) => ErrorCode::Invalid,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<CredentialError> for ApiError {
    fn from(e: CredentialError) -> Self {
        ApiError::new(ErrorCode::Storage, e.to_string())
    }
}

impl From<Failure> for ErrorCode {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Offline => ErrorCode::Offline,
            Failure::NotAccepted => ErrorCode::NotAllowed,
            Failure::UpdateApp => ErrorCode::UpdateApp,
            Failure::UpdateServer => ErrorCode::UpdateServer,
            Failure::Busy => ErrorCode::Busy,
            Failure::Refused => ErrorCode::Refused,
            Failure::DiskFull => ErrorCode::DiskFull,
            Failure::Storage => ErrorCode::Storage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_error_has_the_code_the_ui_acts_on() {
        let words = || "w".to_string();
        for (e, code) in [
            (ClientError::Offline(words()), ErrorCode::Offline),
            (ClientError::SignIn(words()), ErrorCode::SignIn),
            (ClientError::Unauthorized(words()), ErrorCode::NotAllowed),
            (ClientError::NotAllowed(words()), ErrorCode::NotAllowed),
            (ClientError::UpdateApp(words()), ErrorCode::UpdateApp),
            (ClientError::UpdateServer(words()), ErrorCode::UpdateServer),
            (ClientError::Conflict(words()), ErrorCode::Conflict),
            (ClientError::NotFound(words()), ErrorCode::NotFound),
            (ClientError::Busy(words()), ErrorCode::Busy),
            (ClientError::ServerFailed(words()), ErrorCode::Busy),
            (ClientError::TooLarge(words()), ErrorCode::Refused),
            (ClientError::Refused(words()), ErrorCode::Refused),
            (ClientError::Protocol(words()), ErrorCode::Invalid),
        ] {
            assert_eq!(ApiError::from(e).code, code);
        }
    }

    #[test]
    fn a_sync_failure_reaches_the_ui_with_the_same_vocabulary() {
        for (f, code) in [
            (Failure::Offline, ErrorCode::Offline),
            (Failure::NotAccepted, ErrorCode::NotAllowed),
            (Failure::UpdateApp, ErrorCode::UpdateApp),
            (Failure::UpdateServer, ErrorCode::UpdateServer),
            (Failure::Busy, ErrorCode::Busy),
            (Failure::Refused, ErrorCode::Refused),
            (Failure::DiskFull, ErrorCode::DiskFull),
            (Failure::Storage, ErrorCode::Storage),
        ] {
            assert_eq!(ErrorCode::from(f), code);
        }
    }
}
