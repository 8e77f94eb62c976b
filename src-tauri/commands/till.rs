//! Till commands: the device, its database and who works it.

use fairtill_core::event::Event;
use fairtill_store::{TillSession, TxFilter};
use serde::Serialize;

use super::till as lock;
use crate::error::ApiError;
use crate::AppState;

/// What the header and the Event & till screen show.
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
    /// Products in the catalog.
    #[ts(type = "number")]
    pub products: u64,
    /// The current event.
    pub event: Option<Event>,
    /// The staff member signed on (empty: nobody).
    pub staff: String,
    /// The open cash session, with the cash expected now.
    pub session: Option<TillSession>,
}

/// The till's device, database, event, staff and open cash session.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn till_status(state: tauri::State<'_, AppState>) -> Result<TillStatus, ApiError> {
    let till = lock(&state)?;
    let settings = till.settings()?;
    crate::report_ready();
    Ok(TillStatus {
        device_code: till.device().code.clone(),
        device_name: till.device().name.clone(),
        database: till.path().display().to_string(),
        transactions: till.count(&TxFilter::default())?,
        products: till.product_count()?,
        event: settings.event,
        staff: settings.staff,
        session: till.current_session()?,
    })
}
