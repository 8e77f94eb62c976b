//! The HTTP API: the device endpoints (enroll, push, pull, status), the manager endpoints, and
//! the OpenAPI document generated from them (`/openapi.json`).

mod approval;
mod automations;
mod card_form;
mod closeout;
mod commissions;
mod csv_file;
mod customers;
mod device;
mod error;
mod follow_up;
mod health;
mod manager;
mod openapi;
mod payments;
mod receipts;
mod request;
mod settlement;
mod webhooks;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::{get, post};
use axum::{Json, Router};
use fairtill_protocol::MAX_BODY_BYTES;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::charging::Charging;
use crate::metrics::Metrics;
use crate::storage::{Storage, Throttle};
use crate::webhooks::Deliverer;

pub use error::ApiError;
pub use openapi::ApiDoc;
pub use payments::CardForm;
pub use receipts::{check_email, render as render_receipt, ReceiptSettings};

/// The header that carries a request's id: set by the server when the client sent none, and
/// returned on every answer so a client's report can be found in the server's log.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A span per request: method, path (never the query string, which may hold a customer's
/// name or email) and request id. Handlers' own spans and events nest inside it.
fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

/// Shared state: the storage backend, the card processor's runner and settings, the clock.
pub struct AppState {
    /// Storage.
    pub storage: Storage,
    /// Carries out charges and refunds at the processor, when one is set up.
    pub charging: Option<Arc<Charging>>,
    /// The processor's card form (publishable key and script), when set up.
    pub card_form: Option<CardForm>,
    /// The processor's webhook signing secret, when set up.
    pub webhook_secret: Option<String>,
    /// Sends the webhooks managers registered for (woken after a push).
    pub webhooks: Option<Arc<Deliverer>>,
    /// The seller and templates of receipts by email.
    pub receipts: Arc<ReceiptSettings>,
    /// The clock (fixed in some tests).
    pub now: fn() -> jiff::Timestamp,
    /// How failed manager sign-ins slow down the next ones.
    pub throttle: Throttle,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none: the peer is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
}

/// The whole API.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/enroll", post(device::enroll))
        .route("/v1/push", post(device::push))
        .route("/v1/pull", post(device::pull))
        .route("/v1/status", get(device::status))
        .route("/v1/payments/{id}", get(payments::progress))
        .route(
            "/v1/customers/{id}/card-setups",
            post(payments::start_card_setup),
        )
        .route(
            "/v1/card-setups/{id}/finish",
            post(payments::finish_card_setup),
        )
        .route("/v1/processor/webhook", post(payments::webhook))
        .route("/card-form/{id}", get(card_form::page))
        .route("/card-form/{id}/finish", post(card_form::finish))
        .route("/approve/{token}", get(approval::page))
        .route("/approve/{token}/done", post(approval::done))
        .route("/v1/manager/login", post(manager::login))
        .route("/v1/manager/logout", post(manager::logout))
        .route("/v1/manager/devices", get(manager::devices))
        .route("/v1/manager/transactions", get(manager::transactions))
        .route("/v1/manager/transactions.csv", get(manager::export_csv))
        .route("/v1/manager/summary", get(manager::summary))
        .route("/v1/manager/orders/{id}", get(manager::order))
        .route(
            "/v1/manager/orders/{id}/receipt-emails",
            post(receipts::email),
        )
        .route("/v1/manager/conflicts", get(manager::conflicts))
        .route(
            "/v1/manager/conflicts/{id}/resolve",
            post(manager::resolve_conflict),
        )
        .route("/v1/manager/audit", get(manager::audit_log))
        .route("/v1/manager/events", get(closeout::events))
        .route("/v1/manager/closeout", get(closeout::close_out))
        .route("/v1/manager/closeout.csv", get(closeout::close_out_csv))
        .route("/v1/manager/sales-by-hour", get(closeout::sales_by_hour))
        .route(
            "/v1/manager/settlements",
            get(settlement::imports)
                .post(settlement::import)
                .layer(DefaultBodyLimit::max(settlement::MAX_FILE_BYTES)),
        )
        .route("/v1/manager/settlements/processor", post(settlement::fetch))
        .route("/v1/manager/payouts", get(settlement::payouts))
        .route("/v1/manager/settlements/{id}", get(settlement::report))
        .route(
            "/v1/manager/settlements/{id}/rows/{line}",
            post(settlement::decide),
        )
        .route(
            "/v1/manager/settlement-formats",
            get(settlement::formats_list).post(settlement::save_format),
        )
        .route("/v1/manager/catalog", post(manager::publish))
        .route("/v1/manager/scheduled-charges", get(follow_up::scheduled))
        .route(
            "/v1/manager/orders/{id}/scheduled-charges",
            post(follow_up::schedule),
        )
        .route(
            "/v1/manager/scheduled-charges/{id}",
            axum::routing::patch(follow_up::reschedule),
        )
        .route(
            "/v1/manager/scheduled-charges/{id}/cancel",
            post(follow_up::cancel),
        )
        .route("/v1/manager/customers", get(customers::find))
        .route("/v1/manager/customers/{id}", get(customers::record))
        .route("/v1/manager/follow-ups", get(follow_up::follow_ups))
        .route("/v1/manager/follow-ups/{id}", get(follow_up::follow_up))
        .route("/v1/manager/follow-ups/{id}/end", post(follow_up::end))
        .route("/update-card/{token}", get(follow_up::update_card))
        .route(
            "/v1/manager/webhooks",
            get(webhooks::list).post(webhooks::add),
        )
        .route(
            "/v1/manager/webhooks/{id}",
            axum::routing::patch(webhooks::change),
        )
        .route(
            "/v1/manager/webhooks/{id}/rotate-secret",
            post(webhooks::rotate),
        )
        .route(
            "/v1/manager/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/v1/manager/webhook-deliveries/{id}/resend",
            post(webhooks::resend),
        )
        .route(
            "/v1/manager/automations",
            get(automations::list).post(automations::add),
        )
        .route(
            "/v1/manager/automations/{id}",
            axum::routing::patch(automations::change),
        )
        .route(
            "/v1/manager/commission-rules",
            get(commissions::rules).post(commissions::add_rule),
        )
        .route(
            "/v1/manager/commission-rules/{id}/retire",
            post(commissions::retire_rule),
        )
        .route("/v1/manager/commission-runs", post(commissions::run))
        .route(
            "/v1/manager/commission-runs/{id}",
            get(commissions::get_run),
        )
        .route(
            "/v1/manager/commission-runs/{id}/csv",
            get(commissions::run_csv_file),
        )
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            health::measure,
        ))
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static(
            REQUEST_ID_HEADER,
        )))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(
            HeaderName::from_static(REQUEST_ID_HEADER),
            MakeRequestUuid,
        ))
        .with_state(state)
}
