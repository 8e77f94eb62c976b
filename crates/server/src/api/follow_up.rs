//! Charges the server makes on its own, as managers steer them (scheduled charges of an order's
//! balance, the follow-up of declined payments) and the customer's update-your-card page that
//! the follow-up's message links to.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use fairtill_core::ids::OrderId;
use fairtill_protocol::{ErrorBody, FollowUp, RescheduleRequest, ScheduleRequest, ScheduledCharge};
use serde::Deserialize;
use uuid::Uuid;

use super::card_form::{form_page, html};
use super::error::ApiError;
use super::request::{ApiJson, ApiPath, ApiQuery, AuthManager};
use super::AppState;

/// Which of them to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhichQuery {
    /// Every one, also those that ended (default: only those still waiting or open).
    #[serde(default)]
    pub all: bool,
}

fn wake(state: &AppState) {
    if let Some(c) = &state.charging {
        c.wake();
    }
}

/// Scheduled charges, latest first.
#[utoipa::path(get, path = "/v1/manager/scheduled-charges", tag = "manager", params(WhichQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<ScheduledCharge>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn scheduled(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<WhichQuery>,
) -> Result<ApiJson<Vec<ScheduledCharge>>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .scheduled_charges(q.all, (state.now)())
            .await?,
    ))
}

/// Schedules an order's balance to be charged to a customer's saved card at a time.
#[utoipa::path(post, path = "/v1/manager/orders/{id}/scheduled-charges", tag = "manager",
    params(("id" = String, Path, format = Uuid)), request_body = ScheduleRequest,
    security(("manager_token" = [])),
    responses((status = 200, body = ScheduledCharge), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn schedule(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(order): ApiPath<OrderId>,
    ApiJson(req): ApiJson<ScheduleRequest>,
) -> Result<ApiJson<ScheduledCharge>, ApiError> {
    let card = req
        .card_id
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let made = state
        .storage
        .schedule_charge(
            order,
            req.customer_id,
            card,
            req.charge_at,
            manager,
            (state.now)(),
        )
        .await?;
    wake(&state);
    Ok(ApiJson(made))
}

/// Moves a scheduled charge to another time, while it waits.
#[utoipa::path(patch, path = "/v1/manager/scheduled-charges/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid)), request_body = RescheduleRequest,
    security(("manager_token" = [])),
    responses((status = 200, body = ScheduledCharge), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn reschedule(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RescheduleRequest>,
) -> Result<ApiJson<ScheduledCharge>, ApiError> {
    let changed = state
        .storage
        .change_schedule(id, Some(req.charge_at), manager, (state.now)())
        .await?;
    wake(&state);
    Ok(ApiJson(changed))
}

/// Cancels a scheduled charge, while it waits.
#[utoipa::path(post, path = "/v1/manager/scheduled-charges/{id}/cancel", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = ScheduledCharge), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<ScheduledCharge>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .change_schedule(id, None, manager, (state.now)())
            .await?,
    ))
}

/// Follow-ups of declined payments, newest first, each with every attempt and message.
#[utoipa::path(get, path = "/v1/manager/follow-ups", tag = "manager", params(WhichQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<FollowUp>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn follow_ups(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<WhichQuery>,
) -> Result<ApiJson<Vec<FollowUp>>, ApiError> {
    Ok(ApiJson(
        state.storage.follow_ups(q.all, (state.now)()).await?,
    ))
}

/// One follow-up.
#[utoipa::path(get, path = "/v1/manager/follow-ups/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = FollowUp), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn follow_up(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<FollowUp>, ApiError> {
    Ok(ApiJson(state.storage.follow_up(id, (state.now)()).await?))
}

/// Ends a follow-up: no more attempts are made.
#[utoipa::path(post, path = "/v1/manager/follow-ups/{id}/end", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = FollowUp), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn end(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<FollowUp>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .end_follow_up(id, manager, (state.now)())
            .await?,
    ))
}

fn no_link() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>Link not valid</title><p>This link no longer works: the payment was settled, or the link is too old. Please contact the shop.</p>"),
    )
        .into_response()
}

/// The customer's update-your-card page, from the follow-up's message: the processor's card
/// form for a new card, which replaces their old one; the follow-up then tries again at once.
pub async fn update_card(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Response {
    let (Some(charging), Some(form)) = (&state.charging, &state.card_form) else {
        return no_link();
    };
    if token.len() > 100
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return no_link();
    }
    let valid = charging.follow_up_policy().link_valid;
    let update = match state.storage.card_update(token, valid, (state.now)()).await {
        Ok(Some(update)) => update,
        Ok(None) => return no_link(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let setup = match super::payments::begin_setup(&state, charging, update.customer).await {
        Ok(setup) => setup,
        Err(e) => return e.into_response(),
    };
    let intro = match update.due {
        Some(due) => format!(
            "Your last payment of {due} for order {} was declined. Save another card and we will charge it right away.",
            html(&update.receipt)
        ),
        None => "Save another card for your future payments.".to_string(),
    };
    let body = form_page(
        form,
        &setup.id,
        Some(&setup.client_secret),
        "Update your card",
        &intro,
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(body),
    )
        .into_response()
}
