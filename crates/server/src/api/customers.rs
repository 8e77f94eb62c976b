//! The manager's customer lookup: find a customer by name, email or phone, and open their
//! record across tills (details, cards, orders, follow-ups).

use std::sync::Arc;

use axum::extract::State;
use fairtill_core::ids::CustomerId;
use fairtill_protocol::{CustomerMatch, CustomerRecord, ErrorBody};
use serde::Deserialize;

use super::error::ApiError;
use super::request::{ApiJson, ApiPath, ApiQuery, AuthManager};
use super::AppState;

/// What to look for.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Part of a name, email or phone number, any case (empty: the most recently changed).
    #[serde(default)]
    pub q: String,
}

/// Customers whose name, email or phone holds the text.
#[utoipa::path(get, path = "/v1/manager/customers", tag = "manager", params(CustomerQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<CustomerMatch>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn find(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> Result<ApiJson<Vec<CustomerMatch>>, ApiError> {
    if q.q.chars().count() > 200 {
        return Err(ApiError::bad_request("search for at most 200 characters"));
    }
    Ok(ApiJson(state.storage.find_customers(q.q).await?))
}

/// One customer's record across tills.
#[utoipa::path(get, path = "/v1/manager/customers/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = CustomerRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn record(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<CustomerId>,
) -> Result<ApiJson<CustomerRecord>, ApiError> {
    Ok(ApiJson(
        state.storage.customer_record(id, (state.now)()).await?,
    ))
}
