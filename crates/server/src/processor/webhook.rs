//! Stripe's webhook signature (`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`): the
//! HMAC of `"<t>.<body>"` under the endpoint's signing secret, checked in constant time
//! (hmac's `verify_slice`), within five minutes of the server's clock so an old capture cannot
//! be replayed later. A signed event only wakes the server (see `api::payments::webhook`).

use fairtill_core::Timestamp;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far a signature's time may be from the server's clock, in seconds (Stripe's default).
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No usable `Stripe-Signature` header.
    #[error("the webhook has no readable Stripe-Signature header")]
    Unreadable,
    /// Signed too long ago (or in the future).
    #[error("the webhook's signature is more than five minutes old")]
    Stale,
    /// No signature matches.
    #[error("the webhook's signature does not match this server's signing secret")]
    BadSignature,
}

/// Checks `header` over `body` with `secret` at time `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: Timestamp) -> Result<(), WebhookError> {
    let mut time = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => time = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(hex::decode(s).ok()),
            _ => {}
        }
    }
    let time = time.ok_or(WebhookError::Unreadable)?;
    if signatures.is_empty() {
        return Err(WebhookError::Unreadable);
    }
    if (now.as_second() - time).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Stale);
    }
    for signature in signatures {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|_| WebhookError::BadSignature)?;
        mac.update(time.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&signature).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_signed_event_passes_and_a_changed_one_does_not() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let body = br#"{"type":"payment_intent.succeeded"}"#;
        let header = sign("whsec_test", now.as_second(), body);
        assert_eq!(verify("whsec_test", &header, body, now), Ok(()));
        assert_eq!(
            verify(
                "whsec_test",
                &header,
                br#"{"type":"payment_intent.canceled"}"#,
                now
            ),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify("whsec_other", &header, body, now),
            Err(WebhookError::BadSignature)
        );
        let later = Timestamp::from_second(now.as_second() + TOLERANCE_SECS + 1).unwrap();
        assert_eq!(
            verify("whsec_test", &header, body, later),
            Err(WebhookError::Stale)
        );
        assert_eq!(
            verify("whsec_test", "", body, now),
            Err(WebhookError::Unreadable)
        );
        // A rotated secret: either of two signatures may match.
        let both = format!("{header},v1={}", "00".repeat(32));
        assert_eq!(verify("whsec_test", &both, body, now), Ok(()));
    }
}
