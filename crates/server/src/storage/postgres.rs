//! The PostgreSQL backend: a pool of connections that any number of server processes share.
//! Pushes take a transaction-scoped advisory lock, so `seq` follows commit order across
//! processes and the cross-device rules see every earlier record.
//!
//! It uses the synchronous `postgres` client (the same code as `tokio-postgres`, by the same
//! maintainers) inside `spawn_blocking`, so one body of storage logic serves both backends, and
//! `r2d2` for the pool. Each pooled connection keeps its prepared statements.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::{Cell, Db, Dialect, Param, Result, Row, StorageError};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../../migrations/server/postgres/0001_init.sql"),
    include_str!("../../../../migrations/server/postgres/0002_closeout.sql"),
    include_str!("../../../../migrations/server/postgres/0003_settlement.sql"),
    include_str!("../../../../migrations/server/postgres/0004_totals.sql"),
    include_str!("../../../../migrations/server/postgres/0005_text_search.sql"),
    include_str!("../../../../migrations/server/postgres/0006_payments.sql"),
    include_str!("../../../../migrations/server/postgres/0007_follow_up.sql"),
    include_str!("../../../../migrations/server/postgres/0008_after_the_sale.sql"),
    include_str!("../../../../migrations/server/postgres/0009_automations.sql"),
    include_str!("../../../../migrations/server/postgres/0010_commissions.sql"),
    include_str!("../../../../migrations/server/postgres/0011_sign_in.sql"),
];

/// The schema version these migrations reach.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Advisory lock keys (any constants unique to Fairtill).
const MIGRATION_LOCK: i64 = 0x4641_4952_0001;
const PUSH_LOCK: i64 = 0x4641_4952_0002;

/// Connections the pool keeps at most, per server process.
const POOL_SIZE: u32 = 16;

impl From<postgres::Error> for StorageError {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        let busy = [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::QUERY_CANCELED,
        ];
        match e.code() {
            Some(code) if busy.contains(code) => StorageError::Busy(e.to_string()),
            _ => StorageError::Backend(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(e: r2d2::Error) -> Self {
        // r2d2's only error is a checkout that timed out: every connection is in use.
        StorageError::Busy(format!("no database connection free: {e}"))
    }
}

/// A pooled connection and its prepared statements.
pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Makes pooled connections.
#[derive(Debug)]
pub struct Connector(postgres::Config);

impl r2d2::ManageConnection for Connector {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.0.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PostgresBackend {
    pool: Arc<Pool>,
}

/// The pool, closed on a plain thread: the synchronous client's connections run their own
/// runtime when dropped, which must not happen on one of tokio's threads.
struct Pool(Option<r2d2::Pool<Connector>>);

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl PostgresBackend {
    /// Connects to `url` and creates or upgrades the schema (one process at a time).
    pub async fn open(url: &str) -> Result<Self> {
        let config = postgres::Config::from_str(url).map_err(|e| {
            StorageError::Backend(format!("{url:?} is not a PostgreSQL address: {e}"))
        })?;
        tokio::task::spawn_blocking(move || {
            let pool = r2d2::Pool::builder()
                .max_size(POOL_SIZE)
                .min_idle(Some(1))
                .connection_timeout(std::time::Duration::from_secs(10))
                .build(Connector(config))?;
            let mut conn = pool.get()?;
            migrate(&mut conn.client)?;
            drop(conn);
            Ok(PostgresBackend {
                pool: Arc::new(Pool(Some(pool))),
            })
        })
        .await
        .map_err(|e| StorageError::Backend(e.to_string()))?
    }
}

fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS fairtill_schema (version BIGINT NOT NULL)")?;
    let current: i64 = tx
        .query_opt("SELECT version FROM fairtill_schema", &[])?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let applied = usize::try_from(current)
        .ok()
        .filter(|_| current <= known)
        .ok_or_else(|| {
            StorageError::Backend(format!(
                "the database has schema version {current}, newer than this server's {known}: update the server"
            ))
        })?;
    for sql in &MIGRATIONS[applied..] {
        tx.batch_execute(sql)?;
    }
    tx.execute("DELETE FROM fairtill_schema", &[])?;
    tx.execute(
        "INSERT INTO fairtill_schema (version) VALUES ($1)",
        &[&known],
    )?;
    tx.commit()?;
    Ok(())
}

impl PostgresBackend {
    /// Runs `work` in one transaction on a blocking thread; commits if it returns Ok.
    pub(crate) async fn transact<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let pool = pool
                .0
                .as_ref()
                .ok_or_else(|| StorageError::Backend("the database pool is closed".into()))?;
            let mut conn = pool.get()?;
            let PgConn { client, statements } = &mut *conn;
            let mut tx = client.transaction()?;
            let out = work(&mut PgDb {
                tx: &mut tx,
                statements,
            })?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| StorageError::Backend(e.to_string()))?
    }
}

struct PgDb<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgDb<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

fn refs(params: &[Param]) -> Result<Vec<&(dyn ToSql + Sync)>> {
    super::refuse_nul(params)?;
    Ok(params
        .iter()
        .map(|p| match p {
            Param::Int(v) => v as &(dyn ToSql + Sync),
            Param::Text(v) => v as &(dyn ToSql + Sync),
        })
        .collect())
}

fn cell(row: &postgres::Row, i: usize) -> Result<Cell> {
    let ty = row.columns()[i].type_();
    let cell = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map(|v| Cell::Int(i64::from(v)))
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map(|v| Cell::Int(i64::from(v)))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?
            .map(|v| Cell::Int(i64::from(v)))
    } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
        row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
    } else {
        return Err(StorageError::Backend(format!(
            "column {i} has type {ty}, which the server does not read (cast it to BIGINT or TEXT)"
        )));
    };
    Ok(cell.unwrap_or(Cell::Null))
}

fn read_rows(rows: &[postgres::Row]) -> Result<Vec<Row>> {
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| cell(r, i))
                .collect::<Result<_>>()
                .map(Row)
        })
        .collect()
}

impl Db for PgDb<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        Ok(self.tx.execute(&stmt, &refs(params)?)?)
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let rows = self.tx.query(&stmt, &refs(params)?)?;
        read_rows(&rows)
    }

    fn query_planned(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        // A statement given as text is prepared unnamed and planned with its parameters.
        let rows = self.tx.query(sql, &refs(params)?)?;
        read_rows(&rows)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn lock_pushes(&mut self) -> Result<()> {
        self.tx
            .execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])?;
        Ok(())
    }
}
