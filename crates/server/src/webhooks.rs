//! The server's webhook deliverer: posts the events in the outbox (`storage::webhooks`) to the
//! endpoints managers registered, signed as the Standard Webhooks specification says.
//!
//! Every delivery has the headers `webhook-id` (the event's id: the same on every attempt, so
//! a receiver drops a duplicate), `webhook-timestamp` (the attempt's time, in seconds) and
//! `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per valid secret,
//! space-separated, so during a rotation either secret verifies). A 2xx answer delivers it; a
//! 410 turns the endpoint off; anything else, or no answer within the timeout, is tried again
//! on the retry schedule (Svix's by default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the
//! first attempt) and then given up.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use fairtill_core::{SignedDuration, Timestamp};
use rand::Rng;
use tokio::sync::Notify;

use crate::storage::{AttemptResult, OutgoingWebhook, Storage, StorageError, WebhookOutcome};

/// The retry schedule of Svix (and the specification's example): the wait before each attempt
/// after the first.
pub const DEFAULT_RETRIES: &str = "5s,5m,30m,2h,5h,10h,10h";

/// How long the secret a rotation replaced stays valid.
pub const OLD_SECRET_VALID: SignedDuration = SignedDuration::from_hours(24);

/// The deliverer's settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The wait before each attempt after the first; when they are used up, a delivery fails.
    pub retries: Vec<Duration>,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// How often to look for due deliveries (a push wakes the deliverer at once as well).
    pub poll: Duration,
    /// Deliveries sent at once.
    pub batch: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            retries: parse_waits(DEFAULT_RETRIES).unwrap_or_default(),
            timeout: Duration::from_secs(15),
            poll: Duration::from_secs(1),
            batch: 256,
        }
    }
}

/// Parses a retry schedule: waits such as `5s` or `2h 30m`, comma-separated. Empty: no retry.
pub fn parse_waits(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let span: jiff::Span = part
                .parse()
                .map_err(|e| format!("{part:?} is not a time such as 5s or 2h 30m: {e}"))?;
            span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .ok()
                .and_then(|d| Duration::try_from(d).ok())
                .ok_or_else(|| format!("{part:?} is not a time such as 5s or 2h 30m"))
        })
        .collect()
}

/// Why an endpoint cannot be registered as given.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EndpointError(pub String);

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Checks a receiver's address: an absolute `https` URL, or `http` to this machine; and that
/// something listens there now (a name that does not resolve or a port that refuses is a typo
/// better found while the manager is still at the form). Gives the address as stored.
pub async fn check_url(text: &str) -> Result<String, EndpointError> {
    let text = text.trim();
    let url = url::Url::parse(text)
        .map_err(|e| EndpointError(format!("{text:?} is not a web address ({e})")))?;
    let host = url
        .host()
        .ok_or_else(|| EndpointError(format!("{text:?} names no host")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(EndpointError(format!(
                "{text:?} is not HTTPS: webhooks carry sales, so they go over HTTPS (plain HTTP only to this machine)"
            )))
        }
        other => {
            return Err(EndpointError(format!(
                "{text:?} is a {other}: address; give an https:// address"
            )))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError(
            "put no user name or password in the address: receivers check the signature instead"
                .into(),
        ));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let name = host.to_string();
    let target = format!(
        "{}:{port}",
        name.trim_start_matches('[').trim_end_matches(']')
    );
    let reach = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(&target),
    );
    match reach.await {
        Ok(Ok(_)) => Ok(url.to_string()),
        Ok(Err(e)) => Err(EndpointError(format!(
            "{text:?} cannot be reached ({e}): check the address and that the receiver is running"
        ))),
        Err(_) => Err(EndpointError(format!(
            "{text:?} did not answer within 5 seconds: check the address and that the receiver is running"
        ))),
    }
}

/// A new signing secret: `whsec_` and 24 random bytes in base64, as Svix makes them.
pub fn new_secret() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Checks a secret a manager gave: `whsec_` and 24 to 64 bytes in base64 (the specification's
/// range).
pub fn check_secret(secret: &str) -> Result<String, EndpointError> {
    let secret = secret.trim();
    let bad = || {
        EndpointError(
            "a signing secret is whsec_ followed by 24 to 64 bytes in base64; leave it empty to have one made".into(),
        )
    };
    let key = secret.strip_prefix("whsec_").ok_or_else(bad)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| bad())?;
    if !(24..=64).contains(&bytes.len()) {
        return Err(bad());
    }
    Ok(secret.to_string())
}

