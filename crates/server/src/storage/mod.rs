//! Where the server keeps everything. [`Storage`] holds the logic once; a [`Backend`] (embedded
//! SQLite or PostgreSQL) runs it inside one database transaction through the small [`Db`] trait.
//! The server holds no state of its own beyond its storage, so it scales out on PostgreSQL.
//!
//! Statements are written once, in the SQL both databases speak, with `$1, $2, …` placeholders
//! in any order (the SQLite backend rewrites them to `?1, ?2, …`, which SQLite binds by number,
//! as PostgreSQL does). Only the schema differs per backend, in
//! `migrations/server/{sqlite,postgres}/`, and the lookup in its trigram index (`text`).

mod automations;
mod catalog;
mod closeout;
mod commissions;
mod customers;
mod devices;
mod follow_up;
mod health;
mod managers;
mod notifications;
mod orders;
mod payments;
pub mod postgres;
mod pull;
mod push;
mod queries;
mod settlement;
mod sign_in;
pub mod sqlite;
mod text;
mod webhooks;

use fairtill_core::Timestamp;
use fairtill_protocol::Record;

pub use closeout::CloseOutFilter;
pub use fairtill_protocol::{AuditEntry, Conflict, Device};
pub use follow_up::{CardUpdate, FollowUpPolicy};
pub use health::{QueueDepth, SchemaVersions};
pub use managers::{ConflictFilter, Manager};
pub use notifications::{MailOutcome, OutgoingMail, ReceiptMessage};
pub use payments::{Approval, CustomerAccount, Job, JobKind, JobOutcome, JobState};
pub use queries::ServerFilter;
pub use settlement::{Decision, NewImport};
pub use sign_in::{Gate, Throttle};
pub use webhooks::{AttemptResult, NewEndpoint, OutgoingWebhook, WebhookOutcome};

/// A statement parameter. Nulls are typed, because PostgreSQL checks parameter types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// A BIGINT / INTEGER.
    Int(Option<i64>),
    /// A TEXT.
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(Some(v))
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::Int(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(Some(v.to_string()))
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(Some(v))
    }
}
impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Param::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::Text(v)
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Param::Text(v.map(str::to_string))
    }
}

/// Parameters from a list of values of mixed types.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::storage::Param::from($v)),*][..] };
}

/// One value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// One row read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Cell> {
        self.0
            .get(i)
            .ok_or_else(|| StorageError::Backend(format!("column {i} missing")))
    }

    /// An integer column.
    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| StorageError::Backend(format!("column {i} is NULL")))
    }

    /// A nullable integer column.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Text(t) => Err(StorageError::Backend(format!(
                "column {i} is text {t:?}, not a number"
            ))),
        }
    }

    /// A text column.
    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| StorageError::Backend(format!("column {i} is NULL")))
    }

    /// A nullable text column.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Text(t) => Ok(Some(t.clone())),
            Cell::Int(v) => Err(StorageError::Backend(format!(
                "column {i} is the number {v}, not text"
            ))),
        }
    }

    /// A millisecond time column.
    pub fn time(&self, i: usize) -> Result<Timestamp> {
        time(self.int(i)?)
    }

    /// A nullable millisecond time column.
    pub fn opt_time(&self, i: usize) -> Result<Option<Timestamp>> {
        self.opt_int(i)?.map(time).transpose()
    }
}

/// One open database transaction. Everything the server stores goes through these two calls.
pub trait Db {
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64>;
    /// Runs a query; all its rows.
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>>;
    /// Runs a query planned for these very parameters (not a kept, generic plan): for the
    /// per-batch lookups with long `IN` lists, whose best plan depends on the table's size now.
    fn query_planned(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        self.query(sql, params)
    }
    /// Serializes pushes across every server process: taken at the start of each push, so
    /// record positions (`seq`) follow commit order and the cross-device rules see every
    /// earlier record.
    fn lock_pushes(&mut self) -> Result<()>;
    /// Which database this is, for the one lookup written per backend (`text`).
    fn dialect(&self) -> Dialect;
}

/// The SQL a [`Db`] speaks beyond what both share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite, with FTS5.
    Sqlite,
    /// PostgreSQL, with pg_trgm.
    Postgres,
}

/// Refuses a text parameter holding U+0000 as the client's mistake: PostgreSQL's text cannot
/// hold it and SQLite's full-text queries stop at it, so both backends refuse it alike (a 400,
/// never a database error). Records are refused one by one before this (`Record::validate`).
fn refuse_nul(params: &[Param]) -> Result<()> {
    if params
        .iter()
        .any(|p| matches!(p, Param::Text(Some(t)) if t.contains('\0')))
    {
        return Err(StorageError::Invalid(
            "a text holds the character U+0000, which cannot be stored or searched for".into(),
        ));
    }
    Ok(())
}

