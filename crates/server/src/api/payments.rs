//! The endpoints where tills ask about money that moves: how a charge or refund stands (waiting
//! for the answer, for a moment, so the till shows it on the receipt screen), saving a card
//! through the processor's own form, and the processor's webhook.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use fairtill_core::customer::SavedCard;
use fairtill_core::ids::{CustomerId, TxId};
use fairtill_core::ledger::TxResult;
use fairtill_protocol::{CardSetupStart, ErrorBody, ErrorCode, PaymentProgress};
use serde::Deserialize;

use super::error::ApiError;
use super::request::{ApiJson, ApiPath, ApiQuery, AuthDevice};
use super::AppState;
use crate::charging::Charging;
use crate::processor::{CardSetup, CustomerRef, ProcessorError, SetupOutcome};
use crate::storage::JobState;

/// Longest a till may wait for a charge's answer in one request.
pub const MAX_WAIT_MS: u64 = 10_000;

/// How long to wait for an answer.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WaitQuery {
    /// Milliseconds to wait for the processor's answer before answering with where it stands
    /// (0 to 10000; default 0).
    #[serde(default)]
    pub wait_ms: u64,
}

/// The card form settings of the processor, for pages and tills that show the form.
#[derive(Debug, Clone)]
pub struct CardForm {
    /// The processor's publishable key.
    pub publishable_key: String,
    /// Its card form script (Stripe.js).
    pub script_url: String,
}

pub(super) fn no_processor() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "this server has no card processor set up; the operator sets its secret key \
         (FAIRTILL_STRIPE_SECRET_KEY) and restarts it",
    )
}

fn charging(state: &AppState) -> Result<&Arc<Charging>, ApiError> {
    state.charging.as_ref().ok_or_else(no_processor)
}

pub(super) fn processor_error(e: ProcessorError) -> ApiError {
    match e {
        ProcessorError::Unreachable(detail) => {
            tracing::info!(%detail, "processor unreachable");
            ApiError::new(
                ErrorCode::Busy,
                "the card processor cannot be reached just now; try again in a moment",
            )
        }
        ProcessorError::Refused(words) => {
            ApiError::bad_request(format!("the card processor refused: {words}"))
        }
        ProcessorError::Protocol(detail) => ApiError::internal(detail),
    }
}

fn settled(p: &PaymentProgress) -> bool {
    match p.state {
        JobState::Done | JobState::Approval | JobState::Pending => true,
        JobState::Due => p.result != TxResult::Unknown,
    }
}

