//! The manager endpoints: sign in, then every device's transactions (filtered list, summary,
//! CSV export), devices, the conflict queue with resolution, and the audit log.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fairtill_core::filter::{Page, TxFilter};
use fairtill_core::ledger::{Summary, TxKind, TxResult};
use fairtill_core::money::Currency;
use fairtill_core::Timestamp;
use fairtill_protocol::{
    ErrorBody, ErrorCode, LoginRequest, LoginResponse, ManagerOrder, PushRequest, PushResponse,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::{blank, check_batch, check_version, version_and_token, ApiError};
use super::AppState;
use crate::auth;
use crate::storage::{AuditEntry, Conflict, ConflictFilter, Device, ServerFilter};

/// How long a manager's sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in manager, from their bearer token.
pub struct AuthManager(pub String);

impl FromRequestParts<Arc<AppState>> for AuthManager {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = version_and_token(&parts.headers, "sign in as a manager first")?;
        let hash = auth::hash(token);
        if let Some(name) = state
            .storage
            .authenticate_manager(hash.clone(), (state.now)())
            .await?
        {
            return Ok(AuthManager(name));
        }
        if state.storage.authenticate(hash).await?.is_some() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "a device token cannot use manager endpoints; sign in as a manager",
            ));
        }
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "that manager sign-in is not valid or has expired; sign in again",
        ))
    }
}

/// Sign in as a manager.
#[utoipa::path(post, path = "/v1/manager/login", tag = "manager", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    check_version(&headers)?;
    let Json(req) = body?;
    let name = req.name.trim().to_string();
    let stored = state.storage.manager_password_hash(name.clone()).await?;
    let password = req.password;
    let ok =
        tokio::task::spawn_blocking(move || auth::verify_password(&password, stored.as_deref()))
            .await
            .map_err(|e| ApiError::from(crate::storage::StorageError::Backend(e.to_string())))?;
    if !ok {
        return Err(crate::storage::StorageError::BadLogin.into());
    }
    let now = (state.now)();
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS))
        .map_err(|e| ApiError::from(crate::storage::StorageError::Backend(e.to_string())))?;
    let token = auth::new_token();
    state
        .storage
        .add_manager_token(name.clone(), auth::hash(&token), now, expires_at)
        .await?;
    Ok(Json(LoginResponse {
        token,
        name,
        expires_at,
    }))
}

/// Every enrolled device.
#[utoipa::path(get, path = "/v1/manager/devices", tag = "manager", security(("manager_token" = [])),
    responses((status = 200, body = Vec<Device>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn devices(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<Json<Vec<Device>>, ApiError> {
    Ok(Json(state.storage.devices().await?))
}

/// The filters of the transaction list. Lists are comma-separated.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Created at or after (RFC 3339).
    pub from: Option<String>,
    /// Created before (RFC 3339).
    pub to: Option<String>,
    /// Event id.
    pub event: Option<String>,
    /// Device id.
    pub device: Option<String>,
    /// Staff member.
    pub staff: Option<String>,
    /// Kinds: authorize, capture, sale, void, refund, credit.
    pub kind: Option<String>,
    /// Results: approved, declined, abandoned, canceled, unknown.
    pub result: Option<String>,
    /// ISO 4217 currency code.
    pub currency: Option<String>,
    /// cash, card, external or marked_paid.
    pub method: Option<String>,
    /// Text in the customer, receipt or external reference.
    pub text: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// Rows per page (1–1000, default 100).
    pub limit: Option<usize>,
}

fn list_of<T>(
    text: &Option<String>,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ApiError> {
    blank(text)
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    parse(s).ok_or_else(|| ApiError::bad_request(format!("{s:?} is not a {what}")))
                })
                .collect()
        })
        .unwrap_or_else(|| Ok(Vec::new()))
}

fn time_of(text: &Option<String>, what: &str) -> Result<Option<Timestamp>, ApiError> {
    blank(text)
        .map(|t| {
            t.parse::<Timestamp>().map_err(|_| {
                ApiError::bad_request(format!(
                    "{what} {t:?} is not a time; use RFC 3339, e.g. 2026-11-22T09:00:00Z"
                ))
            })
        })
        .transpose()
}

