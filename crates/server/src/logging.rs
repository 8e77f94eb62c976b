//! The server's log: structured events from `tracing` on standard error, as text for a person
//! or as one JSON object per line for a log collector (`--log-format json`). The level comes
//! from `RUST_LOG` (default `info`).
//!
//! What is logged is chosen so that no secret reaches it: request spans carry the method, path
//! and request id (never headers or the query string), handlers skip their arguments, and
//! errors are logged by code, with the database's own words only for server failures.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the process's log subscriber (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
