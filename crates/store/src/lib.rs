//! fairtill-store: the device's SQLite database.
//!
//! [`Till`] opens one device's database (WAL, `synchronous=FULL`, foreign keys, STRICT tables,
//! migrations from `migrations/device/`), records sales durably by letting `fairtill-core`
//! decide inside one `BEGIN IMMEDIATE` transaction, and answers the queries the app and the
//! `fairtill` CLI need: the filtered list with keyset pagination, the per-currency summary,
//! one order with its history, streaming CSV export, all-or-nothing CSV import, backups and
//! the sync outbox.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod backup;
mod catalog;
mod customers;
pub mod db;
mod error;
mod export;
mod import;
mod outbox;
mod printer;
mod query;
mod receipts;
mod records;
mod remote;
mod session;
mod till;

pub use backup::restore;
pub use catalog::{GridTab, SavedOffer};
pub use customers::{CustomerView, MAX_FOUND};
pub use error::{Result, StorageProblem, StoreError};
pub use export::EXPORT_HEADER;
pub use import::{ImportErrors, ImportReport, RowError};
pub use outbox::{OutboxStatus, RECORD_TYPES};
pub use printer::PrinterSettings;
pub use query::{Page, TxFilter, TxRow, METHODS};
pub use receipts::ReceiptEmailView;
pub use remote::{Applied, Remote};
pub use session::{TillClose, TillSession, TillSettings};
pub use till::{
    truncate_ms, Actor, DeviceInfo, DeviceSetup, OrderDetail, RecordedSale, SystemClock, Tender,
    Till,
};
