//! Webhook endpoints as managers register and watch them: register, change (turn off and on),
//! rotate the secret, list deliveries with every attempt, and send one again.

use std::sync::Arc;

use axum::extract::State;
use fairtill_protocol::{
    DeliveryState, ErrorBody, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint,
    WebhookEndpointChange, WebhookSecret,
};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;
use super::request::{ApiJson, ApiPath, ApiQuery, AuthManager};
use super::AppState;
use crate::storage::{NewEndpoint, StorageError};
use crate::webhooks::{check_secret, check_url, new_secret, EndpointError, OLD_SECRET_VALID};

impl From<EndpointError> for ApiError {
    fn from(e: EndpointError) -> Self {
        StorageError::Invalid(e.0).into()
    }
}

fn wake(state: &AppState) {
    if let Some(w) = &state.webhooks {
        w.wake();
    }
}

/// Which deliveries to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only those in this state.
    pub state: Option<DeliveryState>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Every registered endpoint, with its deliveries counted by state.
#[utoipa::path(get, path = "/v1/manager/webhooks", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<WebhookEndpoint>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<WebhookEndpoint>>, ApiError> {
    Ok(ApiJson(state.storage.webhooks((state.now)()).await?))
}

/// Registers an endpoint. The answer holds its signing secret, shown this once.
#[utoipa::path(post, path = "/v1/manager/webhooks", tag = "manager",
    request_body = NewWebhookEndpoint,
    security(("manager_token" = [])),
    responses((status = 200, body = WebhookSecret), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiJson(req): ApiJson<NewWebhookEndpoint>,
) -> Result<ApiJson<WebhookSecret>, ApiError> {
    let url = check_url(&req.url).await?;
    let secret = match req
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => check_secret(s)?,
        None => new_secret(),
    };
    let new = NewEndpoint {
        url,
        description: req.description.unwrap_or_default().trim().to_string(),
        events: req.events,
        secret,
    };
    Ok(ApiJson(
        state
            .storage
            .add_webhook(new, manager, (state.now)())
            .await?,
    ))
}

/// Changes an endpoint: its address, description or events, or turns it off or on again
/// (turned on, what was stopped meanwhile is sent).
#[utoipa::path(patch, path = "/v1/manager/webhooks/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid)), request_body = WebhookEndpointChange,
    security(("manager_token" = [])),
    responses((status = 200, body = WebhookEndpoint), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn change(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(mut req): ApiJson<WebhookEndpointChange>,
) -> Result<ApiJson<WebhookEndpoint>, ApiError> {
    if let Some(url) = &req.url {
        req.url = Some(check_url(url).await?);
    }
    let changed = state
        .storage
        .change_webhook(id, req, manager, (state.now)())
        .await?;
    wake(&state);
    Ok(ApiJson(changed))
}

/// Gives an endpoint a new signing secret, shown this once. Deliveries carry a signature by
/// the old secret as well for the next 24 hours, so the receiver can switch without refusing
/// any.
#[utoipa::path(post, path = "/v1/manager/webhooks/{id}/rotate-secret", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = WebhookSecret), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn rotate(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<WebhookSecret>, ApiError> {
    let now = (state.now)();
    let until = now.saturating_add(OLD_SECRET_VALID).unwrap_or(now);
    Ok(ApiJson(
        state
            .storage
            .rotate_webhook_secret(id, new_secret(), until, manager, now)
            .await?,
    ))
}

/// An endpoint's latest deliveries, newest first, each with every attempt.
#[utoipa::path(get, path = "/v1/manager/webhooks/{id}/deliveries", tag = "manager",
    params(("id" = String, Path, format = Uuid), DeliveriesQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn deliveries(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<ApiJson<Vec<WebhookDelivery>>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .webhook_deliveries(id, q.state, q.limit.unwrap_or(100), (state.now)())
            .await?,
    ))
}

/// Sends a delivery again now, with the same `webhook-id`, from the start of the retry
/// schedule.
#[utoipa::path(post, path = "/v1/manager/webhook-deliveries/{id}/resend", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = WebhookDelivery), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn resend(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<WebhookDelivery>, ApiError> {
    let again = state
        .storage
        .resend_webhook(id, manager, (state.now)())
        .await?;
    wake(&state);
    Ok(ApiJson(again))
}
