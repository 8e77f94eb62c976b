//! What every request is read with: one extractor per kind of request, each rejecting with the
//! API's own `{ code, message }` body (never axum's plain-text rejections), and the helpers
//! they share (API version, bearer token, batch size).
//!
//! - [`ApiJson`] and [`ApiQuery`]: a JSON body and a query string.
//! - [`ApiVersion`]: an unauthenticated request (enroll, sign-in) that speaks our API version.
//! - [`AuthDevice`] and [`AuthManager`]: a device's or a manager's bearer token, after the
//!   version check.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fairtill_protocol::{check_client_version, ErrorCode, API_VERSION_HEADER, MAX_BATCH};
use serde::Serialize;

use super::error::ApiError;
use super::AppState;
use crate::auth;
use crate::storage::Device;

/// A JSON body; a malformed one is a 400 (413 when too large) with the API's error body.
/// Also the JSON answer of every handler.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string; a malformed one is a 400 with the API's error body.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A request that says it speaks this server's API version (the header
/// [`API_VERSION_HEADER`]); any other is told what to update.
#[derive(Debug, Clone, Copy)]
pub struct ApiVersion;

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        check_version(&parts.headers).map(|()| ApiVersion)
    }
}

/// Checks the client's API version header.
fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let header = headers
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    check_client_version(header)
        .map(|_| ())
        .map_err(|e| ApiError::new(e.code(), e.to_string()))
}

/// The bearer token of a request.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The version check and the bearer token every authenticated endpoint starts with; `missing`
/// says what to do when there is no token.
fn version_and_token<'a>(headers: &'a HeaderMap, missing: &str) -> Result<&'a str, ApiError> {
    check_version(headers)?;
    bearer(headers).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, missing))
}

/// Refuses a batch of more than [`MAX_BATCH`] records.
pub fn check_batch(records: usize) -> Result<(), ApiError> {
    if records > MAX_BATCH {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("{records} records at once; send at most {MAX_BATCH}"),
        ));
    }
    Ok(())
}

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
                ErrorCode::Unauthorized,
                "this device's token is not valid (revoked or unknown); enroll it again with a new code",
            )),
        }
    }
}

/// A signed-in manager (their name), from their bearer token.
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
                ErrorCode::Forbidden,
                "a device token cannot use manager endpoints; sign in as a manager",
            ));
        }
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "that manager sign-in is not valid or has expired; sign in again",
        ))
    }
}
