//! Commissions as managers set and report them: rules (list, add, retire), runs of the report
//! for a period (each kept and compared with the last run of the same period), and a run as CSV.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use fairtill_protocol::{
    CommissionPeriod, CommissionRule, CommissionRun, ErrorBody, ExportQuery, NewCommissionRule,
};
use uuid::Uuid;

use super::csv_file::csv_file;
use super::error::ApiError;
use super::request::{ApiJson, ApiPath, ApiQuery, AuthManager};
use super::AppState;

/// Every commission rule, newest first, retired ones too.
#[utoipa::path(get, path = "/v1/manager/commission-rules", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<CommissionRule>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn rules(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<CommissionRule>>, ApiError> {
    Ok(ApiJson(state.storage.commission_rules().await?))
}

/// Adds a commission rule: a percentage of net sales for a staff member or a referrer, over
/// every line or a product's or an offer's.
#[utoipa::path(post, path = "/v1/manager/commission-rules", tag = "manager",
    request_body = NewCommissionRule,
    security(("manager_token" = [])),
    responses((status = 200, body = CommissionRule), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn add_rule(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiJson(new): ApiJson<NewCommissionRule>,
) -> Result<ApiJson<CommissionRule>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .add_commission_rule(new, manager, (state.now)())
            .await?,
    ))
}

/// Retires a rule: runs from now on leave it out.
#[utoipa::path(post, path = "/v1/manager/commission-rules/{id}/retire", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = CommissionRule), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn retire_rule(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<CommissionRule>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .retire_commission_rule(id, manager, (state.now)())
            .await?,
    ))
}

/// Runs the commission report for a period, from the orders as they stand now (refunds, voids
/// and write-offs since the sale count against it), and says what changed since the last run
/// of the same period.
#[utoipa::path(post, path = "/v1/manager/commission-runs", tag = "manager",
    request_body = CommissionPeriod,
    security(("manager_token" = [])),
    responses((status = 200, body = CommissionRun), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn run(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiJson(period): ApiJson<CommissionPeriod>,
) -> Result<ApiJson<CommissionRun>, ApiError> {
    Ok(ApiJson(
        state
            .storage
            .run_commissions(period, manager, (state.now)())
            .await?,
    ))
}

/// A kept run.
#[utoipa::path(get, path = "/v1/manager/commission-runs/{id}", tag = "manager",
    params(("id" = String, Path, format = Uuid)),
    security(("manager_token" = [])),
    responses((status = 200, body = CommissionRun), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn get_run(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<CommissionRun>, ApiError> {
    Ok(ApiJson(state.storage.commission_run(id).await?))
}

/// The columns of a run's CSV: amounts as plain decimals, the currency beside them.
pub const CSV_HEADER: [&str; 13] = [
    "beneficiary",
    "receipt",
    "order_id",
    "sold_at",
    "currency",
    "rate_percent",
    "sold",
    "paid",
    "voided",
    "refunded",
    "written_off",
    "net_sales",
    "commission",
];

fn run_csv(run: &CommissionRun) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for l in &run.lines {
        let a = &l.amounts;
        w.write_record([
            l.beneficiary.clone(),
            l.receipt.clone(),
            l.order_id.to_string(),
            l.sold_at.to_string(),
            a.net.currency().code().to_string(),
            l.rate.clone(),
            a.sold.amount_string(),
            a.paid.amount_string(),
            a.voided.amount_string(),
            a.refunded.amount_string(),
            a.written_off.amount_string(),
            a.net.amount_string(),
            a.commission.amount_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A kept run as CSV, a line per order and rule.
#[utoipa::path(get, path = "/v1/manager/commission-runs/{id}/csv", tag = "manager",
    params(("id" = String, Path, format = Uuid), ExportQuery),
    security(("manager_token" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn run_csv_file(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(export): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let run = state.storage.commission_run(id).await?;
    let body = run_csv(&run).map_err(ApiError::internal)?;
    Ok(csv_file(
        export,
        &format!("fairtill-commissions-{id}.csv"),
        &body,
    ))
}
