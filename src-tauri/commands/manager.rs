//! The Manager workspace's commands: sign in to the server with a manager account (the token
//! goes to the OS keyring), then read and reconcile every till's records there. Each command
//! is one request; a sign-in the server no longer accepts ends the session, so the workspace
//! asks to sign in again.

use std::path::PathBuf;

use fairtill_core::csv_text::ExportFor;
use fairtill_core::filter::{Page, TxFilter};
use fairtill_core::ids::{CustomerId, DeviceId, EventId, OrderId};
use fairtill_core::ledger::Summary;
use fairtill_core::Timestamp;
use fairtill_sync::protocol::{
    Automation, AutomationChange, CloseOut, ColumnMapping, CommissionPeriod, CommissionRule,
    CommissionRun, Conflict, CustomerMatch, CustomerRecord, Device, EventSummary, FollowUp,
    HourlySales, ManagerOrder, NewAutomation, NewCommissionRule, NewWebhookEndpoint, Notification,
    Payout, ScheduleRequest, ScheduledCharge, SettlementImport, SettlementReport, WebhookDelivery,
    WebhookEndpoint, WebhookEndpointChange, WebhookSecret,
};
use fairtill_sync::{ClientError, CloseOutScope, Credential, ImportOptions, ManagerClient};
use serde::Serialize;
use uuid::Uuid;

use super::{busy, invalid};
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// A signed-in manager.
#[derive(Debug, Clone)]
pub struct ManagerSession {
    client: ManagerClient,
    view: ManagerView,
}

/// Who is signed in to the Manager workspace, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ManagerView {
    /// The server.
    pub server_url: String,
    /// The manager's name.
    pub name: String,
    /// When the sign-in lapses (unknown for a sign-in resumed from the keyring).
    pub expires_at: Option<Timestamp>,
}

fn not_signed_in() -> ApiError {
    ApiError::new(ErrorCode::SignIn, "sign in as a manager first")
}

fn client(state: &AppState) -> Result<ManagerClient, ApiError> {
    state
        .manager
        .lock()
        .map_err(|_| busy())?
        .as_ref()
        .map(|s| s.client.clone())
        .ok_or_else(not_signed_in)
}

/// The answer of a request; a sign-in the server refuses ends the session. No connection keeps
/// the session and says plainly what the workspace needs.
fn answer<T>(state: &AppState, result: Result<T, ClientError>) -> Result<T, ApiError> {
    match result {
        Err(ClientError::SignIn(e)) => {
            if let Ok(mut session) = state.manager.lock() {
                *session = None;
            }
            Err(ApiError::from(ClientError::SignIn(e)))
        }
        Err(ClientError::Offline(_)) => Err(ApiError::new(
            ErrorCode::Offline,
            "the server cannot be reached: the Manager workspace reads every till's sales \
             from it, so it needs a connection (this till's own sales are safe here)",
        )),
        other => other.map_err(ApiError::from),
    }
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| invalid(format!("{text:?} is not {what}")))
}

fn optional<T: std::str::FromStr>(text: Option<String>, what: &str) -> Result<Option<T>, ApiError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| parse(&t, what))
        .transpose()
}

/// Writes through `write` into a file beside `path` and renames it into place, so a failed
/// download never leaves half a file.
async fn save_to<F, Fut>(path: &str, write: F) -> Result<u64, ApiError>
where
    F: FnOnce(std::fs::File) -> Fut,
    Fut: std::future::Future<Output = Result<(u64, std::fs::File), ApiError>>,
{
    let (tmp, path) = super::beside(path)?;
    let (tmp_file, tmp_path) = tmp.into_parts();
    let (bytes, file) = write(tmp_file).await?;
    file.sync_all()
        .map_err(|e| invalid(format!("cannot save {}: {e}", path.display())))?;
    super::persist(tmp_path, &path)?;
    Ok(bytes)
}

/// Signs in to `server_url` as `name`; keeps the token in the OS keyring.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_sign_in(
    state: tauri::State<'_, AppState>,
    server_url: String,
    name: String,
    password: String,
) -> Result<ManagerView, ApiError> {
    if name.trim().is_empty() || password.is_empty() {
        return Err(invalid("type your manager name and password"));
    }
    let url = fairtill_sync::normalize_url(&server_url)?;
    let (client, login) = ManagerClient::sign_in(&url, &name, &password).await?;
    Credential::for_manager(&url, &login.name)?.save(&login.token)?;
    let view = ManagerView {
        server_url: url,
        name: login.name,
        expires_at: Some(login.expires_at),
    };
    *state.manager.lock().map_err(|_| busy())? = Some(ManagerSession {
        client,
        view: view.clone(),
    });
    Ok(view)
}

