//! The close-out endpoints: an event's figures per device and staff member, cash sessions and
//! open authorizations, as JSON or as CSV for accounting.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use fairtill_core::ids::{DeviceId, EventId};
use fairtill_core::ledger::CurrencySummary;
use fairtill_core::money::Money;
use fairtill_protocol::{CloseOut, CloseOutPart, ErrorBody, EventSummary, HourlySales};
use serde::Deserialize;
use utoipa::IntoParams;

use super::csv_file::csv_file;
use super::error::ApiError;
use super::request::{ApiJson, ApiQuery, AuthManager};
use super::AppState;
use crate::storage::CloseOutFilter;
use fairtill_protocol::{blank, ExportQuery};

/// Which close-out.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CloseOutQuery {
    /// The event id (required).
    #[param(required = true, format = Uuid)]
    pub event: Option<String>,
    /// Only this device.
    #[param(format = Uuid)]
    pub device: Option<String>,
    /// Only this staff member.
    pub staff: Option<String>,
    /// For the CSV: `figures` (default), `sessions` or `authorizations`.
    #[param(pattern = r"^\s*(figures|sessions|authorizations)?\s*$")]
    pub part: Option<String>,
}

impl CloseOutQuery {
    fn filter(&self) -> Result<CloseOutFilter, ApiError> {
        let event = blank(&self.event)
            .ok_or_else(|| ApiError::bad_request("say which event to close out (event=<id>)"))?;
        Ok(CloseOutFilter {
            event_id: event
                .parse::<EventId>()
                .map_err(|_| ApiError::bad_request(format!("{event:?} is not an event id")))?,
            device_id: blank(&self.device)
                .map(|d| {
                    d.parse::<DeviceId>()
                        .map_err(|_| ApiError::bad_request(format!("{d:?} is not a device id")))
                })
                .transpose()?,
            staff: blank(&self.staff).map(str::to_string),
        })
    }
}

/// The events transactions were recorded at, newest first, with their names where the server
/// has the event.
#[utoipa::path(get, path = "/v1/manager/events", tag = "manager",
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<EventSummary>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn events(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
) -> Result<ApiJson<Vec<EventSummary>>, ApiError> {
    Ok(ApiJson(state.storage.events().await?))
}

/// An event's close-out: the whole event, each device, each staff member (per currency and
/// payment method), discounts, cash sessions with over/short, and open authorizations.
#[utoipa::path(get, path = "/v1/manager/closeout", tag = "manager", params(CloseOutQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = CloseOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn close_out(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<CloseOutQuery>,
) -> Result<ApiJson<CloseOut>, ApiError> {
    Ok(ApiJson(
        state.storage.close_out(q.filter()?, (state.now)()).await?,
    ))
}

