//! The card form page the server serves: the processor's own card form (Stripe.js, loaded from
//! the processor's address) for one card setup, shown in a till's window or on the customer's
//! phone. The setup's client secret travels in the address's fragment (`#…`), which browsers
//! never send to a server, so it is in no request log; the page finishes the setup with the
//! processor and then asks this server to record the card.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use fairtill_core::customer::SavedCard;

use super::error::ApiError;
use super::request::ApiJson;
use super::AppState;

/// True for what a processor's setup id looks like (`seti_…`): letters, digits, underscores.
fn plausible(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Text safe inside an HTML attribute or element.
pub(super) fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A JavaScript string literal (JSON), safe inside a `<script>` element.
pub(super) fn js(text: &str) -> String {
    serde_json::Value::String(text.to_string())
        .to_string()
        .replace('<', "\\u003c")
}

/// The server's path of the card form of setup `id` (the client secret goes after `#`).
pub fn path_of(id: &str) -> String {
    format!("/card-form/{id}")
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading} · Fairtill</title>
<style>
 body { font: 16px/1.5 system-ui, sans-serif; max-width: 30rem; margin: 3rem auto; padding: 0 1rem; color: #1d2733; }
 h1 { font-size: 1.4rem; } #card { padding: .8rem; border: 1px solid #b8c2cc; border-radius: 6px; margin: 1rem 0; }
 #card input { font: inherit; margin: .2rem; padding: .3rem; } button { font: inherit; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #1f6f5c; color: white; }
 button:disabled { opacity: .5; } #message { min-height: 1.5rem; } .done { color: #1f6f5c; font-weight: 600; } .problem { color: #a3261d; }
</style>
<script src="{script}"></script></head>
<body><h1>{heading}</h1>
{intro}
<p>Your card details go straight to our card processor; this shop keeps only the brand and last four digits.</p>
<form id="form"><div id="card"></div><button id="save" type="submit">Save card</button></form>
<p id="message" role="status"></p>
<script>
const stripe = Stripe({key});
const card = stripe.elements().create('card');
card.mount('#card');
const form = document.getElementById('form'), save = document.getElementById('save'), message = document.getElementById('message');
function say(text, kind) { message.textContent = text; message.className = kind || ''; }
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  save.disabled = true;
  say('Saving…');
  const secret = {secret} || decodeURIComponent(location.hash.slice(1));
  const result = await stripe.confirmCardSetup(secret, { payment_method: { card } });
  if (result.error) { save.disabled = false; say(result.error.message || 'The card was not saved.', 'problem'); return; }
  const answer = await fetch({finish}, { method: 'POST' });
  const body = await answer.json().catch(() => ({}));
  const brand = String(body.brand || 'card');
  if (answer.ok) { form.hidden = true; say('Card saved: ' + brand.charAt(0).toUpperCase() + brand.slice(1) + ' ending ' + body.last4 + '. You can close this page.', 'done'); }
  else { save.disabled = false; say(body.message || 'The card could not be saved.', 'problem'); }
});
</script></body></html>
"#;

/// The card form page of setup `id`: the processor's form for one card, which the page then
/// asks this server to record. `secret` is the setup's client secret when the server makes
/// the page for the customer (the update-your-card page); without it, the page reads it from
/// its address's fragment. `intro` is HTML.
pub(super) fn form_page(
    form: &super::CardForm,
    id: &str,
    secret: Option<&str>,
    heading: &str,
    intro: &str,
) -> String {
    PAGE.replace("{finish}", &js(&format!("{}/finish", path_of(id))))
        .replace("{secret}", &js(secret.unwrap_or_default()))
        .replace("{key}", &js(&form.publishable_key))
        .replace("{script}", &html(&form.script_url))
        .replace(
            "{intro}",
            &if intro.is_empty() {
                String::new()
            } else {
                format!("<p>{intro}</p>")
            },
        )
        .replace("{heading}", &html(heading))
}

/// The card form of one setup.
pub async fn page(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let known = plausible(&id) && state.storage.card_setup_customer(id.clone()).await.is_ok();
    let Some(form) = state.card_form.as_ref().filter(|_| known) else {
        return (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Not found</title><p>This card form is not known here. Ask the shop for a new link.</p>"),
        )
            .into_response();
    };
    let body = form_page(form, &id, None, "Save a card for future payments", "");
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(body),
    )
        .into_response()
}

/// Records the card the form saved (the page's own call after the processor finished the
/// setup). It only reads what the processor says the setup saved, so it needs no token.
pub async fn finish(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<ApiJson<SavedCard>, ApiError> {
    if !plausible(&id) {
        return Err(ApiError::bad_request("that is not a card setup"));
    }
    Ok(ApiJson(super::payments::finish_setup(&state, id).await?))
}
