//! Fairtill desktop shell: Tauri commands that adapt IPC to `fairtill-store` and
//! `fairtill-core`. Nothing else lives here.

mod commands;
mod error;

use std::path::PathBuf;
use std::sync::Mutex;

use fairtill_store::Till;
use tauri::Manager;

/// The opened device database, shared by every command.
pub struct AppState {
    /// One writer connection.
    pub till: Mutex<Till>,
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
            app.manage(AppState {
                till: Mutex::new(till),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::till_status])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Fairtill could not start: {e}");
        std::process::exit(1);
    }
}
