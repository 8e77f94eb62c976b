//! The settlement endpoints: import a processor's export (the raw CSV as the body), read the
//! report of matched, suggested, mismatched and unmatched rows, decide on a row, and keep
//! column mappings for formats Fairtill does not know.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use fairtill_core::ids::{EventId, TxId};
use fairtill_core::money::Currency;
use fairtill_protocol::{ColumnMapping, ErrorBody, SettlementImport, SettlementReport};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::ApiError;
use super::request::{ApiJson, ApiPath, ApiQuery, AuthManager};
use super::AppState;
use crate::settlement::formats;
use crate::settlement::read::{header, read, ReadError};
use crate::storage::{Decision, NewImport};
use fairtill_protocol::blank;

/// Largest settlement file the server reads (64 MiB: a year of a busy processor account).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Most row errors named in one answer.
const ERRORS_SHOWN: usize = 20;

/// How to read an uploaded file.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name, to recognise it later.
    pub file_name: Option<String>,
    /// A built-in format or a saved mapping by name; recognised from the header when absent.
    pub format: Option<String>,
    /// The currency of files that name none (SumUp), e.g. EUR.
    pub currency: Option<String>,
    /// How many hours apart a suggestion's two sides may be (1–720, default 48).
    #[param(minimum = 1, maximum = 720)]
    pub window_hours: Option<u32>,
    /// Match only this event's transactions.
    #[param(format = Uuid)]
    pub event: Option<String>,
}

fn read_error(e: ReadError) -> ApiError {
    match e {
        ReadError::Rows(rows) => {
            let shown: Vec<String> = rows
                .iter()
                .take(ERRORS_SHOWN)
                .map(|r| format!("line {}: {}", r.line, r.message))
                .collect();
            let more = rows.len().saturating_sub(ERRORS_SHOWN);
            ApiError::bad_request(format!(
                "nothing was imported: {} row{} could not be read. {}{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                shown.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            ))
        }
        other => ApiError::bad_request(format!("nothing was imported: {other}")),
    }
}

/// The matching window (1 to 720 hours, default 48) and event an import asks for, checked.
fn matching_scope(
    window_hours: Option<u32>,
    event: Option<&str>,
) -> Result<(u32, Option<EventId>), ApiError> {
    let window_hours = window_hours.unwrap_or(48);
    if !(1..=720).contains(&window_hours) {
        return Err(ApiError::bad_request(
            "the matching window must be between 1 and 720 hours",
        ));
    }
    let event_id = event
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.parse::<EventId>()
                .map_err(|_| ApiError::bad_request(format!("{e:?} is not an event id")))
        })
        .transpose()?;
    Ok((window_hours, event_id))
}