/// Picks up the sign-in kept in the keyring for `name` on `server_url`, if the server still
/// accepts it; `None` when there is none or it lapsed (sign in again).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_resume(
    state: tauri::State<'_, AppState>,
    server_url: String,
    name: String,
) -> Result<Option<ManagerView>, ApiError> {
    let url = fairtill_sync::normalize_url(&server_url)?;
    let credential = Credential::for_manager(&url, &name)?;
    let Some(token) = credential.load()? else {
        return Ok(None);
    };
    let client = ManagerClient::with_token(&url, &token)?;
    match client.devices().await {
        Ok(_) => {}
        Err(ClientError::SignIn(_)) => {
            credential.forget()?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    let view = ManagerView {
        server_url: url,
        name: name.trim().to_string(),
        expires_at: None,
    };
    *state.manager.lock().map_err(|_| busy())? = Some(ManagerSession {
        client,
        view: view.clone(),
    });
    Ok(Some(view))
}

/// Who is signed in, if anyone.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn manager_session(state: tauri::State<'_, AppState>) -> Result<Option<ManagerView>, ApiError> {
    Ok(state
        .manager
        .lock()
        .map_err(|_| busy())?
        .as_ref()
        .map(|s| s.view.clone()))
}

/// Signs out: the server stops accepting the token, and it leaves the keyring. When the server
/// cannot be reached the token still leaves the keyring; `false` then says the server keeps
/// accepting it until it expires.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_sign_out(state: tauri::State<'_, AppState>) -> Result<bool, ApiError> {
    let session = state.manager.lock().map_err(|_| busy())?.take();
    let Some(session) = session else {
        return Ok(true);
    };
    let revoked = match session.client.sign_out().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "the server could not be told of the sign-out");
            false
        }
    };
    Credential::for_manager(&session.view.server_url, &session.view.name)?.forget()?;
    Ok(revoked)
}

/// Every till the server knows.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_devices(state: tauri::State<'_, AppState>) -> Result<Vec<Device>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.devices().await)
}

/// The events transactions were recorded at.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_events(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<EventSummary>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.events().await)
}

/// Rows per page of the list.
const PAGE: usize = 100;

/// A page of every till's transactions, newest first.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_transactions(
    state: tauri::State<'_, AppState>,
    filter: TxFilter,
    device_id: Option<String>,
    after: Option<String>,
) -> Result<Page, ApiError> {
    let device: Option<DeviceId> = optional(device_id, "a till id")?;
    let c = client(&state)?;
    answer(
        &state,
        c.transactions(&filter, device, after.as_deref(), PAGE)
            .await,
    )
}

/// The per-currency summary of every till's filtered transactions.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_summary(
    state: tauri::State<'_, AppState>,
    filter: TxFilter,
    device_id: Option<String>,
) -> Result<Summary, ApiError> {
    let device: Option<DeviceId> = optional(device_id, "a till id")?;
    let c = client(&state)?;
    answer(&state, c.summary(&filter, device).await)
}

/// Saves every till's filtered transactions as CSV at `path` (for a spreadsheet, or `plain`
/// UTF-8 for scripts); the bytes written.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_export_transactions(
    state: tauri::State<'_, AppState>,
    filter: TxFilter,
    device_id: Option<String>,
    path: String,
    plain: bool,
) -> Result<u64, ApiError> {
    let device: Option<DeviceId> = optional(device_id, "a till id")?;
    let c = client(&state)?;
    let state = &state;
    save_to(&path, |mut file| async move {
        let n = answer(
            state,
            c.export_transactions(&filter, device, ExportFor::plain(plain), &mut file)
                .await,
        )?;
        Ok((n, file))
    })
    .await
}

/// One order with its whole history across tills.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_order(
    state: tauri::State<'_, AppState>,
    order_id: String,
) -> Result<ManagerOrder, ApiError> {
    let id: OrderId = parse(&order_id, "an order id")?;
    let c = client(&state)?;
    answer(&state, c.order(id).await)
}

