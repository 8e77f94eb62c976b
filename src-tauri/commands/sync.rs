//! Sync commands: enroll with a server (token to the OS keyring), read the sync status, sync
//! now, disconnect. The background task does the work; nothing here waits on the network
//! except enrolling, which the user asked for.

use std::sync::Arc;

use fairtill_sync::{Credential, Schedule, SyncClient, SyncStatus};
use serde::Serialize;

use super::busy;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// What the sync panel and the status bar show.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncView {
    /// The server, once enrolled.
    pub server_url: Option<String>,
    /// This device's name on the server.
    pub server_name: Option<String>,
    /// Online, waiting, last sync, last error, conflicts.
    pub status: SyncStatus,
    /// Why sync is not working now, if it is not: the last round's failure, or why it could
    /// not start (a locked keyring, a lost token).
    pub problem: Option<ApiError>,
}

/// Starts background sync if this device is enrolled and its token is in the keyring. A
/// missing keyring is reported in the status, never fatal: selling goes on offline.
pub fn start(state: &AppState) -> Result<(), ApiError> {
    let (server, device) = {
        let till = state.till.lock().map_err(|_| busy())?;
        (till.sync_server()?, till.device().id)
    };
    let Some((url, _)) = server else {
        return Ok(());
    };
    let token = Credential::new(&url, device)?.load()?;
    let Some(token) = token else {
        return Err(ApiError::new(
            ErrorCode::NotAllowed,
            "this device's sync token is not in the system keyring; enroll it again with a new code",
        ));
    };
    let client = SyncClient::new(&url, Some(token), None)?;
    let event = state.event.clone();
    let handle = {
        let _runtime = tauri::async_runtime::handle().inner().enter();
        fairtill_sync::spawn(
            state.till.clone(),
            client,
            Arc::new(move || event.lock().ok().and_then(|e| *e)),
            Schedule::default(),
        )
    };
    if let Some(old) = state.sync.lock().map_err(|_| busy())?.replace(handle) {
        old.stop();
    }
    Ok(())
}

fn view(state: &AppState) -> Result<SyncView, ApiError> {
    let till = state.till.lock().map_err(|_| busy())?;
    let server = till.sync_server()?;
    let running = state.sync.lock().map_err(|_| busy())?.clone();
    let (mut status, problem) = match running {
        Some(h) => {
            let status = h.status();
            let problem = status
                .last_error
                .clone()
                .map(|f| ApiError::new(f.kind.into(), f.message));
            (status, problem)
        }
        None => (
            SyncStatus::default(),
            state.sync_problem.lock().map_err(|_| busy())?.clone(),
        ),
    };
    // The task counts what waits after each round; a sale made since must show at once.
    status.waiting = till.outbox()?.total;
    Ok(SyncView {
        server_url: server.as_ref().map(|s| s.0.clone()),
        server_name: server.map(|s| s.1),
        status,
        problem,
    })
}

/// The sync panel's view.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn sync_state(state: tauri::State<'_, AppState>) -> Result<SyncView, ApiError> {
    view(&state)
}

/// Enrolls this device with a server using a one-time code, keeps the token in the OS
/// keyring, and starts syncing.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn enroll_device(
    state: tauri::State<'_, AppState>,
    server_url: String,
    code: String,
) -> Result<SyncView, ApiError> {
    if code.trim().is_empty() {
        return Err(ApiError::new(
            ErrorCode::Invalid,
            "type the enrollment code the manager gave you",
        ));
    }
    let url = fairtill_sync::normalize_url(&server_url)?;
    let device = state.till.lock().map_err(|_| busy())?.device().clone();
    let (_, enrolled) = SyncClient::new(&url, None, None)?
        .enroll(code.trim(), device.id, &device.code)
        .await?;
    Credential::new(&url, device.id)?.save(&enrolled.token)?;
    state
        .till
        .lock()
        .map_err(|_| busy())?
        .set_sync_server(&url, &enrolled.name)?;
    tracing::info!(server = %url, name = %enrolled.name, "till enrolled");
    *state.sync_problem.lock().map_err(|_| busy())? = None;
    start(&state)?;
    view(&state)
}

/// Syncs as soon as possible.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn sync_now(state: tauri::State<'_, AppState>) -> Result<SyncView, ApiError> {
    if let Some(h) = state.sync.lock().map_err(|_| busy())?.as_ref() {
        h.sync_now();
    }
    view(&state)
}

/// Stops syncing with the server and forgets its token; everything recorded stays, and what
/// waits keeps waiting for the next enrollment.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn disconnect_server(state: tauri::State<'_, AppState>) -> Result<SyncView, ApiError> {
    if let Some(h) = state.sync.lock().map_err(|_| busy())?.take() {
        h.stop();
    }
    let mut till = state.till.lock().map_err(|_| busy())?;
    if let Some((url, _)) = till.sync_server()? {
        Credential::new(&url, till.device().id)?.forget()?;
    }
    till.clear_sync_server()?;
    drop(till);
    view(&state)
}
