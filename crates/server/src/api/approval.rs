//! The approval page: a payment to a card on file that the customer's bank wants them to
//! approve (3-D Secure) is approved here, on the customer's phone, through the processor's own
//! script. The till shows this page's address as a QR code. The page only hands the processor
//! what it needs to ask the customer; the answer reaches the ledger when the server asks the
//! processor, as for every payment.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::card_form::{html, js};
use super::AppState;

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Approve a payment · Fairtill</title>
<style>
 body { font: 16px/1.5 system-ui, sans-serif; max-width: 30rem; margin: 3rem auto; padding: 0 1rem; color: #1d2733; }
 h1 { font-size: 1.4rem; } .amount { font-size: 2rem; font-weight: 700; }
 button { font: inherit; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #1f6f5c; color: white; }
 button:disabled { opacity: .5; } .done { color: #1f6f5c; font-weight: 600; } .problem { color: #a3261d; }
</style>
<script src="{script}"></script></head>
<body><h1>Your bank asks you to approve this payment</h1>
<p class="amount">{amount}</p>
<button id="approve" type="button">Approve with my bank</button>
<p id="message" role="status"></p>
<script>
const stripe = Stripe({key});
const approve = document.getElementById('approve'), message = document.getElementById('message');
approve.addEventListener('click', async () => {
  approve.disabled = true;
  message.textContent = 'Waiting for your bank…';
  const result = await stripe.confirmCardPayment({secret});
  await fetch({done}, { method: 'POST' }).catch(() => {});
  if (result.error) { message.textContent = result.error.message || 'The payment was not approved.'; message.className = 'problem'; }
  else { approve.hidden = true; message.textContent = 'Thank you: the payment is approved. You can close this page.'; message.className = 'done'; }
});
</script></body></html>
"#;

fn gone() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>Not waiting</title><p>This payment is not waiting for approval (it was approved, given up, or the link is wrong). Ask at the booth.</p>"),
    )
        .into_response()
}

/// The approval page of the payment waiting under `token`.
pub async fn page(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let (Some(charging), Some(form)) = (&state.charging, &state.card_form) else {
        return gone();
    };
    let Ok(Some(waiting)) = state.storage.approval(token.clone()).await else {
        return gone();
    };
    let Some(payment) = waiting.processor_id else {
        return gone();
    };
    let secret = match charging.processor().approval_secret(&payment).await {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = %e, "approval page: processor not reached");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Html("<!doctype html><title>Try again</title><p>The card processor cannot be reached just now; try again in a moment.</p>"),
            )
                .into_response();
        }
    };
    let body = PAGE
        .replace("{script}", &html(&form.script_url))
        .replace("{amount}", &html(&waiting.amount.to_string()))
        .replace("{key}", &js(&form.publishable_key))
        .replace("{secret}", &js(&secret))
        .replace("{done}", &js(&format!("/approve/{token}/done")));
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(body),
    )
        .into_response()
}

/// The page's notice that the customer finished: the server asks the processor now.
pub async fn done(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> StatusCode {
    if let Ok(Some(waiting)) = state.storage.approval(token).await {
        if state
            .storage
            .job_due_now(waiting.tx, (state.now)())
            .await
            .is_ok()
        {
            if let Some(c) = &state.charging {
                c.wake();
            }
        }
    }
    StatusCode::NO_CONTENT
}
