//! The HTTP API devices use: enroll, push, pull, status.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fairtill_protocol::{
    check_client_version, DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode,
    PullRequest, PullResponse, PushRequest, PushResponse, API_VERSION_HEADER, MAX_BATCH,
    MAX_BODY_BYTES,
};

use crate::auth;
use crate::storage::{Device, Storage, StorageError};

/// An error response: a status and `{ code, message }`.
#[derive(Debug)]
pub struct ApiError(StatusCode, ErrorBody);

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(
            status,
            ErrorBody {
                code,
                message: message.into(),
            },
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::UnknownCode | StorageError::CodeExpired | StorageError::CodeUsed => {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthorized,
                    e.to_string(),
                )
            }
            StorageError::AlreadyEnrolled(_) => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Forbidden, e.to_string())
            }
            StorageError::UnknownDevice(_) => {
                ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, e.to_string())
            }
            StorageError::Backend(detail) => {
                eprintln!("storage error: {detail}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server could not complete the request; try again shortly",
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "the request is larger than {} bytes; send smaller batches",
                        MAX_BODY_BYTES
                    ),
                )
            }
            other => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                other.body_text(),
            ),
        }
    }
}

fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let header = headers
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    check_client_version(header).map(|_| ()).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::VersionMismatch,
            e.to_string(),
        )
    })
}

/// Shared state: the storage backend.
pub struct AppState<S> {
    /// Storage.
    pub storage: S,
    /// The clock (fixed in some tests).
    pub now: fn() -> jiff::Timestamp,
}

/// An enrolled, unrevoked device, from its bearer token.
pub struct AuthDevice(pub Device);

impl<S: Storage> FromRequestParts<Arc<AppState<S>>> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        check_version(&parts.headers)?;
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthorized,
                    "this request needs a device token; enroll the device first",
                )
            })?;
        match state.storage.authenticate(auth::hash(token)).await? {
            Some(device) => Ok(AuthDevice(device)),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "this device's token is not valid (revoked or unknown); enroll it again with a new code",
            )),
        }
    }
}

async fn enroll<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Result<Json<EnrollResponse>, ApiError> {
    check_version(&headers)?;
    let Json(req) = body?;
    let code = auth::normalize_code(&req.code);
    if code.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "type the enrollment code the manager gave you",
        ));
    }
    let token = auth::new_token();
    let device = state
        .storage
        .enroll(
            auth::hash(&code),
            req.device_id,
            req.device_code,
            auth::hash(&token),
            (state.now)(),
        )
        .await?;
    Ok(Json(EnrollResponse {
        device_id: device.id,
        name: device.name,
        token,
    }))
}

async fn push<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    AuthDevice(device): AuthDevice,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let Json(req) = body?;
    if req.records.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!(
                "{} records in one push; send at most {MAX_BATCH}",
                req.records.len()
            ),
        ));
    }
    let results = state
        .storage
        .push(device.id, req.records, (state.now)())
        .await?;
    Ok(Json(PushResponse { results }))
}

async fn pull<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    AuthDevice(device): AuthDevice,
    body: Result<Json<PullRequest>, JsonRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Json(req) = body?;
    let after = match req.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "that pull cursor is not valid; pull again without one",
            )
        })?,
    };
    let page = state
        .storage
        .pull(device.id, req.event_id, after, req.limit)
        .await?;
    Ok(Json(PullResponse {
        records: page.records,
        cursor: page.last_seq.to_string(),
        more: page.more,
    }))
}

async fn status<S: Storage>(
    State(state): State<Arc<AppState<S>>>,
    AuthDevice(device): AuthDevice,
) -> Result<Json<DeviceStatus>, ApiError> {
    Ok(Json(state.storage.status(device.id).await?))
}

/// The device API.
pub fn router<S: Storage>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/v1/enroll", post(enroll::<S>))
        .route("/v1/push", post(push::<S>))
        .route("/v1/pull", post(pull::<S>))
        .route("/v1/status", get(status::<S>))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
