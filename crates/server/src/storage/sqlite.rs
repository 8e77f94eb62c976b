//! The embedded backend: one SQLite file, one connection. Transactions run one at a time
//! (`BEGIN IMMEDIATE`), so pushes are serialized and `seq` follows commit order.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

use super::{Cell, Db, Dialect, Param, Result, Row, StorageError};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../../migrations/server/sqlite/0001_init.sql"),
    include_str!("../../../../migrations/server/sqlite/0002_closeout.sql"),
    include_str!("../../../../migrations/server/sqlite/0003_settlement.sql"),
    include_str!("../../../../migrations/server/sqlite/0004_totals.sql"),
    include_str!("../../../../migrations/server/sqlite/0005_text_search.sql"),
    include_str!("../../../../migrations/server/sqlite/0006_payments.sql"),
    include_str!("../../../../migrations/server/sqlite/0007_follow_up.sql"),
    include_str!("../../../../migrations/server/sqlite/0008_after_the_sale.sql"),
    include_str!("../../../../migrations/server/sqlite/0009_automations.sql"),
    include_str!("../../../../migrations/server/sqlite/0010_commissions.sql"),
    include_str!("../../../../migrations/server/sqlite/0011_sign_in.sql"),
];

/// The schema version these migrations reach.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The embedded SQLite backend.
#[derive(Clone)]
pub struct SqliteBackend {
    conn: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StorageError::Busy(e.to_string())
            }
            _ => StorageError::Backend(e.to_string()),
        }
    }
}

impl SqliteBackend {
    /// Opens (creating and migrating) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(128);
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations
            .to_latest(&mut conn)
            .map_err(|e| StorageError::Backend(format!("could not upgrade the database: {e}")))?;
        Ok(SqliteBackend {
            conn: Arc::new(Mutex::new(conn)),
        })
    }
}

impl SqliteBackend {
    /// Runs `work` in one transaction on a blocking thread; commits if it returns Ok.
    pub(crate) async fn transact<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StorageError::Backend("the database lock was poisoned".into()))?;
            let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = work(&mut SqliteDb(&tx))?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| StorageError::Backend(e.to_string()))?
    }
}

struct SqliteDb<'a>(&'a Connection);

fn values(params: &[Param]) -> Result<Vec<Value>> {
    super::refuse_nul(params)?;
    Ok(params
        .iter()
        .map(|p| match p {
            Param::Int(Some(v)) => Value::Integer(*v),
            Param::Text(Some(t)) => Value::Text(t.clone()),
            Param::Int(None) | Param::Text(None) => Value::Null,
        })
        .collect())
}

/// The statement with every `$N` placeholder written `?N`. SQLite numbers `$N` parameters by
/// their first appearance (`$N` is a *named* parameter there), so `… $2 … $1` would silently
/// bind each value to the other; `?N` is bound by its number, as PostgreSQL binds `$N`. Text in
/// quotes ('…', "…") is left alone.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

impl Db for SqliteDb<'_> {
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(&numbered(sql))?;
        let n = stmt.execute(rusqlite::params_from_iter(values(params)?))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let mut stmt = self.0.prepare_cached(&numbered(sql))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(values(params)?))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(columns);
            for i in 0..columns {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        return Err(StorageError::Backend(format!(
                            "column {i} holds a value of an unexpected type"
                        )))
                    }
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn lock_pushes(&mut self) -> Result<()> {
        // BEGIN IMMEDIATE already holds the only write lock.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_bind_by_number_in_any_order() {
        assert_eq!(
            numbered("SELECT $2, $1 WHERE a = '$1' AND \"$3\" = $10"),
            "SELECT ?2, ?1 WHERE a = '$1' AND \"$3\" = ?10"
        );
        let conn = Connection::open_in_memory().unwrap();
        let rows = SqliteDb(&conn)
            .query(
                "SELECT $2, $1, $2 || '-$1'",
                &[Param::from("first"), Param::from("second")],
            )
            .unwrap();
        assert_eq!(
            rows,
            vec![Row(vec![
                Cell::Text("second".into()),
                Cell::Text("first".into()),
                Cell::Text("second-$1".into()),
            ])]
        );
    }
}
