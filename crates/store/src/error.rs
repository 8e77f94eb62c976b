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
    /// SQLite failed.
    #[error("database error: {0}")]
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
    /// An external payment already logged.
    #[error("{system} payment {reference} was already logged on receipt {receipt}")]
    DuplicateReference {
        /// The other system.
        system: String,
        /// Its reference.
        reference: String,
        /// The receipt it is on.
        receipt: String,
    },
    /// A CSV import was refused; nothing was imported.
    #[error("{0}")]
    Import(ImportErrors),
    /// A record read back from the database did not decode.
    #[error("stored record could not be read: {0}")]
    Decode(String),
    /// File I/O.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// CSV writing.
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Decode(e.to_string())
    }
}

/// Result with a [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
