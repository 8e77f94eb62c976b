//! Printer commands: the till's receipt printer settings, and printing an order's receipt on it.
//! Printing reads the order, lays it out and sends it from a blocking thread: the sale is
//! already durable, and a printer that is off or out of paper costs a message, never the sale.

use fairtill_core::ids::OrderId;
use fairtill_core::money::Money;
use fairtill_core::receipt::Receipt;
use fairtill_print::{AtTheTill, Layout, PrintError, Target};
use fairtill_store::PrinterSettings;
use serde::Serialize;

use super::{invalid, till as lock};
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// What a print did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Printed {
    /// The printer it went to, as its settings name it.
    pub printer: String,
    /// The receipt number.
    pub receipt: String,
}

impl From<PrintError> for ApiError {
    fn from(e: PrintError) -> Self {
        let code = match e {
            PrintError::Setting(_) => ErrorCode::Invalid,
            PrintError::Unreachable { .. }
            | PrintError::OutOfPaper(_)
            | PrintError::CoverOpen(_)
            | PrintError::Offline(_)
            | PrintError::Interrupted { .. }
            | PrintError::Layout(_) => ErrorCode::Printer,
        };
        let mut message = e.to_string();
        if let Some(first) = message.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        ApiError::new(code, format!("{message}. The sale is recorded."))
    }
}

/// The receipt printer's settings.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn printer_settings(state: tauri::State<'_, AppState>) -> Result<PrinterSettings, ApiError> {
    Ok(lock(&state)?.printer()?)
}

/// Saves the receipt printer's settings; an address no printer can have is refused.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn save_printer_settings(
    state: tauri::State<'_, AppState>,
    settings: PrinterSettings,
) -> Result<PrinterSettings, ApiError> {
    if !settings.address.trim().is_empty() {
        Target::parse(&settings.address).map_err(|e| invalid(e.to_string()))?;
    }
    Ok(lock(&state)?.set_printer(&settings)?)
}

/// Prints an order's receipt on the till's printer, with the cash handed over and the change
/// when the receipt screen knows them.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn print_receipt(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
    tendered: Option<Money>,
    change: Option<Money>,
) -> Result<Printed, ApiError> {
    let (target, bytes, number) = {
        let till = lock(&state)?;
        let printer = till.printer()?;
        if printer.address.trim().is_empty() {
            return Err(invalid(
                "no receipt printer is set up: add one under Event & till (F4)",
            ));
        }
        let target = Target::parse(&printer.address).map_err(|e| invalid(e.to_string()))?;
        let view = till.order(order_id)?;
        let event_name = till.settings()?.event.map(|e| e.name).unwrap_or_default();
        let receipt = Receipt::of_in(
            &view,
            &printer.seller(&event_name),
            &jiff::tz::TimeZone::system(),
        );
        let at_till = AtTheTill {
            staff: Some(view.order.context.staff.clone()),
            tendered: tendered.map(|m| m.to_string()),
            change: change.map(|m| m.to_string()),
        };
        let layout = Layout {
            paper: printer.paper,
            code: printer.code,
        };
        let bytes = fairtill_print::render(&receipt, &at_till, &layout)?;
        (target, bytes, receipt.number)
    };
    let shown = target.to_string();
    tauri::async_runtime::spawn_blocking(move || fairtill_print::send(&target, &bytes))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Printer, "printing stopped unexpectedly"))??;
    tracing::info!(receipt = %number, "receipt printed");
    Ok(Printed {
        printer: shown,
        receipt: number,
    })
}