/// Sales and refunds per hour of an event, per till, staff member, method and currency: what
/// the manager's charts draw.
#[utoipa::path(get, path = "/v1/manager/sales-by-hour", tag = "manager", params(CloseOutQuery),
    security(("manager_token" = [])),
    responses((status = 200, body = Vec<HourlySales>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn sales_by_hour(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<CloseOutQuery>,
) -> Result<ApiJson<Vec<HourlySales>>, ApiError> {
    Ok(ApiJson(state.storage.sales_by_hour(q.filter()?).await?))
}

/// The close-out as CSV: `part=figures` (one row per part, method and currency),
/// `part=sessions` or `part=authorizations`.
#[utoipa::path(get, path = "/v1/manager/closeout.csv", tag = "manager", params(CloseOutQuery, ExportQuery),
    security(("manager_token" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn close_out_csv(
    State(state): State<Arc<AppState>>,
    AuthManager(_): AuthManager,
    ApiQuery(q): ApiQuery<CloseOutQuery>,
    ApiQuery(export): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let part = blank(&q.part).unwrap_or("figures").to_string();
    let write: fn(&CloseOut) -> Result<Vec<u8>, csv::Error> = match part.as_str() {
        "figures" => figures_csv,
        "sessions" => sessions_csv,
        "authorizations" => authorizations_csv,
        other => {
            return Err(ApiError::bad_request(format!(
                "part {other:?} is not one of figures, sessions, authorizations"
            )))
        }
    };
    let close_out = state.storage.close_out(q.filter()?, (state.now)()).await?;
    let body = write(&close_out).map_err(ApiError::internal)?;
    Ok(csv_file(
        export,
        &format!("fairtill-closeout-{part}.csv"),
        &body,
    ))
}

/// The figure columns of a close-out CSV, after part, name, method and currency.
const FIGURES: [&str; 14] = [
    "gross_sales",
    "authorized",
    "captured",
    "refunded",
    "refund_pending",
    "voided",
    "canceled",
    "credited",
    "net",
    "approved",
    "declined",
    "abandoned",
    "discounts",
    "over_short",
];

fn figures(
    c: &CurrencySummary,
    discounts: Option<&Money>,
    over_short: Option<&Money>,
) -> Vec<String> {
    let opt = |m: Option<&Money>| m.map(|m| m.amount_string()).unwrap_or_default();
    vec![
        c.gross_sales.amount_string(),
        c.authorized.amount_string(),
        c.captured.amount_string(),
        c.refunded.amount_string(),
        c.refund_pending.amount_string(),
        c.voided.amount_string(),
        c.canceled.amount_string(),
        c.credited.amount_string(),
        c.net.amount_string(),
        c.approved_count.to_string(),
        c.declined_count.to_string(),
        c.abandoned_count.to_string(),
        opt(discounts),
        opt(over_short),
    ]
}

fn figures_csv(close_out: &CloseOut) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["part", "name", "method", "currency"];
    header.extend(FIGURES);
    w.write_record(&header)?;
    let mut write_part = |kind: &str, p: &CloseOutPart| -> Result<(), csv::Error> {
        for c in &p.summary.currencies {
            let in_currency =
                |list: &[Money]| list.iter().find(|m| m.currency() == c.currency).copied();
            let mut row = vec![
                kind.to_string(),
                p.label.clone(),
                "all".to_string(),
                c.currency.code().to_string(),
            ];
            row.extend(figures(
                c,
                in_currency(&p.discounts).as_ref(),
                in_currency(&p.over_short).as_ref(),
            ));
            w.write_record(&row)?;
            for m in &p.by_method {
                for mc in m.currencies.iter().filter(|mc| mc.currency == c.currency) {
                    let mut row = vec![
                        kind.to_string(),
                        p.label.clone(),
                        m.method.clone(),
                        c.currency.code().to_string(),
                    ];
                    row.extend(figures(mc, None, None));
                    w.write_record(&row)?;
                }
            }
        }
        Ok(())
    };
    write_part("event", &close_out.whole)?;
    for p in &close_out.devices {
        write_part("device", p)?;
    }
    for p in &close_out.staff {
        write_part("staff", p)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn sessions_csv(close_out: &CloseOut) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "session",
        "device",
        "opened_at",
        "opened_by",
        "currency",
        "float",
        "closed_at",
        "closed_by",
        "expected",
        "counted",
        "over_short",
        "note",
    ])?;
    for s in &close_out.sessions {
        let c = s.close.as_ref();
        let money = |f: fn(&fairtill_core::till::TillClose) -> Money| {
            c.map(|c| f(c).amount_string()).unwrap_or_default()
        };
        w.write_record([
            s.id.to_string(),
            s.device_name.clone(),
            s.opened_at.to_string(),
            s.opened_by.clone(),
            s.float.currency().code().to_string(),
            s.float.amount_string(),
            c.map(|c| c.closed_at.to_string()).unwrap_or_default(),
            c.map(|c| c.closed_by.clone()).unwrap_or_default(),
            money(|c| c.expected),
            money(|c| c.counted),
            money(|c| c.over_short),
            c.and_then(|c| c.note.clone()).unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn authorizations_csv(close_out: &CloseOut) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "transaction",
        "receipt",
        "device",
        "staff",
        "currency",
        "authorized",
        "captured",
        "remaining",
        "expires_at",
        "expires_soon",
    ])?;
    for a in &close_out.open_authorizations {
        w.write_record([
            a.transaction_id.to_string(),
            a.receipt.clone().unwrap_or_default(),
            a.device_name.clone(),
            a.staff.clone(),
            a.amount.currency().code().to_string(),
            a.amount.amount_string(),
            a.captured.amount_string(),
            a.remaining.amount_string(),
            a.expires_at.to_string(),
            if a.expires_soon { "yes" } else { "no" }.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
