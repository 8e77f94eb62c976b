//! Backups of the embedded database, taken while the server serves, and their restore.
//!
//! A backup is SQLite's online backup API copying every page in one step: one read
//! transaction, so the copy is the database as it was at one commit, and in WAL mode the
//! server's writes go on meanwhile. The copy is checked (`integrity_check`) before it takes
//! its name, so a file called a backup is always a whole one.
//!
//! A restore refuses while a server holds the database (every `serve` holds a shared `flock`
//! on the database file for as long as it runs; SQLite's own locks are `fcntl` locks, which
//! Linux keeps apart), refuses a file that is not a whole Fairtill server database of this
//! version or older, and keeps the database it replaces beside it.
//!
//! PostgreSQL has its own tools for this (`pg_dump`, `pg_restore`; see the README).

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::storage::sqlite::SCHEMA_VERSION;

/// What a backup or restore failed on, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The named file is there already.
    #[error("{0} exists already; choose another name or remove it")]
    Exists(PathBuf),
    /// A server is using the database.
    #[error("a server is running on {0}; stop it before restoring")]
    InUse(PathBuf),
    /// The file is not a whole Fairtill server database this server can run.
    #[error("{path} is not a backup this server can restore: {why}")]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// SQLite or the file system failed.
    #[error("{0}")]
    Failed(String),
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Failed(e.to_string())
    }
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        BackupError::Failed(e.to_string())
    }
}

/// What a backup holds, to print when it is taken or restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Its schema version.
    pub schema_version: i64,
    /// Records devices pushed.
    pub records: i64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Holds the database for a serving process: a shared lock, released when the process ends.
#[derive(Debug)]
pub struct ServingLock(#[allow(dead_code)] File);

/// Takes the serving lock on `database` (several servers may hold it at once; a restore may
/// not). The file stays open for as long as the lock is held: closing any descriptor of a
/// database file would drop SQLite's own locks in this process.
pub fn hold_while_serving(database: &Path) -> Result<ServingLock, BackupError> {
    let file = File::open(database)?;
    file.lock_shared()?;
    Ok(ServingLock(file))
}

/// How many times a step that found the database locked is tried again, 100 ms apart.
const BUSY_TRIES: u32 = 100;

/// Copies `from` into `to` (a new file) in one step of the online backup API.
fn copy(from: &Connection, to: &Path) -> Result<(), BackupError> {
    let mut dest = Connection::open(to)?;
    {
        let backup = Backup::new(from, &mut dest)?;
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::Busy | StepResult::Locked if tries < BUSY_TRIES => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                StepResult::Busy | StepResult::Locked => {
                    return Err(BackupError::Failed(
                        "the database stayed locked for 10 seconds; try again".into(),
                    ))
                }
                StepResult::More => {}
                // `StepResult` is non-exhaustive: a result this SQLite does not give.
                other => return Err(BackupError::Failed(format!("backup step: {other:?}"))),
            }
        }
    }
    dest.close().map_err(|(_, e)| BackupError::from(e))?;
    File::open(to)?.sync_all()?;
    Ok(())
}

/// Checks that `path` is a whole Fairtill server database this server can run; what it holds.
fn check(path: &Path) -> Result<Summary, BackupError> {
    let not = |why: String| BackupError::NotABackup {
        path: path.to_path_buf(),
        why,
    };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| not(e.to_string()))?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    if integrity != "ok" {
        return Err(not(format!("it is damaged ({integrity})")));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = i64::try_from(SCHEMA_VERSION).unwrap_or(i64::MAX);
    if version == 0 {
        return Err(not("it is not a Fairtill server database".into()));
    }
    if version > known {
        return Err(not(format!(
            "it has schema version {version}, newer than this server's {known}: restore it with a newer server"
        )));
    }
    let records: i64 = conn
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .map_err(|_| not("it is not a Fairtill server database".into()))?;
    Ok(Summary {
        schema_version: version,
        records,
        bytes: std::fs::metadata(path)?.len(),
    })
}

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes `path`'s rename or removal durable.
fn sync_dir(path: &Path) -> Result<(), BackupError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Backs up `database` (which a server may be serving) to `to`, a file that must not exist.
pub fn backup(database: &Path, to: &Path) -> Result<Summary, BackupError> {
    if to.exists() {
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    if !database.exists() {
        return Err(BackupError::Failed(format!(
            "there is no database at {}",
            database.display()
        )));
    }
    let source = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(std::time::Duration::from_secs(10))?;
    let partial = beside(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let done = copy(&source, &partial).and_then(|()| check(&partial));
    let summary = match done {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, to)?;
    sync_dir(to)?;
    Ok(summary)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// What the database holds now.
    pub summary: Summary,
    /// Where the database it replaced was kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// Replaces `database` with the backup `from`. The database it replaces (with its WAL) is
/// kept beside it as `<name>.before-restore-<time>`.
pub fn restore(
    from: &Path,
    database: &Path,
    now: jiff::Timestamp,
) -> Result<Restored, BackupError> {
    check(from)?;
    // Held until the new database has its name: no server may start on it meanwhile.
    let held = match File::open(database) {
        Ok(file) => {
            if file.try_lock().is_err() {
                return Err(BackupError::InUse(database.to_path_buf()));
            }
            Some(file)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let incoming = beside(database, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    if let Err(e) = copy(&source, &incoming).and_then(|()| check(&incoming)) {
        let _ = std::fs::remove_file(&incoming);
        return Err(e);
    }
    let kept = if held.is_some() {
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let kept = beside(database, &format!(".before-restore-{stamp}"));
        // The WAL and its index belong to the old database: they go with it, or SQLite would
        // replay the old database's last commits into the new one.
        for suffix in ["-wal", "-shm"] {
            let part = beside(database, suffix);
            if part.exists() {
                std::fs::rename(&part, beside(&kept, suffix))?;
            }
        }
        std::fs::rename(database, &kept)?;
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&incoming, database)?;
    sync_dir(database)?;
    Ok(Restored {
        summary: check(database)?,
        kept,
    })
}
