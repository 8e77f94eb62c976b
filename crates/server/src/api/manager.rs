//! The manager endpoints: sign in, then every device's transactions (filtered list, summary,
//! CSV export), devices, the conflict queue with resolution, and the audit log.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fairtill_core::filter::Page;
use fairtill_core::ledger::Summary;
use fairtill_protocol::{
    id_of, ErrorBody, ExportQuery, ListFilter, ListQuery, LoginRequest, LoginResponse,
    ManagerOrder, PushRequest, PushResponse,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::ApiError;
use super::request::{
    check_batch, ApiJson, ApiPath, ApiQuery, ApiVersion, AuthManager, BearerToken, ClientAddress,
};
use super::AppState;
use crate::auth;
use crate::storage::{AuditEntry, Conflict, ConflictFilter, Device, Gate, ServerFilter};
use fairtill_protocol::blank;

/// How long a manager's sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// Sign in as a manager. Failed attempts slow down the next ones, per name and per address:
/// after the free ones, each must wait (429 with `Retry-After`) twice as long as the last.
#[utoipa::path(post, path = "/v1/manager/login", tag = "manager", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    _: ApiVersion,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<ApiJson<LoginResponse>, ApiError> {
    let name = req.name.trim().to_string();
    let now = (state.now)();
    let gate = state
        .storage
        .sign_in_attempt(name.clone(), address.clone(), now, state.throttle)
        .await?;
    if let Gate::Wait(wait) = gate {
        tracing::warn!(%address, "sign-in refused: too many failed attempts");
        let seconds = u64::try_from(wait.as_millis()).map_or(u64::MAX, |ms| ms.div_ceil(1000));
        return Err(ApiError::too_many_attempts(seconds));
    }
    let stored = state.storage.manager_password_hash(name.clone()).await?;
    let password = req.password;
    let ok =
        tokio::task::spawn_blocking(move || auth::verify_password(&password, stored.as_deref()))
            .await
            .map_err(ApiError::internal)?;
    if !ok {
        tracing::info!(%address, "sign-in failed");
        state.storage.sign_in_failed(name, address, now).await?;
        return Err(crate::storage::StorageError::BadLogin.into());
    }
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS))
        .map_err(ApiError::internal)?;
    let token = auth::new_token();
    state
        .storage
        .signed_in(name.clone(), address, auth::hash(&token), now, expires_at)
        .await?;
    Ok(ApiJson(LoginResponse {
        token,
        name,
        expires_at,
    }))
}

