//! The device endpoints: enroll with a one-time code, push, pull and status.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use fairtill_protocol::{
    DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, PullRequest, PullResponse,
    PushRequest, PushResponse,
};

use super::error::{check_batch, check_version, version_and_token, ApiError};
use super::AppState;
use crate::auth;
use crate::storage::Device;

/// An enrolled, unrevoked device, from its bearer token.
pub struct AuthDevice(pub Device);

impl FromRequestParts<Arc<AppState>> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = version_and_token(
            &parts.headers,
            "this request needs a device token; enroll the device first",
        )?;
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

/// Trade a one-time enrollment code for a device token.
#[utoipa::path(post, path = "/v1/enroll", tag = "device", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enroll(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Result<Json<EnrollResponse>, ApiError> {
    check_version(&headers)?;
    let Json(req) = body?;
    let code = auth::normalize_code(&req.code);
    if code.is_empty() {
        return Err(ApiError::bad_request(
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

/// Push a batch of records; each is answered (stored, already had, invalid, conflict).
#[utoipa::path(post, path = "/v1/push", tag = "device", request_body = PushRequest,
    security(("device_token" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn push(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let Json(req) = body?;
    check_batch(req.records.len())?;
    let results = state
        .storage
        .push(device.id, req.records, (state.now)())
        .await?;
    Ok(Json(PushResponse { results }))
}

/// Pull offers, the catalog, events and the device's event's records from other devices.
#[utoipa::path(post, path = "/v1/pull", tag = "device", request_body = PullRequest,
    security(("device_token" = [])),
    responses((status = 200, body = PullResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn pull(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
    body: Result<Json<PullRequest>, JsonRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Json(req) = body?;
    let after = match req.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::bad_request("that pull cursor is not valid; pull again without one")
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

/// What the server knows of the calling device: name, last push, open conflicts.
#[utoipa::path(get, path = "/v1/status", tag = "device",
    security(("device_token" = [])),
    responses((status = 200, body = DeviceStatus), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
) -> Result<Json<DeviceStatus>, ApiError> {
    Ok(Json(state.storage.status(device.id).await?))
}