/// Runs the first row of a query, if any.
pub(crate) fn query_one(db: &mut dyn Db, sql: &str, params: &[Param]) -> Result<Option<Row>> {
    Ok(db.query(sql, params)?.into_iter().next())
}

/// Where the data lives.
#[derive(Clone)]
pub enum Backend {
    /// One SQLite file (the default).
    Sqlite(sqlite::SqliteBackend),
    /// A PostgreSQL database, shared by any number of server processes.
    Postgres(postgres::PostgresBackend),
}

/// The server's storage: every operation the API needs, each one database transaction.
#[derive(Clone)]
pub struct Storage {
    backend: Backend,
    /// Pushes are serialized by the database's push lock anyway; queueing them here, before
    /// they take a connection, leaves the pool free for sign-ins, pulls and reads.
    push_gate: std::sync::Arc<tokio::sync::Semaphore>,
    /// Renders the receipt a till asks to email, when the server set it (`with_receipts`).
    receipts: Option<ReceiptRenderer>,
}

/// Renders an order's receipt email from the order as the server knows it.
pub type ReceiptRenderer = std::sync::Arc<
    dyn Fn(&fairtill_core::ledger::OrderView) -> Result<ReceiptMessage> + Send + Sync,
>;

impl Storage {
    /// Opens `database`: a `postgres://` or `postgresql://` URL, or else a SQLite file path.
    /// Creates and upgrades the schema.
    pub async fn open(database: &str) -> Result<Storage> {
        let backend =
            if database.starts_with("postgres://") || database.starts_with("postgresql://") {
                Backend::Postgres(postgres::PostgresBackend::open(database).await?)
            } else {
                Backend::Sqlite(sqlite::SqliteBackend::open(std::path::Path::new(database))?)
            };
        let storage = Storage {
            backend,
            push_gate: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            receipts: None,
        };
        storage.transact(closeout::backfill_orders).await?;
        Ok(storage)
    }

    /// The storage, rendering with `render` the receipts tills ask to email as they arrive.
    pub fn with_receipts(mut self, render: ReceiptRenderer) -> Storage {
        self.receipts = Some(render);
        self
    }

    /// Which backend, for messages: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Like [`Storage::transact`], for work that takes the push lock: one at a time per process.
    pub(crate) async fn transact_push<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _turn = self
            .push_gate
            .acquire()
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        self.transact(work).await
    }

    /// Runs `work` in one database transaction on a blocking thread; commits if it returns Ok.
    pub(crate) async fn transact<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(b) => b.transact(work).await,
            Backend::Postgres(b) => b.transact(work).await,
        }
    }
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
    /// A manager name is taken.
    #[error("there is already a manager named {0:?}")]
    ManagerExists(String),
    /// Wrong name or password.
    #[error("that manager name and password do not match")]
    BadLogin,
    /// No such conflict.
    #[error("no conflict {0}")]
    UnknownConflict(String),
    /// The conflict was resolved before.
    #[error("that conflict was already resolved by {0}")]
    AlreadyResolved(String),
    /// Nothing by that id.
    #[error("{0} was not found")]
    NotFound(String),
    /// The request cannot be carried out as asked.
    #[error("{0}")]
    Invalid(String),
    /// The database is busy (locked, or no connection free in time): worth retrying soon.
    /// The detail is for the log.
    #[error("the server is busy; try again in a moment")]
    Busy(String),
    /// The database failed. The detail is for the log, never for the client.
    #[error("storage error: {0}")]
    Backend(String),
}

impl From<serde_json::Error> for StorageError {
    fn from(e: serde_json::Error) -> Self {
        StorageError::Backend(format!("stored record could not be read: {e}"))
    }
}

/// Result with a [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Milliseconds since the epoch, as stored.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// The time a query of one nullable millisecond value (a `min` or `max`) answers, if any.
pub(crate) fn time_of(db: &mut dyn Db, sql: &str) -> Result<Option<Timestamp>> {
    query_one(db, sql, &[])?
        .map(|r| r.opt_int(0))
        .transpose()
        .map(Option::flatten)?
        .map(time)
        .transpose()
}

/// A stored millisecond time.
pub(crate) fn time(v: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(v).map_err(|e| StorageError::Backend(e.to_string()))
}
