//! Automations as managers set them: list, add (its email checked to render), turn off and on.
//! Runs show in each order's history (`ManagerOrder.automations`).

use std::sync::Arc;

use axum::extract::State;
use fairtill_protocol::{Automation, AutomationChange, ErrorBody, NewAutomation};
use uuid::Uuid;

use super::error::ApiError;
use super::request::{ApiJson, ApiPath, AuthManager};
use super::AppState;
use crate::storage::StorageError;

/// Every automation, newest first, with the orders each ran for counted.
#[utoipa::path(get, path = "/v1/manager/automations", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<Automation>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<Automation>>, ApiError> {
    Ok(ApiJson(state.storage.automations().await?))
}

/// Adds an automation: after an approved payment for an order holding the product (or every
/// line of the offer), email the customer and/or call a registered webhook endpoint, once per
/// order. An email whose template does not render is refused.
#[utoipa::path(post, path = "/v1/manager/automations", tag = "manager",
    request_body = NewAutomation,
    security(("manager_token" = [])),
    responses((status = 200, body = Automation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiJson(new): ApiJson<NewAutomation>,
) -> Result<ApiJson<Automation>, ApiError> {
    if let Some(email) = &new.email {
        crate::automations::check(email).map_err(StorageError::Invalid)?;
    }
    Ok(ApiJson(
        state
            .storage
            .add_automation(new, manager, (state.now)())
            .await?,
    ))
}

/// Turns an automation off or on. Off, it runs for nothing; turned on again, it does not catch
/// up on what sold meanwhile.
#[utoipa::path(patch, path = "/v1/manager/automations/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid)), request_body = AutomationChange,
    security(("manager_token" = [])),
    responses((status = 200, body = Automation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn change(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<AutomationChange>,
) -> Result<ApiJson<Automation>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .change_automation(id, change, manager, (state.now)())
            .await?,
    ))
}
