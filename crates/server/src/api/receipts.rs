//! Receipts by email from the Manager workspace: queue an order's receipt (its PDF attached)
//! for the customer's address or one the manager types, to send again or for the first time.

use std::sync::Arc;

use axum::extract::State;
use fairtill_core::ids::OrderId;
use fairtill_protocol::{ErrorBody, Notification, ReceiptEmailRequest};

use super::error::ApiError;
use super::request::{ApiJson, ApiPath, AuthManager};
use super::AppState;
use crate::receipts::{pdf, templates::Templates, Receipt, Seller};
use crate::storage::{ReceiptMessage, StorageError};

/// How receipts are written: the seller on every receipt and the operator's templates.
#[derive(Debug)]
pub struct ReceiptSettings {
    /// The seller.
    pub seller: Seller,
    /// The templates.
    pub templates: Templates,
    /// The time zone a receipt's time is given in.
    pub zone: jiff::tz::TimeZone,
}

/// Checks an email address as the mail server will need it.
pub fn check_email(text: &str) -> Result<String, StorageError> {
    let text = text.trim();
    text.parse::<lettre::Address>()
        .map(|_| text.to_string())
        .map_err(|e| StorageError::Invalid(format!("{text:?} is not an email address ({e})")))
}

/// Renders `view`'s receipt email with `settings`.
pub fn render(
    settings: &ReceiptSettings,
    view: &fairtill_core::ledger::OrderView,
) -> Result<ReceiptMessage, StorageError> {
    let receipt = Receipt::of_in(view, &settings.seller, &settings.zone);
    let m = settings.templates.render(&receipt).map_err(|e| {
        StorageError::Invalid(format!("the receipt's template does not render: {e}"))
    })?;
    Ok(ReceiptMessage {
        subject: m.subject,
        text: m.text,
        html: m.html,
        file_name: format!("receipt-{}.pdf", receipt.number),
        pdf: pdf::render(&receipt),
    })
}

/// Queues an order's receipt by email, its PDF attached: to the address given, or else the
/// order's customer's.
#[utoipa::path(post, path = "/v1/manager/orders/{id}/receipt-emails", tag = "manager",
    params(("id" = String, Path, format = Uuid)), request_body = ReceiptEmailRequest,
    security(("manager_token" = [])),
    responses((status = 200, body = Notification), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn email(
    State(state): State<Arc<AppState>>,
    AuthManager(manager): AuthManager,
    ApiPath(order): ApiPath<OrderId>,
    ApiJson(req): ApiJson<ReceiptEmailRequest>,
) -> Result<ApiJson<Notification>, ApiError> {
    let now = (state.now)();
    let typed = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let email = match typed {
        Some(e) => e.to_string(),
        None => state
            .storage
            .order(order, now)
            .await?
            .view
            .order
            .draft
            .customer
            .and_then(|c| c.email)
            .ok_or_else(|| {
                StorageError::Invalid(
                    "this order has no customer email: type the address to send it to".into(),
                )
            })?,
    };
    let email = check_email(&email)?;
    let settings = Arc::clone(&state.receipts);
    let queued = state
        .storage
        .queue_receipt(
            order,
            email,
            manager,
            move |view| render(&settings, view),
            now,
        )
        .await?;
    Ok(ApiJson(queued))
}
