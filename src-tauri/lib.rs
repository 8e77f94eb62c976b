//! Fairtill desktop shell: Tauri commands that adapt IPC to `fairtill-store` and
//! `fairtill-core`. Nothing else lives here.

mod commands;
mod error;

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
    pub sync_problem: Mutex<Option<String>>,
    /// The event the till is at: its sales from other booths are pulled.
    pub event: Arc<Mutex<Option<EventId>>>,
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

/// Starts the app.
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let path = database_path(app)?;
            let till = Till::open(&path)?;
            let state = AppState {
                till: Arc::new(Mutex::new(till)),
                sync: Mutex::new(None),
                sync_problem: Mutex::new(None),
                event: Arc::new(Mutex::new(None)),
            };
            if let Err(e) = commands::sync::start(&state) {
                if let Ok(mut problem) = state.sync_problem.lock() {
                    *problem = Some(e.message);
                }
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::till::till_status,
            commands::sync::sync_state,
            commands::sync::enroll_device,
            commands::sync::sync_now,
            commands::sync::disconnect_server
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Fairtill could not start: {e}");
        std::process::exit(1);
    }
}
