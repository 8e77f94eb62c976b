//! The store's typed errors.

use std::path::PathBuf;

use fairtill_core::catalog::ProductError;
use fairtill_core::ledger::LedgerError;
use fairtill_core::money::MoneyError;
use fairtill_core::offer::OfferError;
use fairtill_core::order::OrderError;

use crate::import::ImportErrors;

/// Anything the device store can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed. The message is in a booth worker's words ([`StorageProblem`]); SQLite's
    /// own is in the source, for the log.
    #[error("{}", sqlite_words(.0))]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed; nothing was changed.
    #[error("could not upgrade the database: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The database was written by a newer Fairtill; it is left untouched.
    #[error("this database is from a newer version of Fairtill (schema {found}, this version knows up to {supported}); it was not opened or changed")]
    TooNew {
        /// Schema version found.
        found: i64,
        /// Highest this build knows.
        supported: i64,
    },
    /// The database failed its integrity check. It was copied aside, never deleted.
    #[error("the database failed its integrity check ({detail}); a copy was kept at {copied_to}. Do not delete it: until it syncs it may hold the only record of its sales")]
    Corrupt {
        /// Where the copy is.
        copied_to: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// A ledger rule refused the operation.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Bad money.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Bad order.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// Bad offer.
    #[error(transparent)]
    Offer(#[from] OfferError),
    /// Bad product.
    #[error(transparent)]
    Product(#[from] ProductError),
    /// Something asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Bad input that is not a ledger rule.
    #[error("{0}")]
    Invalid(String),
    /// An external payment already logged (the words name the system, the reference and the
    /// receipt it is on).
    #[error("{message}")]
    DuplicateReference {
        /// What the rule says about it.
        message: String,
    },
    /// A CSV import was refused; nothing was imported.
    #[error("{0}")]
    Import(ImportErrors),
    /// A record read back from the database did not decode.
    #[error("stored record could not be read: {0}")]
    Decode(String),
    /// File I/O.
    #[error("{}", io_words(.0))]
    Io(#[from] std::io::Error),
    /// CSV writing.
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
}

/// What a booth worker can do about a failure of the database or the disk under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageProblem {
    /// Another program (or a backup) holds the database for a moment: try again.
    Busy,
    /// The disk is full: nothing new could be written; free some space.
    DiskFull,
    /// The database or a file cannot be used: support must look.
    Failed,
}

impl StorageProblem {
    /// Of a SQLite error.
    pub fn of_sqlite(e: &rusqlite::Error) -> StorageProblem {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StorageProblem::Busy
            }
            Some(rusqlite::ErrorCode::DiskFull) => StorageProblem::DiskFull,
            _ => StorageProblem::Failed,
        }
    }

    /// Of a file error: a full disk is one; any other (a chosen file missing, a folder not
    /// writable) is about the file the user chose, not the till's storage.
    pub fn of_io(e: &std::io::Error) -> Option<StorageProblem> {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                Some(StorageProblem::DiskFull)
            }
            _ => None,
        }
    }
}

fn sqlite_words(e: &rusqlite::Error) -> String {
    match StorageProblem::of_sqlite(e) {
        StorageProblem::Busy => "the till's database is busy for a moment (a backup or another window may be using it); nothing was changed: try again".into(),
        StorageProblem::DiskFull => "this computer's disk is full, so nothing new could be saved; what was already recorded is safe. Free some space, then try again".into(),
        StorageProblem::Failed => "the till's database could not complete that; nothing was changed. If it happens again, restart Fairtill and tell support (the details are in the log)".into(),
    }
}

fn io_words(e: &std::io::Error) -> String {
    match StorageProblem::of_io(e) {
        Some(_) => {
            "the disk is full, so the file could not be written; free some space, then try again"
                .into()
        }
        None => format!("the file could not be used: {e}"),
    }
}

impl StoreError {
    /// The database or disk problem behind this error, if it is one.
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        match self {
            StoreError::Sqlite(e) => Some(StorageProblem::of_sqlite(e)),
            StoreError::Io(e) => StorageProblem::of_io(e),
            StoreError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(io) => StorageProblem::of_io(io),
                _ => None,
            },
            StoreError::Migration(_)
            | StoreError::TooNew { .. }
            | StoreError::Corrupt { .. }
            | StoreError::Decode(_) => Some(StorageProblem::Failed),
            StoreError::Ledger(_)
            | StoreError::Money(_)
            | StoreError::Order(_)
            | StoreError::Offer(_)
            | StoreError::Product(_)
            | StoreError::NotFound(_)
            | StoreError::Invalid(_)
            | StoreError::DuplicateReference { .. }
            | StoreError::Import(_) => None,
        }
    }

    /// SQLite's or the system's own words, for the log (never shown to the booth).
    pub fn detail(&self) -> String {
        match self {
            StoreError::Sqlite(e) => e.to_string(),
            StoreError::Io(e) => e.to_string(),
            other => other.to_string(),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Decode(e.to_string())
    }
}

/// Result with a [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
