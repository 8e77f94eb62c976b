//! Error responses: `{ code, message }` in words the reader can act on, with the HTTP status
//! that belongs to the code ([`ErrorCode::status`]).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fairtill_protocol::{ErrorBody, ErrorCode, MAX_BODY_BYTES};

use crate::storage::StorageError;

/// Seconds a client is asked to wait when the server is busy.
const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// What the client reads.
    pub body: ErrorBody,
    /// Seconds to wait before trying again, sent as `Retry-After` (busy: a short default).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            body: ErrorBody {
                code,
                message: message.into(),
            },
            retry_after: None,
        }
    }

    /// Too many failed sign-ins: try again after `seconds`.
    pub fn too_many_attempts(seconds: u64) -> Self {
        let wait = match seconds {
            0..=1 => "a second".to_string(),
            2..=119 => format!("{seconds} seconds"),
            _ => format!("{} minutes", seconds.div_ceil(60)),
        };
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..ApiError::new(
                ErrorCode::TooManyAttempts,
                format!("too many failed sign-ins; try again in {wait}"),
            )
        }
    }

    /// A malformed request or a refused value.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    /// The server failed; the detail goes to the log, the client is told to try again.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "request failed");
        ApiError::new(
            ErrorCode::Internal,
            "the server could not complete the request; try again shortly",
        )
    }
}

/// Logged by its code alone: the message may quote what the client typed (a customer's name
/// or email in a search), and no customer data belongs in a log.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.body.code)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.body.code.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = match self.body.code {
            ErrorCode::Busy => Some(self.retry_after.unwrap_or(BUSY_RETRY_AFTER_SECS)),
            _ => self.retry_after,
        };
        let mut response = (status, Json(self.body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        let code = match &e {
            StorageError::UnknownCode
            | StorageError::CodeExpired
            | StorageError::CodeUsed
            | StorageError::BadLogin => ErrorCode::Unauthorized,
            StorageError::AlreadyEnrolled(_)
            | StorageError::ManagerExists(_)
            | StorageError::AlreadyResolved(_) => ErrorCode::Conflict,
            StorageError::UnknownDevice(_)
            | StorageError::UnknownConflict(_)
            | StorageError::NotFound(_) => ErrorCode::NotFound,
            StorageError::Invalid(_) => ErrorCode::BadRequest,
            StorageError::Busy(detail) => {
                tracing::warn!(%detail, "database busy");
                ErrorCode::Busy
            }
            StorageError::Backend(detail) => return ApiError::internal(detail),
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(
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

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request(r.body_text())
    }
}