/// Customers whose name, email or phone holds `text`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_customers(
    state: tauri::State<'_, AppState>,
    text: String,
) -> Result<Vec<CustomerMatch>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.find_customers(text.trim()).await)
}

/// One customer's record across tills.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_customer(
    state: tauri::State<'_, AppState>,
    customer_id: String,
) -> Result<CustomerRecord, ApiError> {
    let id: CustomerId = parse(&customer_id, "a customer id")?;
    let c = client(&state)?;
    answer(&state, c.customer(id).await)
}

/// Declined payments in follow-up (with `all`, also those that ended).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_follow_ups(
    state: tauri::State<'_, AppState>,
    all: bool,
) -> Result<Vec<FollowUp>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.follow_ups(all).await)
}

/// Ends a follow-up.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_end_follow_up(
    state: tauri::State<'_, AppState>,
    follow_up_id: String,
) -> Result<FollowUp, ApiError> {
    let id: Uuid = parse(&follow_up_id, "a follow-up id")?;
    let c = client(&state)?;
    answer(&state, c.end_follow_up(id).await)
}

/// Queues an order's receipt by email: to `email`, or the order's customer's address.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_email_receipt(
    state: tauri::State<'_, AppState>,
    order_id: String,
    email: Option<String>,
) -> Result<Notification, ApiError> {
    let id: OrderId = parse(&order_id, "an order id")?;
    let c = client(&state)?;
    let email = email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    answer(&state, c.email_receipt(id, email).await)
}

/// Every webhook endpoint.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_webhooks(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<WebhookEndpoint>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.webhooks().await)
}

/// Registers a webhook endpoint; its secret is in the answer, shown once.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_add_webhook(
    state: tauri::State<'_, AppState>,
    endpoint: NewWebhookEndpoint,
) -> Result<WebhookSecret, ApiError> {
    let c = client(&state)?;
    answer(&state, c.add_webhook(&endpoint).await)
}

/// Changes a webhook endpoint, or turns it off or on.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_change_webhook(
    state: tauri::State<'_, AppState>,
    endpoint_id: String,
    change: WebhookEndpointChange,
) -> Result<WebhookEndpoint, ApiError> {
    let id: Uuid = parse(&endpoint_id, "a webhook endpoint id")?;
    let c = client(&state)?;
    answer(&state, c.change_webhook(id, &change).await)
}

/// Every commission rule.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_commission_rules(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<CommissionRule>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.commission_rules().await)
}

/// Adds a commission rule.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_add_commission_rule(
    state: tauri::State<'_, AppState>,
    rule: NewCommissionRule,
) -> Result<CommissionRule, ApiError> {
    let c = client(&state)?;
    answer(&state, c.add_commission_rule(&rule).await)
}

/// Retires a commission rule.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_retire_commission_rule(
    state: tauri::State<'_, AppState>,
    rule_id: String,
) -> Result<CommissionRule, ApiError> {
    let id: Uuid = parse(&rule_id, "a commission rule id")?;
    let c = client(&state)?;
    answer(&state, c.retire_commission_rule(id).await)
}

/// Runs the commission report for a period.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_run_commissions(
    state: tauri::State<'_, AppState>,
    period: CommissionPeriod,
) -> Result<CommissionRun, ApiError> {
    let c = client(&state)?;
    answer(&state, c.run_commissions(&period).await)
}

/// Saves a commission run as CSV at `path`; the bytes written.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_export_commissions(
    state: tauri::State<'_, AppState>,
    run_id: String,
    path: String,
) -> Result<u64, ApiError> {
    let id: Uuid = parse(&run_id, "a commission run id")?;
    let c = client(&state)?;
    let state = &state;
    save_to(&path, |mut file| async move {
        let n = answer(
            state,
            c.export_commissions(id, ExportFor::Spreadsheet, &mut file)
                .await,
        )?;
        Ok((n, file))
    })
    .await
}

/// Every automation.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_automations(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<Automation>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.automations().await)
}

/// Adds an automation.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_add_automation(
    state: tauri::State<'_, AppState>,
    automation: NewAutomation,
) -> Result<Automation, ApiError> {
    let c = client(&state)?;
    answer(&state, c.add_automation(&automation).await)
}

