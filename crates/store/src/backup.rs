//! Backups through SQLite's online backup API, rolling copies, restore, and the full check.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::db;
use crate::error::{Result, StoreError};
use crate::till::Till;

impl Till {
    /// Copies the live database to `dest` with the online backup API (safe while in use).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists; choose a new file name",
                dest.display()
            )));
        }
        self.conn.backup(rusqlite::MAIN_DB, dest, None)?;
        Ok(())
    }

    /// Writes a timestamped backup into `dir` and keeps only the newest `keep` there.
    pub fn rolling_backup(&self, dir: &Path, keep: usize) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let name = format!(
            "fairtill-{}-{}.db",
            self.device().code,
            jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.3fZ")
        );
        let dest = dir.join(name);
        self.backup_to(&dest)?;
        let prefix = format!("fairtill-{}-", self.device().code);
        let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.starts_with(&prefix) && f.ends_with(".db"))
            })
            .collect();
        backups.sort();
        let excess = backups.len().saturating_sub(keep.max(1));
        for old in backups.into_iter().take(excess) {
            std::fs::remove_file(old)?;
        }
        Ok(dest)
    }

    /// Full `PRAGMA integrity_check`; empty when the database is sound.
    pub fn check(&self) -> Result<Vec<String>> {
        db::integrity_problems(&self.conn, true)
    }
}

/// Replaces the database at `target` with the backup at `source`. The backup is checked first;
/// the current database, if any, is copied aside (never deleted). Returns where the old copy went.
pub fn restore(source: &Path, target: &Path) -> Result<Option<PathBuf>> {
    {
        let backup = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let problems = db::integrity_problems(&backup, true)?;
        if !problems.is_empty() {
            return Err(StoreError::Invalid(format!(
                "the backup {} is damaged: {}",
                source.display(),
                problems.join("; ")
            )));
        }
        let version = db::schema_version(&backup)?;
        let supported = i64::try_from(db::MIGRATIONS.len()).unwrap_or(i64::MAX);
        if version > supported {
            return Err(StoreError::TooNew {
                found: version,
                supported,
            });
        }
        if version == 0 {
            return Err(StoreError::Invalid(format!(
                "{} is not a Fairtill database",
                source.display()
            )));
        }
    }
    let kept = if target.exists() {
        Some(db::copy_aside(target, "before-restore")?)
    } else {
        None
    };
    let mut conn = Connection::open(target)?;
    conn.restore(
        rusqlite::MAIN_DB,
        source,
        None::<fn(rusqlite::backup::Progress)>,
    )?;
    drop(conn);
    // Open through the normal path: pragmas, migrations to this version.
    Till::open(target)?;
    Ok(kept)
}
