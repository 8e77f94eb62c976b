//! Till commands: the device and its database.

use fairtill_store::TxFilter;
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// What the till panel shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TillStatus {
    /// Device code (receipt prefix).
    pub device_code: String,
    /// Device name.
    pub device_name: String,
    /// Database file.
    pub database: String,
    /// Transactions recorded on this device.
    #[ts(type = "number")]
    pub transactions: u64,
}

/// The till's device, database and how many transactions it holds.
#[tauri::command]
pub fn till_status(state: tauri::State<'_, AppState>) -> Result<TillStatus, ApiError> {
    let till = state.till.lock().map_err(|_| ApiError {
        code: ErrorCode::Storage,
        message: "the till is busy after an earlier failure; restart Fairtill".into(),
    })?;
    Ok(TillStatus {
        device_code: till.device().code.clone(),
        device_name: till.device().name.clone(),
        database: till.path().display().to_string(),
        transactions: till.count(&TxFilter::default())?,
    })
}
