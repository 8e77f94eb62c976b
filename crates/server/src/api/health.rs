//! What an operator's monitoring asks: `/healthz` (the process answers), `/readyz` (its
//! database answers, with the schema this server expects) and `/metrics` (Prometheus).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fairtill_protocol::{ErrorBody, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::request::ApiJson;
use super::AppState;

/// The longest a readiness check waits for the database.
const READY_WITHIN: Duration = Duration::from_secs(3);

/// The answer of a health or readiness check.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `alive` or `ready`.
    pub status: &'static str,
    /// The database's schema version (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<i64>,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
}

/// The process is alive and answering.
#[utoipa::path(get, path = "/healthz", tag = "operator",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> ApiJson<Health> {
    ApiJson(Health {
        status: "alive",
        schema_version: None,
        backend: None,
    })
}

/// The server can serve: its database answers within 3 seconds and has the schema this
/// server expects (503 otherwise, saying why).
#[utoipa::path(get, path = "/readyz", tag = "operator",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> Result<ApiJson<Health>, ApiError> {
    let not_ready = |message: String| ApiError::new(ErrorCode::Busy, message);
    let versions = tokio::time::timeout(READY_WITHIN, state.storage.schema_versions())
        .await
        .map_err(|_| not_ready("the database did not answer within 3 seconds".into()))?
        .map_err(|e| {
            tracing::warn!(error = %e, "readiness: the database failed");
            not_ready("the database does not answer; see the server's log".into())
        })?;
    if versions.database != versions.server {
        return Err(not_ready(format!(
            "the database has schema version {}, this server expects {}: run the server of the same version as the database",
            versions.database, versions.server
        )));
    }
    Ok(ApiJson(Health {
        status: "ready",
        schema_version: Some(versions.database),
        backend: Some(state.storage.backend_name()),
    }))
}

/// Prometheus metrics (OpenMetrics text): requests by route and status, push and pull
/// latency, records pushed by outcome, conflicts raised, queue depths.
#[utoipa::path(get, path = "/metrics", tag = "operator",
    responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let depths = match state.storage.queue_depths().await {
        Ok(d) => d,
        Err(e) => {
            // The rest is still worth reporting; the depths keep their last values.
            tracing::warn!(error = %e, "metrics: the queue depths could not be read");
            Vec::new()
        }
    };
    let text = state.metrics.encode(&depths).map_err(ApiError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Counts every request by its route's pattern and status, and times pushes and pulls.
pub async fn measure(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    state
        .metrics
        .request(&method, &route, res.status().as_u16(), start.elapsed());
    res
}