/// Sign out: the token stops working at once, on every server process. A token that is not
/// valid (expired, or signed out before) is a 401.
#[utoipa::path(post, path = "/v1/manager/logout", tag = "manager", security(("manager_token" = [])),
    responses((status = 204, description = "Signed out"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    BearerToken(token): BearerToken,
) -> Result<axum::http::StatusCode, ApiError> {
    match state
        .storage
        .sign_out(auth::hash(&token), (state.now)())
        .await?
    {
        Some(_) => Ok(axum::http::StatusCode::NO_CONTENT),
        None => Err(ApiError::new(
            fairtill_protocol::ErrorCode::Unauthorized,
            "that manager sign-in is not valid or has expired; there is nothing to sign out",
        )),
    }
}

/// Every enrolled device.
#[utoipa::path(get, path = "/v1/manager/devices", tag = "manager", security(("manager_token" = [])),
    responses((status = 200, body = Vec<Device>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn devices(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<Device>>, ApiError> {
    Ok(ApiJson(state.storage.devices().await?))
}

/// The storage filter of a list query, with every field checked.
fn list_filter(q: &ListQuery) -> Result<ServerFilter, ApiError> {
    let ListFilter { base, device_id } = q.filter().map_err(ApiError::bad_request)?;
    Ok(ServerFilter { base, device_id })
}

/// Every device's transactions, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/manager/transactions", tag = "manager", params(ListQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Page),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn transactions(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<ApiJson<Page>, ApiError> {
    let filter = list_filter(&q)?;
    let page = state
        .storage
        .transactions(
            filter,
            blank(&q.after).map(str::to_string),
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(ApiJson(page))
}

/// The per-currency summary of the filtered transactions.
#[utoipa::path(get, path = "/v1/manager/summary", tag = "manager", params(ListQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Summary),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn summary(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<ApiJson<Summary>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .summary(list_filter(&q)?, (state.now)())
            .await?,
    ))
}

/// Rows read per page while streaming the export.
const EXPORT_PAGE: usize = 1000;

/// The filtered transactions as CSV (RFC 4180), newest first, streamed with no row cap.
#[utoipa::path(get, path = "/v1/manager/transactions.csv", tag = "manager", params(ListQuery, ExportQuery),
    security(("manager_token" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn export_csv(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(export): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let filter = list_filter(&q)?;
    // The first page is read before answering, so a bad filter is a 400, not a broken body.
    let first = state
        .storage
        .transactions(filter.clone(), None, EXPORT_PAGE)
        .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(4);
    let storage = state.storage.clone();
    tokio::spawn(async move {
        let mut page = first;
        let mut header = true;
        let preamble = export.made_for().preamble();
        if !preamble.is_empty() && tx.send(Ok(Bytes::from_static(preamble))).await.is_err() {
            return;
        }
        loop {
            let chunk = match csv_chunk(&page, header) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "export could not write a page");
                    return;
                }
            };
            header = false;
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return; // the client went away
            }
            let Some(next) = page.next.clone() else {
                return;
            };
            page = match storage
                .transactions(filter.clone(), Some(next), EXPORT_PAGE)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    // Ending early would look like a complete file: leave it visibly cut.
                    tracing::error!(error = %e, "export stopped: a page could not be read");
                    let _ = tx
                        .send(Ok(Bytes::from_static(
                            b"\nEXPORT FAILED: the server could not read further rows\n",
                        )))
                        .await;
                    return;
                }
            };
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"fairtill-transactions.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

fn csv_chunk(page: &Page, header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(fairtill_core::filter::EXPORT_HEADER)?;
    }
    for row in &page.rows {
        w.write_record(row.csv_record())?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// One order with its whole history across tills: lines, customer, every transaction and
/// result change, status and balances, and the conflicts raised on it.
#[utoipa::path(get, path = "/v1/manager/orders/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid, description = "The order id")),
    security(("manager_token" = [])),
    responses((status = 200, body = ManagerOrder), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn order(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<ManagerOrder>, ApiError> {
    let order_id = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not an order id")))?;
    Ok(ApiJson(state.storage.order(order_id, (state.now)()).await?))
}

/// Which conflicts to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictQuery {
    /// Include resolved conflicts.
    #[serde(default)]
    pub include_resolved: bool,
    /// Only those involving this device.
    pub device: Option<String>,
}

/// The conflicts raised at sync, newest first, each with both sides.
#[utoipa::path(get, path = "/v1/manager/conflicts", tag = "manager", params(ConflictQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<Conflict>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn conflicts(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<ConflictQuery>,
) -> Result<ApiJson<Vec<Conflict>>, ApiError> {
    let filter = ConflictFilter {
        include_resolved: q.include_resolved,
        device_id: id_of(&q.device, "device").map_err(ApiError::bad_request)?,
    };
    Ok(ApiJson(state.storage.conflicts(filter).await?))
}

/// How a conflict was resolved.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveRequest {
    /// What was done, e.g. "refund B reversed at the terminal".
    pub note: String,
    /// A correction to record with it: void this transaction (one of the conflict's sides).
    #[serde(default)]
    pub void: Option<String>,
}

/// Mark a conflict resolved with a note; the audit log keeps it.
#[utoipa::path(post, path = "/v1/manager/conflicts/{id}/resolve", tag = "manager", request_body = ResolveRequest,
    params(("id" = String, Path, format = Uuid, description = "The conflict id")),
    security(("manager_token" = [])),
    responses((status = 200, body = Conflict), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn resolve_conflict(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<ApiJson<Conflict>, ApiError> {
    let id: Uuid = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not a conflict id")))?;
    let void = req
        .void
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("{v:?} is not a transaction id")))
        })
        .transpose()?;
    Ok(ApiJson(
        state
            .storage
            .resolve_conflict(id, manager, req.note, void, (state.now)())
            .await?,
    ))
}

/// How much of the audit log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Most entries (default 200).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

/// What managers did, newest first.
#[utoipa::path(get, path = "/v1/manager/audit", tag = "manager", params(AuditQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<AuditEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<ApiJson<Vec<AuditEntry>>, ApiError> {
    Ok(ApiJson(
        state.storage.audit_log(q.limit.unwrap_or(200)).await?,
    ))
}

/// Publish events and catalog products to every device (a new version replaces the old).
#[utoipa::path(post, path = "/v1/manager/catalog", tag = "manager", request_body = PushRequest,
    security(("manager_token" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<ApiJson<PushResponse>, ApiError> {
    check_batch(req.records.len())?;
    let results = state
        .storage
        .publish(manager, req.records, (state.now)())
        .await?;
    Ok(ApiJson(PushResponse { results }))
}