/// Import a settlement or transaction export (CSV as the request body). The same file
/// imported again changes nothing and answers the earlier report.
#[utoipa::path(post, path = "/v1/manager/settlements", tag = "manager", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    security(("manager_token" = [])),
    responses((status = 200, body = SettlementReport),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn import(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<ApiJson<SettlementReport>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the file is empty"));
    }
    let currency = blank(&q.currency)
        .map(|c| {
            Currency::from_code(&c.to_ascii_uppercase())
                .map_err(|_| ApiError::bad_request(format!("{c:?} is not a currency code")))
        })
        .transpose()?;
    let (window_hours, event_id) = matching_scope(q.window_hours, q.event.as_deref())?;
    let mapping = match blank(&q.format) {
        Some(name) => match formats::named(name) {
            Some(m) => m,
            None => state
                .storage
                .mappings()
                .await?
                .into_iter()
                .find(|m| m.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "there is no format named {name:?}; choose one of {} or save a column mapping",
                        known_names()
                    ))
                })?,
        },
        None => detect(&body).ok_or_else(|| {
            ApiError::bad_request(format!(
                "this file's columns are not a format Fairtill knows ({}); choose a saved column mapping or make one",
                known_names()
            ))
        })?,
    };
    let file = tokio::task::spawn_blocking({
        let body = body.clone();
        let mapping = mapping.clone();
        move || read(&body, &mapping, currency)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(read_error)?;
    let new = NewImport {
        file_name: blank(&q.file_name).unwrap_or("settlement.csv").to_string(),
        file_hash: crate::auth::hex(&Sha256::digest(&body)),
        format: mapping.name.clone(),
        window_hours,
        event_id,
        rows: file.rows,
        skipped: file.skipped,
    };
    Ok(ApiJson(
        state
            .storage
            .import_settlement(new, manager, (state.now)())
            .await?,
    ))
}

fn known_names() -> String {
    formats::builtin()
        .iter()
        .map(|m| m.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The built-in format a file's header belongs to.
fn detect(body: &[u8]) -> Option<ColumnMapping> {
    header(body).ok().and_then(|h| formats::detect(&h))
}

/// Every settlement import, newest first.
#[utoipa::path(get, path = "/v1/manager/settlements", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<SettlementImport>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn imports(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<SettlementImport>>, ApiError> {
    Ok(ApiJson(state.storage.settlement_imports().await?))
}

fn import_id(id: &str) -> Result<Uuid, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not a settlement import id")))
}

/// An import's report as it stands.
#[utoipa::path(get, path = "/v1/manager/settlements/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid, description = "The import id")),
    security(("manager_token" = [])),
    responses((status = 200, body = SettlementReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<SettlementReport>, ApiError> {
    Ok(ApiJson(
        state.storage.settlement_report(import_id(&id)?).await?,
    ))
}

/// What to do with one row of an import.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `confirm` (a suggestion), `reject` (a suggestion or link) or `link`.
    pub action: String,
    /// For `link`: the transaction the row goes with.
    pub transaction_id: Option<String>,
}

/// Confirm a suggested match, reject one, or link a row to a transaction by hand.
#[utoipa::path(post, path = "/v1/manager/settlements/{id}/rows/{line}", tag = "manager",
    request_body = DecisionRequest,
    params(("id" = String, Path, format = Uuid, description = "The import id"), ("line" = u64, Path, minimum = 1, description = "The row's line in the file")),
    security(("manager_token" = [])),
    responses((status = 200, body = SettlementReport, description = "the report after the decision"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn decide(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath((id, line)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<ApiJson<SettlementReport>, ApiError> {
    let id = import_id(&id)?;
    let line: u64 = line
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{line:?} is not a line number")))?;
    let decision = match req.action.as_str() {
        "confirm" => Decision::Confirm,
        "reject" => Decision::Reject,
        "link" => {
            let tx = req
                .transaction_id
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::bad_request("say which transaction to link the row to"))?;
            Decision::Link(
                tx.parse::<TxId>().map_err(|_| {
                    ApiError::bad_request(format!("{tx:?} is not a transaction id"))
                })?,
            )
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "{other:?} is not one of confirm, reject, link"
            )))
        }
    };
    Ok(ApiJson(
        state
            .storage
            .decide_settlement(id, line, decision, manager, (state.now)())
            .await?,
    ))
}

/// The formats a file can be read as: built-in ones first, then saved mappings.
#[utoipa::path(get, path = "/v1/manager/settlement-formats", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<ColumnMapping>), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn formats_list(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<ColumnMapping>>, ApiError> {
    let mut all = formats::builtin();
    all.extend(state.storage.mappings().await?);
    Ok(ApiJson(all))
}

/// Save a column mapping for a format Fairtill does not know (same name: replaced).
#[utoipa::path(post, path = "/v1/manager/settlement-formats", tag = "manager",
    request_body = ColumnMapping,
    security(("manager_token" = [])),
    responses((status = 200, body = ColumnMapping, description = "the saved mapping"), (status = 400, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn save_format(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiJson(mut mapping): ApiJson<ColumnMapping>,
) -> Result<ApiJson<ColumnMapping>, ApiError> {
    mapping.name = mapping.name.trim().to_string();
    if mapping.name.is_empty() {
        return Err(ApiError::bad_request("give the column mapping a name"));
    }
    if formats::named(&mapping.name).is_some() {
        return Err(ApiError::bad_request(format!(
            "{:?} is a built-in format; choose another name",
            mapping.name
        )));
    }
    let clean = |v: &mut Vec<String>| {
        *v = v
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (what, list) in [
        ("reference", &mut mapping.reference),
        ("amount", &mut mapping.amount),
        ("date", &mut mapping.date),
    ] {
        clean(list);
        if list.is_empty() {
            return Err(ApiError::bad_request(format!(
                "say which column holds the {what}"
            )));
        }
    }
    for list in [
        &mut mapping.currency,
        &mut mapping.time,
        &mut mapping.kind,
        &mut mapping.last4,
        &mut mapping.approval_code,
    ] {
        clean(list);
    }
    state
        .storage
        .save_mapping(mapping.clone(), manager, (state.now)())
        .await?;
    Ok(ApiJson(mapping))
}

/// The card processor's latest payouts to the seller's bank, newest first.
#[utoipa::path(get, path = "/v1/manager/payouts", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<fairtill_protocol::Payout>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn payouts(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<fairtill_protocol::Payout>>, ApiError> {
    let charging = state
        .charging
        .as_ref()
        .ok_or_else(super::payments::no_processor)?;
    Ok(ApiJson(
        charging
            .processor()
            .payouts()
            .await
            .map_err(super::payments::processor_error)?,
    ))
}

/// Which of the processor's settled money to match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FetchQuery {
    /// How many hours apart a suggestion's sides may be (1 to 720; default 48).
    #[param(minimum = 1, maximum = 720)]
    pub window_hours: Option<u32>,
    /// Only transactions of this event are candidates.
    #[param(format = Uuid)]
    pub event: Option<String>,
}

/// Fetch what the card processor settled since the last fetch (its balance entries: payments
/// in, refunds out) and match it like a settlement file; charges and refunds made through
/// Fairtill match by the processor's own id.
#[utoipa::path(post, path = "/v1/manager/settlements/processor", tag = "manager", params(FetchQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = SettlementReport),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn fetch(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiQuery(q): ApiQuery<FetchQuery>,
) -> Result<ApiJson<SettlementReport>, ApiError> {
    let charging = state
        .charging
        .as_ref()
        .ok_or_else(super::payments::no_processor)?;
    let (window_hours, event_id) = matching_scope(q.window_hours, q.event.as_deref())?;
    // Entries recorded in the same second as the newest one taken are listed again; those
    // already imported are skipped by id.
    let since = state
        .storage
        .last_settled_at()
        .await?
        .and_then(|t| t.checked_sub(jiff::SignedDuration::from_hours(1)).ok());
    let processor = charging.processor();
    let entries = processor
        .settled(since)
        .await
        .map_err(super::payments::processor_error)?;
    Ok(ApiJson(
        state
            .storage
            .import_processor_balance(
                processor.name(),
                entries,
                window_hours,
                event_id,
                manager,
                (state.now)(),
            )
            .await?,
    ))
}