/// Where a charge or refund made on this till stands, waiting up to `wait_ms` for the
/// processor's answer. The result itself reaches the till as a result change when it pulls.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "device", params(("id" = String, Path, format = Uuid), WaitQuery),
    security(("device_token" = [])),
    responses((status = 200, body = PaymentProgress), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn progress(
    State(state): State<Arc<AppState>>,
    AuthDevice(device): AuthDevice,
    ApiPath(id): ApiPath<TxId>,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> Result<ApiJson<PaymentProgress>, ApiError> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(q.wait_ms.min(MAX_WAIT_MS));
    loop {
        let mut now = state.storage.payment_progress(device.id, id).await?;
        if state.charging.is_none() && now.state == JobState::Due {
            now.message = Some(no_processor().body.message);
        }
        if settled(&now) || tokio::time::Instant::now() >= deadline {
            return Ok(ApiJson(now));
        }
        // Woken when this process records an answer; another process's answer is seen at
        // the next look.
        match &state.charging {
            Some(c) => {
                tokio::select! {
                    () = c.answered() => {}
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
            None => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Begins saving a card for a customer (the till must have synced the customer): finish it in
/// the processor's card form with the answer, then `POST /v1/card-setups/{id}/finish`.
#[utoipa::path(post, path = "/v1/customers/{id}/card-setups", tag = "device", params(("id" = String, Path, format = Uuid)),
    security(("device_token" = [])),
    responses((status = 200, body = CardSetupStart), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn start_card_setup(
    State(state): State<Arc<AppState>>,
    _: AuthDevice,
    ApiPath(id): ApiPath<CustomerId>,
) -> Result<ApiJson<CardSetupStart>, ApiError> {
    let charging = charging(&state)?;
    let form = state.card_form.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Conflict,
            "this server has no publishable key for the card form \
             (FAIRTILL_STRIPE_PUBLISHABLE_KEY)",
        )
    })?;
    let setup = begin_setup(&state, charging, id).await?;
    Ok(ApiJson(CardSetupStart {
        form_path: format!(
            "{}#{}",
            super::card_form::path_of(&setup.id),
            setup.client_secret
        ),
        setup_id: setup.id,
        client_secret: setup.client_secret,
        publishable_key: form.publishable_key,
        script_url: form.script_url,
    }))
}

/// Makes the customer's processor account if they have none, and a setup for a new card.
pub(super) async fn begin_setup(
    state: &AppState,
    charging: &Charging,
    id: CustomerId,
) -> Result<CardSetup, ApiError> {
    let processor = charging.processor();
    let account = state.storage.customer_account(id).await?;
    let customer = match account.processor_ref {
        Some(r) => r,
        None => {
            let made = processor
                .create_customer(
                    &id.to_string(),
                    account.name.as_deref(),
                    account.email.as_deref(),
                )
                .await
                .map_err(processor_error)?;
            state.storage.set_processor_ref(id, made.0).await?
        }
    };
    let setup = processor
        .start_card_setup(&CustomerRef(customer))
        .await
        .map_err(processor_error)?;
    state
        .storage
        .add_card_setup(setup.id.clone(), id, (state.now)())
        .await?;
    Ok(setup)
}

/// Saves the card a finished setup holds as the customer's default; the cards it replaces are
/// detached at the processor. Saving the same setup again answers the same card.
#[utoipa::path(post, path = "/v1/card-setups/{id}/finish", tag = "device", params(("id" = String, Path)),
    security(("device_token" = [])),
    responses((status = 200, body = SavedCard), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn finish_card_setup(
    State(state): State<Arc<AppState>>,
    _: AuthDevice,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<SavedCard>, ApiError> {
    Ok(ApiJson(finish_setup(&state, id).await?))
}

/// Finishes setup `id`: the card is recorded and the customer's older cards removed.
pub(crate) async fn finish_setup(state: &AppState, id: String) -> Result<SavedCard, ApiError> {
    let charging = charging(state)?;
    let processor = charging.processor();
    let customer = state.storage.card_setup_customer(id.clone()).await?;
    let account = state.storage.customer_account(customer).await?;
    let reference = CustomerRef(account.processor_ref.ok_or_else(|| {
        ApiError::internal(format!(
            "customer {customer} has a card setup but no account"
        ))
    })?);
    let card = match processor
        .finish_card_setup(&id, &reference)
        .await
        .map_err(processor_error)?
    {
        SetupOutcome::Saved(card) => card,
        SetupOutcome::Unfinished => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "the card form has not been finished yet",
            ))
        }
        SetupOutcome::Failed(words) => {
            return Err(ApiError::bad_request(format!(
                "the card was not saved: {words}"
            )))
        }
    };
    let older: Vec<String> = state
        .storage
        .cards_of(customer)
        .await?
        .into_iter()
        .map(|c| c.id)
        .filter(|c| *c != card.id)
        .collect();
    let saved = SavedCard {
        id: card.id,
        customer_id: customer,
        brand: card.brand,
        last4: card.last4,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        saved_at: (state.now)(),
    };
    // Recorded first: a card detached at the processor but still on file would fail later
    // charges, while a detach that fails leaves a card merely unused.
    state
        .storage
        .save_card(id, saved.clone(), older.clone(), (state.now)())
        .await?;
    for old in older {
        if let Err(e) = processor.remove_card(&old).await {
            tracing::warn!(card = %old, error = %e, "a replaced card could not be detached");
        }
    }
    Ok(state
        .storage
        .cards_of(customer)
        .await?
        .into_iter()
        .find(|c| c.id == saved.id)
        .unwrap_or(saved))
}

/// The processor's notice that something changed (Stripe's webhook, `Stripe-Signature`
/// verified). It decides nothing: it wakes the server to ask the processor itself, so a forged
/// or replayed event can at most cause one extra look.
#[utoipa::path(post, path = "/v1/processor/webhook", tag = "processor", request_body(content = String, content_type = "application/json"),
    responses((status = 200, description = "received"), (status = 400, body = ErrorBody)))]
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(), ApiError> {
    let Some(secret) = &state.webhook_secret else {
        return Err(ApiError::bad_request(
            "this server takes no processor webhooks (FAIRTILL_STRIPE_WEBHOOK_SECRET is not set)",
        ));
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    crate::processor::webhook::verify(secret, signature, &body, (state.now)())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(c) = &state.charging {
        c.wake();
    }
    Ok(())
}
