//! Transactions commands: the filtered list, its per-currency summary, CSV export.

use fairtill_core::ledger::Summary;
use fairtill_store::{Page, TxFilter};

use super::{beside, persist, till as lock};
use crate::error::ApiError;
use crate::AppState;

/// Rows per page of the list.
const PAGE: usize = 100;

/// A page of the filtered list, newest first; pass `after` (the previous page's `next`).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn list_transactions(
    state: tauri::State<'_, AppState>,
    filter: TxFilter,
    after: Option<String>,
) -> Result<Page, ApiError> {
    Ok(lock(&state)?.list(&filter, after.as_deref(), PAGE)?)
}

/// The per-currency summary of the filtered list.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn transactions_summary(
    state: tauri::State<'_, AppState>,
    filter: TxFilter,
) -> Result<Summary, ApiError> {
    Ok(lock(&state)?.summary(&filter)?)
}

/// Writes the filtered list as CSV to `path` (for a spreadsheet, with a byte-order mark, or
/// `plain` UTF-8 for scripts); returns how many rows. The file is written beside the target
/// and renamed into place, so a failed export never leaves half a file.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn export_transactions(
    state: tauri::State<'_, AppState>,
    filter: TxFilter,
    path: String,
    plain: bool,
) -> Result<u64, ApiError> {
    let (mut tmp, path) = beside(&path)?;
    let made_for = fairtill_core::csv_text::ExportFor::plain(plain);
    let rows = lock(&state)?.export_csv(
        &filter,
        made_for,
        std::io::BufWriter::new(tmp.as_file_mut()),
    )?;
    persist(tmp.into_temp_path(), &path)?;
    Ok(rows)
}
