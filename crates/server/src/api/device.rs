//! The device endpoints: enroll with a one-time code, push, pull and status.

use std::sync::Arc;

use axum::extract::State;
use fairtill_protocol::{
    DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, PullRequest, PullResponse, PushRequest,
    PushResponse,
};

use super::error::ApiError;
use super::request::{check_batch, ApiJson, ApiVersion, AuthDevice};
use super::AppState;
use crate::auth;

/// Trade a one-time enrollment code for a device token.
#[utoipa::path(post, path = "/v1/enroll", tag = "device", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn enroll(
    State(state): State<Arc<AppState>>,
    _: ApiVersion,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<ApiJson<EnrollResponse>, ApiError> {
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
    Ok(ApiJson(EnrollResponse {
        device_id: device.id,
        name: device.name,
        token,
    }))
}

/// Push a batch of records; each is answered (stored, already had, invalid, conflict).
#[utoipa::path(post, path = "/v1/push", tag = "device", request_body = PushRequest,
    security(("device_token" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn push(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<ApiJson<PushResponse>, ApiError> {
    check_batch(req.records.len())?;
    let results = state
        .storage
        .push(device.id, req.records, (state.now)())
        .await?;
    state.metrics.pushed(&results);
    // A charge or refund just stored is sent at once, not at the next poll.
    if let Some(charging) = &state.charging {
        charging.wake();
    }
    // And so are the webhooks it queued.
    if let Some(webhooks) = &state.webhooks {
        webhooks.wake();
    }
    Ok(ApiJson(PushResponse { results }))
}

/// Pull offers, the catalog, events and the device's event's records from other devices.
#[utoipa::path(post, path = "/v1/pull", tag = "device", request_body = PullRequest,
    security(("device_token" = [])),
    responses((status = 200, body = PullResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn pull(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
    ApiJson(req): ApiJson<PullRequest>,
) -> Result<ApiJson<PullResponse>, ApiError> {
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
    Ok(ApiJson(PullResponse {
        records: page.records,
        cursor: page.last_seq.to_string(),
        more: page.more,
    }))
}

/// What the server knows of the calling device: name, last push, open conflicts.
#[utoipa::path(get, path = "/v1/status", tag = "device",
    security(("device_token" = [])),
    responses((status = 200, body = DeviceStatus), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn status(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
) -> Result<ApiJson<DeviceStatus>, ApiError> {
    Ok(ApiJson(state.storage.status(device.id).await?))
}