/// The `webhook-signature` header of a delivery: one `v1,` signature per secret.
pub fn signature(
    secrets: &[String],
    id: &str,
    timestamp: i64,
    payload: &str,
) -> Result<String, String> {
    secrets
        .iter()
        .map(|s| {
            standardwebhooks::Webhook::new(s)
                .and_then(|w| w.sign(id, timestamp, payload.as_bytes()))
                .map_err(|e| format!("the endpoint's secret cannot sign: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|all| all.join(" "))
}

/// The deliverer of one server process.
pub struct Deliverer {
    storage: Storage,
    http: reqwest::Client,
    config: WebhookConfig,
    wake: Notify,
    now: fn() -> Timestamp,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn later(now: Timestamp, wait: Duration) -> Timestamp {
    now.saturating_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX))
        .unwrap_or(now)
}

impl Deliverer {
    /// A deliverer over `storage`.
    pub fn new(
        storage: Storage,
        config: WebhookConfig,
        now: fn() -> Timestamp,
    ) -> Result<Arc<Deliverer>, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // A receiver's redirect is not followed: the signed body goes only where registered.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Fairtill-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the webhook client could not be made: {e}"))?;
        Ok(Arc::new(Deliverer {
            storage,
            http,
            config,
            wake: Notify::new(),
            now,
        }))
    }

    /// Looks for due deliveries now (after a push that may have queued some).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until the process ends.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match me.run_due().await {
                    Ok(n) if n >= me.config.batch as usize => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "looking for webhooks to send failed"),
                }
                tokio::select! {
                    () = tokio::time::sleep(me.config.poll) => {}
                    () = me.wake.notified() => {}
                }
            }
        })
    }

    /// Sends every delivery due now, a batch at a time in parallel; how many it tried.
    pub async fn run_due(&self) -> Result<usize, StorageError> {
        let now = (self.now)();
        // Longer than an attempt can take, so a slow receiver is not sent a second copy.
        let lease = later(now, self.config.timeout + Duration::from_secs(5));
        let due = self
            .storage
            .take_webhooks(now, lease, self.config.batch)
            .await?;
        let tried = due.len();
        if tried == 0 {
            return Ok(0);
        }
        let mut sends = tokio::task::JoinSet::new();
        for hook in due {
            let http = self.http.clone();
            let retries = self.config.retries.clone();
            let timeout = self.config.timeout;
            let clock = self.now;
            sends.spawn(async move { attempt(&http, &hook, &retries, timeout, clock).await });
        }
        let mut results = Vec::with_capacity(tried);
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(r) => results.push(r),
                Err(e) => tracing::warn!(error = %e, "a webhook attempt did not finish"),
            }
        }
        self.storage.webhooks_done(results, (self.now)()).await?;
        Ok(tried)
    }
}

/// One attempt of one delivery, and what follows from it.
async fn attempt(
    http: &reqwest::Client,
    hook: &OutgoingWebhook,
    retries: &[Duration],
    timeout: Duration,
    now: fn() -> Timestamp,
) -> AttemptResult {
    let at = now();
    let started = Instant::now();
    let timestamp = at.as_second();
    let answer = match signature(&hook.secrets, &hook.message_id, timestamp, &hook.payload) {
        Ok(signed) => http
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("webhook-id", &hook.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(hook.payload.clone())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| {
                if e.is_timeout() {
                    format!("no answer within {} s", timeout.as_secs_f32())
                } else if e.is_connect() {
                    format!("could not connect: {}", root_cause(&e))
                } else {
                    root_cause(&e)
                }
            }),
        Err(e) => Err(e),
    };
    let took_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let id = hook.delivery_id;
    let (status, error, outcome) = match answer {
        Ok(s @ 200..=299) => {
            tracing::info!(delivery = %id, status = s, took_ms, "webhook delivered");
            (Some(s), None, WebhookOutcome::Delivered)
        }
        Ok(410) => {
            tracing::warn!(delivery = %id, "webhook receiver answered 410 Gone: endpoint turned off");
            (
                Some(410),
                Some("410 Gone: the endpoint was turned off".to_string()),
                WebhookOutcome::Gone,
            )
        }
        Ok(s) => {
            let outcome = next(hook, retries, now());
            tracing::info!(delivery = %id, status = s, ?outcome, "webhook not taken");
            (Some(s), Some(format!("answered {s}")), outcome)
        }
        Err(e) => {
            let outcome = next(hook, retries, now());
            tracing::info!(delivery = %id, error = %e, ?outcome, "webhook not delivered");
            (None, Some(e), outcome)
        }
    };
    AttemptResult {
        delivery_id: id,
        n: hook.attempt,
        at,
        status,
        error,
        took_ms,
        outcome,
    }
}

/// After a failed attempt: the next one on the schedule, or none.
fn next(hook: &OutgoingWebhook, retries: &[Duration], now: Timestamp) -> WebhookOutcome {
    let round = usize::try_from(hook.round_attempt).unwrap_or(usize::MAX);
    match round.checked_sub(1).and_then(|i| retries.get(i)) {
        Some(wait) => WebhookOutcome::Retry(later(now, *wait)),
        None => WebhookOutcome::Failed,
    }
}

/// The innermost error's words (reqwest's outer one says only "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_svixs() {
        let waits = parse_waits(DEFAULT_RETRIES).unwrap();
        let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert!(parse_waits("5s, soon").is_err());
        assert!(parse_waits("").unwrap().is_empty());
    }

    #[test]
    fn secrets_are_checked_and_made_in_the_specifications_form() {
        let made = new_secret();
        assert!(made.starts_with("whsec_"));
        assert_eq!(check_secret(&made).unwrap(), made);
        assert!(
            check_secret("whsec_c2hvcnQ=").is_err(),
            "5 bytes is too short"
        );
        assert!(check_secret("sk_live_abc").is_err());
        assert!(check_secret("whsec_not base64!").is_err());
    }

    /// The example key printed in the Standard Webhooks specification and its libraries' tests.
    const SPEC_EXAMPLE_KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        // The Standard Webhooks specification's published test vector (not a secret of
        // anyone's): this key, id, timestamp and body sign to this.
        let secret = SPEC_EXAMPLE_KEY.to_string();
        let payload = r#"{"test": 2432232314}"#;
        let one = signature(
            std::slice::from_ref(&secret),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            payload,
        )
        .unwrap();
        assert_eq!(one, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let both = signature(
            &[secret, new_secret()],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            payload,
        )
        .unwrap();
        assert!(both.starts_with(&format!("{one} v1,")), "{both}");
    }
}