/// Turns an automation off or on.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_change_automation(
    state: tauri::State<'_, AppState>,
    automation_id: String,
    enabled: bool,
) -> Result<Automation, ApiError> {
    let id: Uuid = parse(&automation_id, "an automation id")?;
    let c = client(&state)?;
    answer(
        &state,
        c.change_automation(id, &AutomationChange { enabled }).await,
    )
}

/// Gives a webhook endpoint a new secret.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_rotate_webhook_secret(
    state: tauri::State<'_, AppState>,
    endpoint_id: String,
) -> Result<WebhookSecret, ApiError> {
    let id: Uuid = parse(&endpoint_id, "a webhook endpoint id")?;
    let c = client(&state)?;
    answer(&state, c.rotate_webhook_secret(id).await)
}

/// A webhook endpoint's latest deliveries.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_webhook_deliveries(
    state: tauri::State<'_, AppState>,
    endpoint_id: String,
) -> Result<Vec<WebhookDelivery>, ApiError> {
    let id: Uuid = parse(&endpoint_id, "a webhook endpoint id")?;
    let c = client(&state)?;
    answer(&state, c.webhook_deliveries(id).await)
}

/// Sends a webhook delivery again.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_resend_webhook(
    state: tauri::State<'_, AppState>,
    delivery_id: String,
) -> Result<WebhookDelivery, ApiError> {
    let id: Uuid = parse(&delivery_id, "a webhook delivery id")?;
    let c = client(&state)?;
    answer(&state, c.resend_webhook(id).await)
}

/// Scheduled charges (with `all`, also those made or canceled).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_scheduled_charges(
    state: tauri::State<'_, AppState>,
    all: bool,
) -> Result<Vec<ScheduledCharge>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.scheduled_charges(all).await)
}

/// Schedules an order's balance to be charged to a customer's saved card at `charge_at`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_schedule_charge(
    state: tauri::State<'_, AppState>,
    order_id: String,
    customer_id: String,
    charge_at: String,
) -> Result<ScheduledCharge, ApiError> {
    let order: OrderId = parse(&order_id, "an order id")?;
    let request = ScheduleRequest {
        customer_id: parse(&customer_id, "a customer id")?,
        card_id: None,
        charge_at: parse(&charge_at, "a date and time")?,
    };
    let c = client(&state)?;
    answer(&state, c.schedule_charge(order, &request).await)
}

/// Moves a scheduled charge to `charge_at`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_reschedule(
    state: tauri::State<'_, AppState>,
    schedule_id: String,
    charge_at: String,
) -> Result<ScheduledCharge, ApiError> {
    let id: Uuid = parse(&schedule_id, "a scheduled charge id")?;
    let at: Timestamp = parse(&charge_at, "a date and time")?;
    let c = client(&state)?;
    answer(&state, c.reschedule(id, at).await)
}

/// Cancels a scheduled charge.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_cancel_scheduled(
    state: tauri::State<'_, AppState>,
    schedule_id: String,
) -> Result<ScheduledCharge, ApiError> {
    let id: Uuid = parse(&schedule_id, "a scheduled charge id")?;
    let c = client(&state)?;
    answer(&state, c.cancel_scheduled(id).await)
}

fn scope(
    event_id: String,
    device_id: Option<String>,
    staff: Option<String>,
) -> Result<CloseOutScope, ApiError> {
    Ok(CloseOutScope {
        event_id: Some(parse::<EventId>(&event_id, "an event id")?),
        device_id: optional(device_id, "a till id")?,
        staff: staff.filter(|s| !s.trim().is_empty()),
    })
}

/// An event's close-out (or one till's or staff member's part of it).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_close_out(
    state: tauri::State<'_, AppState>,
    event_id: String,
    device_id: Option<String>,
    staff: Option<String>,
) -> Result<CloseOut, ApiError> {
    let scope = scope(event_id, device_id, staff)?;
    let c = client(&state)?;
    answer(&state, c.close_out(&scope).await)
}

/// Saves a close-out part (`figures`, `sessions`, `authorizations`) as CSV at `path`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_export_close_out(
    state: tauri::State<'_, AppState>,
    event_id: String,
    device_id: Option<String>,
    staff: Option<String>,
    part: String,
    path: String,
) -> Result<u64, ApiError> {
    let scope = scope(event_id, device_id, staff)?;
    let c = client(&state)?;
    let state = &state;
    save_to(&path, |mut file| async move {
        let n = answer(
            state,
            c.export_close_out(&scope, &part, ExportFor::Spreadsheet, &mut file)
                .await,
        )?;
        Ok((n, file))
    })
    .await
}

