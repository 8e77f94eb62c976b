//! Error responses: a status and `{ code, message }`, in words the reader can act on.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fairtill_protocol::{
    check_client_version, ErrorBody, ErrorCode, API_VERSION_HEADER, MAX_BATCH, MAX_BODY_BYTES,
};

use crate::storage::StorageError;

/// An error response.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub ErrorBody);

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(
            status,
            ErrorBody {
                code,
                message: message.into(),
            },
        )
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }
}

/// A query or body field with its spaces trimmed, or `None` when it is missing or blank.
pub fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        let (status, code) = match &e {
            StorageError::UnknownCode
            | StorageError::CodeExpired
            | StorageError::CodeUsed
            | StorageError::BadLogin => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            StorageError::AlreadyEnrolled(_)
            | StorageError::ManagerExists(_)
            | StorageError::AlreadyResolved(_) => (StatusCode::CONFLICT, ErrorCode::Forbidden),
            StorageError::UnknownDevice(_)
            | StorageError::UnknownConflict(_)
            | StorageError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            StorageError::Invalid(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            StorageError::Backend(detail) => {
                eprintln!("storage error: {detail}");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server could not complete the request; try again shortly",
                );
            }
        };
        ApiError::new(status, code, e.to_string())
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
                        "the request is larger than {MAX_BODY_BYTES} bytes; send smaller batches"
                    ),
                )
            }
            other => ApiError::bad_request(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request(r.body_text())
    }
}

/// Checks the client's API version header.
pub fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
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

/// The bearer token of a request.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The version check and the bearer token every authenticated endpoint starts with; `missing`
/// says what to do when there is no token.
pub fn version_and_token<'a>(headers: &'a HeaderMap, missing: &str) -> Result<&'a str, ApiError> {
    check_version(headers)?;
    bearer(headers)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, missing))
}

/// Refuses a batch of more than [`MAX_BATCH`] records.
pub fn check_batch(records: usize) -> Result<(), ApiError> {
    if records > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("{records} records at once; send at most {MAX_BATCH}"),
        ));
    }
    Ok(())
}
