//! The app's log: `tracing` events written to a file in the app's data directory
//! (`logs/fairtill.YYYY-MM-DD.log`), rotated daily with a week kept, off the UI thread.
//! The level comes from `RUST_LOG` (default `info`).
//!
//! Commands log their errors by code only, storage failures with SQLite's words, and nothing
//! with a token, password, card number or customer detail (tested in `tests/logs.rs`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;

/// Log files kept.
const KEEP_FILES: usize = 7;

/// Starts logging to `dir`. Keep the guard while the app runs: dropping it flushes the file.
/// A second call in one process (tests) keeps the first subscriber.
pub fn init(dir: &Path) -> anyhow::Result<WorkerGuard> {
    std::fs::create_dir_all(dir)?;
    let file = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("fairtill")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init();
    Ok(guard)
}