/// Sales per hour of an event, for the charts.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_sales_by_hour(
    state: tauri::State<'_, AppState>,
    event_id: String,
) -> Result<Vec<HourlySales>, ApiError> {
    let scope = scope(event_id, None, None)?;
    let c = client(&state)?;
    answer(&state, c.sales_by_hour(&scope).await)
}

/// The conflicts raised at sync.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_conflicts(
    state: tauri::State<'_, AppState>,
    include_resolved: bool,
) -> Result<Vec<Conflict>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.conflicts(include_resolved).await)
}

/// Resolves a conflict with a note (what was done about it), and optionally a correction:
/// `void_transaction`, one of its sides, voided in the manager's name.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_resolve_conflict(
    state: tauri::State<'_, AppState>,
    conflict_id: String,
    note: String,
    void_transaction: Option<String>,
) -> Result<Conflict, ApiError> {
    let id: Uuid = parse(&conflict_id, "a conflict id")?;
    let void: Option<fairtill_core::ids::TxId> = optional(void_transaction, "a transaction id")?;
    if note.trim().is_empty() {
        return Err(invalid(
            "say what was done about it, e.g. \"refund B reversed at the terminal\"",
        ));
    }
    let c = client(&state)?;
    answer(&state, c.resolve_conflict(id, note.trim(), void).await)
}

/// Fetches what the card processor settled since the last fetch and matches it.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_fetch_settlement(
    state: tauri::State<'_, AppState>,
    window_hours: Option<u32>,
    event_id: Option<String>,
) -> Result<SettlementReport, ApiError> {
    let event: Option<EventId> = optional(event_id, "an event id")?;
    let c = client(&state)?;
    answer(&state, c.fetch_settlement(window_hours, event).await)
}

/// The card processor's latest payouts to the bank.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_payouts(state: tauri::State<'_, AppState>) -> Result<Vec<Payout>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.payouts().await)
}

/// Imports a settlement or sales export from `path`; its report.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_import_settlement(
    state: tauri::State<'_, AppState>,
    path: String,
    format: Option<String>,
    currency: Option<String>,
    window_hours: Option<u32>,
    event_id: Option<String>,
) -> Result<SettlementReport, ApiError> {
    let path = PathBuf::from(path.trim());
    let file = std::fs::read(&path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    let options = ImportOptions {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "settlement.csv".into()),
        format: format.filter(|f| !f.trim().is_empty()),
        currency: currency.filter(|c| !c.trim().is_empty()),
        window_hours,
        event: optional(event_id, "an event id")?,
    };
    let c = client(&state)?;
    answer(&state, c.import_settlement(file, &options).await)
}

/// Every settlement import, newest first.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_settlements(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<SettlementImport>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.settlements().await)
}

/// An import's report as it stands.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_settlement(
    state: tauri::State<'_, AppState>,
    import_id: String,
) -> Result<SettlementReport, ApiError> {
    let id: Uuid = parse(&import_id, "a settlement import id")?;
    let c = client(&state)?;
    answer(&state, c.settlement(id).await)
}

/// Confirms or rejects a row's match (`confirm`, `reject`), or links it to a transaction
/// (`link`).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_decide(
    state: tauri::State<'_, AppState>,
    import_id: String,
    line: u32,
    action: String,
    transaction_id: Option<String>,
) -> Result<SettlementReport, ApiError> {
    let id: Uuid = parse(&import_id, "a settlement import id")?;
    let c = client(&state)?;
    answer(
        &state,
        c.decide(id, u64::from(line), &action, transaction_id).await,
    )
}

/// The formats a settlement file can be read as (built-in, then saved).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_formats(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<ColumnMapping>, ApiError> {
    let c = client(&state)?;
    answer(&state, c.formats().await)
}

/// Saves a column mapping for a format Fairtill does not know.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn manager_save_format(
    state: tauri::State<'_, AppState>,
    mapping: ColumnMapping,
) -> Result<ColumnMapping, ApiError> {
    let c = client(&state)?;
    answer(&state, c.save_format(&mapping).await)
}
