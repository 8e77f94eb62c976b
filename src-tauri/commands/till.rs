//! Till commands: the device, its database and its backlog.

use fairtill_store::TxFilter;
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// What the status bar shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TillStatus {
    /// Device code (receipt prefix).
    pub device_code: String,
    /// Device name.
    pub device_name: String,
    /// Database file.
    pub database: String,
    /// Records not yet synced.
    #[ts(type = "number")]
    pub waiting_to_sync: u64,
    /// Transactions recorded on this device.
    #[ts(type = "number")]
    pub transactions: u64,
}

/// The till's device, database and sync backlog.
#[tauri::command]
pub fn till_status(state: tauri::State<'_, AppState>) -> Result<TillStatus, ApiError> {
    let till = state.till.lock().map_err(|_| ApiError {
        code: ErrorCode::Storage,
        message: "the till is busy after an earlier failure; restart Fairtill".into(),
    })?;
    let outbox = till.outbox()?;
    Ok(TillStatus {
        device_code: till.device().code.clone(),
        device_name: till.device().name.clone(),
        database: till.path().display().to_string(),
        waiting_to_sync: outbox.total,
        transactions: till.count(&TxFilter::default())?,
    })
}