fn id_of<T: std::str::FromStr>(text: &Option<String>, what: &str) -> Result<Option<T>, ApiError> {
    blank(text)
        .map(|t| {
            t.parse::<T>()
                .map_err(|_| ApiError::bad_request(format!("{t:?} is not a {what} id")))
        })
        .transpose()
}

impl ListQuery {
    /// The storage filter, with every field checked.
    pub fn filter(&self) -> Result<ServerFilter, ApiError> {
        let currency = blank(&self.currency)
            .map(|c| {
                Currency::from_code(&c.to_ascii_uppercase())
                    .map_err(|_| ApiError::bad_request(format!("{c:?} is not a currency code")))
            })
            .transpose()?;
        let base = TxFilter {
            from: time_of(&self.from, "from")?,
            to: time_of(&self.to, "to")?,
            event_id: id_of(&self.event, "event")?,
            staff: blank(&self.staff).map(str::to_string),
            kinds: list_of(&self.kind, "transaction kind", TxKind::parse)?,
            results: list_of(&self.result, "result", TxResult::parse)?,
            currency,
            method: blank(&self.method).map(str::to_string),
            text: blank(&self.text).map(str::to_string),
        };
        base.method()
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(ServerFilter {
            base,
            device_id: id_of(&self.device, "device")?,
        })
    }
}

/// Every device's transactions, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/manager/transactions", tag = "manager", params(ListQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Page),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn transactions(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(q) = query?;
    let filter = q.filter()?;
    let page = state
        .storage
        .transactions(
            filter,
            blank(&q.after).map(str::to_string),
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(page))
}

/// The per-currency summary of the filtered transactions.
#[utoipa::path(get, path = "/v1/manager/summary", tag = "manager", params(ListQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Summary),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn summary(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Summary>, ApiError> {
    let Query(q) = query?;
    Ok(Json(
        state.storage.summary(q.filter()?, (state.now)()).await?,
    ))
}

/// Rows read per page while streaming the export.
const EXPORT_PAGE: usize = 1000;

/// The filtered transactions as CSV (RFC 4180), newest first, streamed with no row cap.
#[utoipa::path(get, path = "/v1/manager/transactions.csv", tag = "manager", params(ListQuery),
    security(("manager_token" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let filter = q.filter()?;
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
        loop {
            let chunk = match csv_chunk(&page, header) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("export: {e}");
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
                    eprintln!("export stopped: {e}");
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
    params(("id" = String, Path, description = "The order id")),
    security(("manager_token" = [])),
    responses((status = 200, body = ManagerOrder), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn order(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    Path(id): Path<String>,
) -> Result<Json<ManagerOrder>, ApiError> {
    let order_id = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not an order id")))?;
    Ok(Json(state.storage.order(order_id, (state.now)()).await?))
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
pub async fn conflicts(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    query: Result<Query<ConflictQuery>, QueryRejection>,
) -> Result<Json<Vec<Conflict>>, ApiError> {
    let Query(q) = query?;
    let filter = ConflictFilter {
        include_resolved: q.include_resolved,
        device_id: id_of(&q.device, "device")?,
    };
    Ok(Json(state.storage.conflicts(filter).await?))
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
    params(("id" = String, Path, description = "The conflict id")),
    security(("manager_token" = [])),
    responses((status = 200, body = Conflict), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve_conflict(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    Path(id): Path<String>,
    body: Result<Json<ResolveRequest>, JsonRejection>,
) -> Result<Json<Conflict>, ApiError> {
    let id: Uuid = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not a conflict id")))?;
    let Json(req) = body?;
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
    Ok(Json(
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
    pub limit: Option<usize>,
}

/// What managers did, newest first.
#[utoipa::path(get, path = "/v1/manager/audit", tag = "manager", params(AuditQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<AuditEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let Query(q) = query?;
    Ok(Json(state.storage.audit_log(q.limit.unwrap_or(200)).await?))
}

/// Publish events and catalog products to every device (a new version replaces the old).
#[utoipa::path(post, path = "/v1/manager/catalog", tag = "manager", request_body = PushRequest,
    security(("manager_token" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let Json(req) = body?;
    check_batch(req.records.len())?;
    let results = state
        .storage
        .publish(manager, req.records, (state.now)())
        .await?;
    Ok(Json(PushResponse { results }))
}
