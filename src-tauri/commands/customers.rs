//! Customer commands: find a returning customer (with no network), add or change one, save a
//! card for them through the processor's own form (in a window of its own, which can call no
//! command), and follow a charge to a card on file until the processor answers.

use fairtill_core::customer::Customer;
use fairtill_core::ids::OrderId;
use fairtill_core::ids::{CustomerId, TxId};
use fairtill_store::{CustomerView, ReceiptEmailView};
use fairtill_sync::protocol::{ChargeState, PaymentProgress};
use fairtill_sync::round::{pull_all, push_all, RoundReport};
use fairtill_sync::{ClientError, SyncClient};
use serde::Serialize;

use super::{actor, busy, till as lock};
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// How long a till waits for the processor's answer to a charge before it shows "waiting".
pub const ANSWER_WAIT_MS: u64 = 8_000;

/// Customers whose name, email or phone holds `text`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn find_customers(
    state: tauri::State<'_, AppState>,
    text: String,
) -> Result<Vec<CustomerView>, ApiError> {
    Ok(lock(&state)?.find_customers(&text)?)
}

/// Adds a customer (no `id`) or changes one; the change syncs to every till.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn save_customer(
    state: tauri::State<'_, AppState>,
    id: Option<CustomerId>,
    details: Customer,
) -> Result<CustomerView, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    Ok(till.save_customer(&who, id, &details)?)
}

/// Asks for an order's receipt by email: recorded now (offline too), sent by the server once
/// this till syncs; a sync is asked for at once.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn email_receipt(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
    email: String,
) -> Result<ReceiptEmailView, ApiError> {
    let made = {
        let mut till = lock(&state)?;
        let who = actor(&till)?;
        till.request_receipt_email(&who, order_id, &email)?
    };
    if let Some(h) = state.sync.lock().map_err(|_| busy())?.as_ref() {
        h.sync_now();
    }
    Ok(made)
}

/// The receipt emails asked for an order at this till, and whether each reached the server.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn receipt_emails(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
) -> Result<Vec<ReceiptEmailView>, ApiError> {
    Ok(lock(&state)?.receipt_emails(order_id)?)
}

/// A customer with their cards.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn customer(
    state: tauri::State<'_, AppState>,
    id: CustomerId,
) -> Result<CustomerView, ApiError> {
    Ok(lock(&state)?.customer(id)?)
}

/// The client of this till's server, or why there is none.
fn client(state: &AppState) -> Result<SyncClient, ApiError> {
    let (server, device) = {
        let till = lock(state)?;
        (till.sync_server()?, till.device().id)
    };
    let Some((url, _)) = server else {
        return Err(ApiError::new(
            ErrorCode::Offline,
            "this till is not connected to a server: connect it under Sync first",
        ));
    };
    let token = fairtill_sync::Credential::new(&url, device)?
        .load()?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotAllowed,
                "this device's sync token is not in the system keyring; enroll it again",
            )
        })?;
    Ok(SyncClient::new(&url, Some(token), None)?)
}

/// Sends what waits (so the server has the customer, or the charge) before asking about it.
async fn push_now(state: &AppState, client: &SyncClient) -> Result<(), ApiError> {
    let mut report = RoundReport::default();
    push_all(&state.till, client, &mut report, &|_| {})
        .await
        .map_err(sync_error)
}

fn sync_error(e: fairtill_sync::SyncError) -> ApiError {
    match e {
        fairtill_sync::SyncError::Client(c) => c.into(),
        fairtill_sync::SyncError::Store(s) => s.into(),
        other @ (fairtill_sync::SyncError::Outbox(_) | fairtill_sync::SyncError::Poisoned) => {
            ApiError::new(ErrorCode::Storage, other.to_string())
        }
    }
}

/// The card form of a setup begun for a customer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CardForm {
    /// The setup (to finish with `finish_card_setup`).
    pub setup_id: String,
    /// The server's page with the processor's card form.
    pub url: String,
}

/// Begins saving a card for a customer and opens the processor's card form in a window of its
/// own (it runs the processor's script, so it gets no access to the till's commands).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn begin_card_setup<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: tauri::State<'_, AppState>,
    customer: CustomerId,
) -> Result<CardForm, ApiError> {
    let client = client(&state)?;
    push_now(&state, &client).await?;
    let start = client.start_card_setup(customer).await?;
    let url = format!("{}{}", client.server_url(), start.form_path);
    let parsed: tauri::Url = url.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::Refused,
            "the server's card form address is not valid",
        )
    })?;
    if let Some(old) = tauri::Manager::get_webview_window(&app, "card-form") {
        let _ = old.close();
    }
    tauri::WebviewWindowBuilder::new(&app, "card-form", tauri::WebviewUrl::External(parsed))
        .title("Save a card · Fairtill")
        .inner_size(520.0, 560.0)
        .build()
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Refused,
                format!("the card form could not open: {e}"),
            )
        })?;
    Ok(CardForm {
        setup_id: start.setup_id,
        url,
    })
}

/// Records the card the form saved (once the customer finished it) and brings it to this
/// till; `conflict` while the form is not finished.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn finish_card_setup<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: tauri::State<'_, AppState>,
    setup_id: String,
) -> Result<CustomerView, ApiError> {
    let client = client(&state)?;
    let card = client.finish_card_setup(&setup_id).await?;
    if let Some(form) = tauri::Manager::get_webview_window(&app, "card-form") {
        let _ = form.close();
    }
    let event = *state.event.lock().map_err(|_| busy())?;
    let mut report = RoundReport::default();
    pull_all(&state.till, &client, event, &mut report)
        .await
        .map_err(sync_error)?;
    Ok(lock(&state)?.customer(card.customer_id)?)
}

/// Follows a charge or refund to a card on file: sends it now if it waits, asks the server
/// for the processor's answer (waiting a few seconds), and brings the answer to this till.
/// Offline, it says the charge waits; it is sent when the till syncs.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn payment_result(
    state: tauri::State<'_, AppState>,
    transaction_id: TxId,
) -> Result<PaymentProgress, ApiError> {
    let waiting = |message: &str| PaymentProgress {
        transaction_id,
        state: ChargeState::Due,
        result: fairtill_core::ledger::TxResult::Unknown,
        message: Some(message.to_string()),
        approval_url: None,
    };
    let client = match client(&state) {
        Ok(c) => c,
        Err(_) => {
            return Ok(waiting(
                "Waiting to charge: this till is not connected to a server",
            ))
        }
    };
    match push_now(&state, &client).await {
        Ok(()) => {}
        Err(e) if e.code == ErrorCode::Offline => {
            return Ok(waiting(
                "Waiting to charge: the server cannot be reached; the charge is sent when this till syncs",
            ))
        }
        Err(e) => return Err(e),
    }
    let mut progress = match client.payment_progress(transaction_id, ANSWER_WAIT_MS).await {
        Ok(p) => p,
        Err(ClientError::Offline(_)) => {
            return Ok(waiting(
                "Waiting to charge: the server cannot be reached; the charge is sent when this till syncs",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    // The server's approval page is named by its path: the customer needs the whole address.
    if let Some(path) = progress
        .approval_url
        .as_deref()
        .filter(|p| p.starts_with('/'))
    {
        progress.approval_url = Some(format!("{}{path}", client.server_url()));
    }
    if progress.result != fairtill_core::ledger::TxResult::Unknown {
        let event = *state.event.lock().map_err(|_| busy())?;
        let mut report = RoundReport::default();
        pull_all(&state.till, &client, event, &mut report)
            .await
            .map_err(sync_error)?;
    }
    Ok(progress)
}
