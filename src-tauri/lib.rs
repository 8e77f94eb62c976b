//! Fairtill desktop shell: Tauri commands that adapt IPC to `fairtill-store` and
//! `fairtill-core`. Nothing else lives here.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod commands;
pub mod error;
pub mod logging;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fairtill_core::ids::EventId;
use fairtill_store::Till;
use fairtill_sync::SyncHandle;
use tauri::Manager;

/// The opened device database and the background sync, shared by every command.
pub struct AppState {
    /// One writer connection (the sync task takes it only for each short database step).
    pub till: Arc<Mutex<Till>>,
    /// Background sync, once the device is enrolled.
    pub sync: Mutex<Option<SyncHandle>>,
    /// Why sync could not start (e.g. a locked keyring), shown in the sync panel.
    pub sync_problem: Mutex<Option<error::ApiError>>,
    /// The event the till is at: its sales from other booths are pulled.
    pub event: Arc<Mutex<Option<EventId>>>,
    /// The manager signed in to the Manager workspace, if any.
    pub manager: Mutex<Option<commands::manager::ManagerSession>>,
}

impl AppState {
    /// The state over an opened till, at the event its settings name.
    pub fn new(till: Till) -> Result<AppState, fairtill_store::StoreError> {
        let event = till.settings()?.event.map(|e| e.id);
        Ok(AppState {
            till: Arc::new(Mutex::new(till)),
            sync: Mutex::new(None),
            sync_problem: Mutex::new(None),
            event: Arc::new(Mutex::new(event)),
            manager: Mutex::new(None),
        })
    }
}

/// Where the database lives: `--db PATH`, else `FAIRTILL_DB`, else the user's data directory.
fn database_path(app: &tauri::App) -> anyhow::Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--db" {
            if let Some(p) = args.next() {
                return Ok(PathBuf::from(p));
            }
        } else if let Some(p) = a.strip_prefix("--db=") {
            return Ok(PathBuf::from(p));
        }
    }
    if let Ok(p) = std::env::var("FAIRTILL_DB") {
        if !p.trim().is_empty() {
            return Ok(PathBuf::from(p));
        }
    }
    let dir = app.path().app_data_dir()?;
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join("fairtill.db"))
}

/// Where the log files go: `FAIRTILL_LOG_DIR`, else `logs/` in the app's data directory.
fn log_dir(app: &tauri::App) -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("FAIRTILL_LOG_DIR") {
        if !p.trim().is_empty() {
            return Ok(PathBuf::from(p));
        }
    }
    Ok(app.path().app_data_dir()?.join("logs"))
}

/// The log's writer guard, held for the life of the process so the file is flushed.
static LOG_GUARD: std::sync::OnceLock<tracing_appender::non_blocking::WorkerGuard> =
    std::sync::OnceLock::new();

/// Registers every command on a builder (the app's, or the mock runtime's in tests).
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    use commands::*;
    builder.invoke_handler(tauri::generate_handler![
        till::till_status,
        sync::sync_state,
        sync::enroll_device,
        sync::sync_now,
        sync::disconnect_server,
        event::list_events,
        event::create_event,
        event::set_till,
        event::open_till,
        event::close_till,
        event::till_sessions,
        catalog::search_products,
        catalog::product_by_code,
        catalog::favourites,
        catalog::set_favourite,
        catalog::import_products,
        catalog::catalog_products,
        catalog::save_product,
        catalog::retire_product,
        catalog::sell_grid,
        catalog::write_sample_products,
        catalog::import_sample_products,
        sale::cart_totals,
        sale::charge,
        sale::pay_part,
        customers::find_customers,
        customers::save_customer,
        customers::email_receipt,
        customers::receipt_emails,
        customers::customer,
        customers::begin_card_setup,
        customers::finish_card_setup,
        customers::payment_result,
        sale::receipt,
        printer::printer_settings,
        printer::save_printer_settings,
        printer::print_receipt,
        orders::order_detail,
        orders::capture,
        orders::void_transaction,
        orders::refund,
        orders::mark_paid,
        orders::write_off,
        orders::replace_sale,
        orders::resolve_result,
        transactions::list_transactions,
        transactions::transactions_summary,
        transactions::export_transactions,
        offers::list_offers,
        offers::save_offer,
        offers::retire_offer,
        manager::manager_sign_in,
        manager::manager_resume,
        manager::manager_session,
        manager::manager_sign_out,
        manager::manager_devices,
        manager::manager_events,
        manager::manager_transactions,
        manager::manager_summary,
        manager::manager_export_transactions,
        manager::manager_order,
        manager::manager_customers,
        manager::manager_customer,
        manager::manager_follow_ups,
        manager::manager_fetch_settlement,
        manager::manager_payouts,
        manager::manager_end_follow_up,
        manager::manager_email_receipt,
        manager::manager_commission_rules,
        manager::manager_add_commission_rule,
        manager::manager_retire_commission_rule,
        manager::manager_run_commissions,
        manager::manager_export_commissions,
        manager::manager_automations,
        manager::manager_add_automation,
        manager::manager_change_automation,
        manager::manager_webhooks,
        manager::manager_add_webhook,
        manager::manager_change_webhook,
        manager::manager_rotate_webhook_secret,
        manager::manager_webhook_deliveries,
        manager::manager_resend_webhook,
        manager::manager_scheduled_charges,
        manager::manager_schedule_charge,
        manager::manager_reschedule,
        manager::manager_cancel_scheduled,
        manager::manager_close_out,
        manager::manager_export_close_out,
        manager::manager_sales_by_hour,
        manager::manager_conflicts,
        manager::manager_resolve_conflict,
        manager::manager_import_settlement,
        manager::manager_settlements,
        manager::manager_settlement,
        manager::manager_decide,
        manager::manager_formats,
        manager::manager_save_format,
    ])
}

/// When the process started, for the start-up probe.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// With `FAIRTILL_STARTUP_PROBE` set, says on stderr (once) how long after start the mounted UI
/// asked for its first status: the start-up benchmark reads it.
pub(crate) fn report_ready() {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("FAIRTILL_STARTUP_PROBE").is_some() {
        REPORTED.call_once(|| {
            let ms = STARTED.get().map(|t| t.elapsed().as_millis()).unwrap_or(0);
            // The probe's answer to the benchmark that started it, not a log line.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "fairtill-ready {ms} ms");
        });
    }
}

/// Starts the app.
pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    let builder = tauri::Builder::default()
        .setup(|app| {
            let guard = logging::init(&log_dir(app)?)?;
            let _ = LOG_GUARD.set(guard);
            let path = database_path(app)?;
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "Fairtill starting");
            let state = AppState::new(Till::open(&path)?)?;
            if let Err(e) = commands::sync::start(&state) {
                tracing::warn!(code = ?e.code, "sync could not start");
                if let Ok(mut problem) = state.sync_problem.lock() {
                    *problem = Some(e);
                }
            }
            app.manage(state);
            Ok(())
        })
        .plugin(tauri_plugin_dialog::init());
    let result = with_commands(builder).run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "Fairtill could not start");
        // Also on the terminal: the log may not have been opened yet.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "Fairtill could not start: {e}");
        std::process::exit(1);
    }
}
