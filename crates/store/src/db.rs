//! Opening the database: pragmas, integrity check, migrations.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::error::{Result, StoreError};

/// Every migration, oldest first. Never edit a released one: add the next.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/device/0001_init.sql"),
    include_str!("../../../migrations/device/0002_sync.sql"),
    include_str!("../../../migrations/device/0003_till.sql"),
    include_str!("../../../migrations/device/0004_search.sql"),
    include_str!("../../../migrations/device/0005_till_sync.sql"),
    include_str!("../../../migrations/device/0006_event_sync.sql"),
    include_str!("../../../migrations/device/0007_customers.sql"),
    include_str!("../../../migrations/device/0008_processor_hold.sql"),
    include_str!("../../../migrations/device/0009_receipt_emails.sql"),
    include_str!("../../../migrations/device/0010_printer.sql"),
    include_str!("../../../migrations/device/0011_product_sync.sql"),
];

/// The migrations as rusqlite_migration wants them. Version 7 also widens the transactions
/// table's method check for cards on file ([`allow_card_on_file`]).
pub fn migrations() -> Migrations<'static> {
    Migrations::new(
        MIGRATIONS
            .iter()
            .enumerate()
            .map(|(i, sql)| match i {
                6 => M::up_with_hook(sql, allow_card_on_file),
                _ => M::up(sql),
            })
            .collect(),
    )
}

/// The transactions table's method check before and after version 7.
const METHOD_CHECK: (&str, &str) = (
    "method IN ('cash', 'card', 'external', 'marked_paid')",
    "method IN ('cash', 'card', 'external', 'marked_paid', 'card_on_file')",
);

/// Lets the transactions table hold `card_on_file`. The check only loosens, so the table's
/// stored rows stay valid as they are: this is SQLite's documented way to change a CHECK
/// constraint in place (edit the table's SQL in `sqlite_schema`, bump `schema_version` so every
/// connection reloads it), instead of copying every transaction into a rebuilt table with its
/// triggers and indexes.
fn allow_card_on_file(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", "ON")?;
    let changed = tx.execute(
        "UPDATE sqlite_schema SET sql = replace(sql, ?1, ?2) WHERE type = 'table' AND name = 'transactions'",
        [METHOD_CHECK.0, METHOD_CHECK.1],
    )?;
    tx.pragma_update(None, "schema_version", version + 1)?;
    tx.pragma_update(None, "writable_schema", "OFF")?;
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'transactions'",
        [],
        |r| r.get(0),
    )?;
    if changed != 1 || !sql.contains(METHOD_CHECK.1) {
        return Err(rusqlite_migration::HookError::Hook(
            "the transactions table's method check was not where version 7 expects it".into(),
        ));
    }
    Ok(())
}

/// The pragmas of docs/domain.md ("Sync"), set on every connection.
/// WAL is kept in the file: set once, by whichever program opens a new database first.
/// Switching takes an exclusive lock that SQLite does not wait for, so a program that meets
/// another one switching waits a moment and looks again.
fn use_wal(conn: &Connection) -> Result<()> {
    let mut attempts = 0;
    loop {
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(e)
                if attempts < 100
                    && e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub(crate) fn configure(conn: &Connection) -> Result<()> {
    use_wal(conn)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 64 MB of page cache: large imports and 1M-row summaries stay in memory.
    conn.pragma_update(None, "cache_size", -65536)?;
    // Statement journals (opened for every insert that fires a trigger) stay in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

/// The schema version a database file has (0 for a new one).
pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Runs `PRAGMA quick_check` (or the full `integrity_check`) and returns SQLite's complaints.
pub fn integrity_problems(conn: &Connection, full: bool) -> Result<Vec<String>> {
    let pragma = if full {
        "PRAGMA integrity_check"
    } else {
        "PRAGMA quick_check"
    };
    let mut stmt = conn.prepare(pragma)?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}

/// Copies a database file (and its WAL, if any) aside with a timestamped name. Never deletes.
pub fn copy_aside(path: &Path, label: &str) -> Result<PathBuf> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.3fZ")
        .to_string();
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fairtill.db".into());
    let target = path.with_file_name(format!("{file}.{label}-{stamp}"));
    std::fs::copy(path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            std::fs::copy(
                &side,
                PathBuf::from(format!("{}{suffix}", target.display())),
            )?;
        }
    }
    Ok(target)
}

/// Opens (creating if needed) and migrates a device database. A newer schema is refused
/// untouched; a database failing its quick check is copied aside and reported.
pub fn open_connection(path: &Path) -> Result<Connection> {
    let existed = path.exists();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    // Before anything reads: another program may be creating or migrating this file.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let supported = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let checked = (|| -> Result<()> {
        let found = schema_version(&conn)?;
        if found > supported {
            return Err(StoreError::TooNew { found, supported });
        }
        if existed {
            let problems = integrity_problems(&conn, false)?;
            if !problems.is_empty() {
                return Err(StoreError::Invalid(problems.join("; ")));
            }
        }
        Ok(())
    })();
    match checked {
        Ok(()) => {}
        Err(StoreError::Invalid(detail)) => return corrupt(conn, path, detail),
        Err(StoreError::Sqlite(e)) if existed => return corrupt(conn, path, e.to_string()),
        Err(other) => return Err(other),
    }
    configure(&conn)?;
    if let Err(e) = migrations().to_latest(&mut conn) {
        // Two programs opening a new (or older) database at the same moment both start its
        // migrations; the second fails on what the first made. The first's work is what the
        // second would have done, so a database now at this version is ready.
        if schema_version(&conn)? != supported {
            return Err(e.into());
        }
    }
    Ok(conn)
}

fn corrupt(conn: Connection, path: &Path, detail: String) -> Result<Connection> {
    drop(conn);
    let copied_to = copy_aside(path, "corrupt")?;
    Err(StoreError::Corrupt { copied_to, detail })
}
