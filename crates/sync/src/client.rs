//! The HTTP client of the sync API: enroll, push, pull and status, with the API version header
//! on every request and the server's `{ code, message }` errors kept in words.

use std::time::Duration;

use fairtill_core::customer::SavedCard;
use fairtill_core::ids::{CustomerId, DeviceId, EventId, TxId};
use fairtill_protocol::{
    CardSetupStart, DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode,
    PaymentProgress, PullRequest, PullResponse, PushRequest, PushResponse, PushResult, Record,
    API_VERSION, API_VERSION_HEADER, MAX_BODY_BYTES,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a request did not complete. Each variant is something the caller acts on differently;
/// the server's variants come from the `code` of its error body ([`ErrorCode`]), not from the
/// HTTP status, which only decides when the body has no code (a proxy's error page).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached (no network, refused, timed out, cut). The detail is
    /// for logs; the message is for the booth.
    #[error("the server cannot be reached; everything is kept on this till and syncs when the connection is back")]
    Offline(String),
    /// The device's token is not accepted (revoked, or enrolled elsewhere): enroll again.
    #[error("the server does not accept this device: {0}")]
    Unauthorized(String),
    /// A manager's sign-in is missing, wrong or expired (the server's words): sign in again.
    #[error("{0}")]
    SignIn(String),
    /// A valid sign-in that may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// This app is older than the server: update the app.
    #[error("{0}")]
    UpdateApp(String),
    /// This app is newer than the server: the server must be updated.
    #[error("{0}")]
    UpdateServer(String),
    /// The request clashes with what the server has now: read again before deciding.
    #[error("{0}")]
    Conflict(String),
    /// The server has nothing by that id.
    #[error("{0}")]
    NotFound(String),
    /// The request was too large: send less at once.
    #[error("{0}")]
    TooLarge(String),
    /// The server is busy: try again soon.
    #[error("the server is busy; it will be tried again shortly")]
    Busy(String),
    /// The server refused the request as it is (the server's words).
    #[error("the server refused the request: {0}")]
    Refused(String),
    /// The server failed (its words, or its status when it sent none).
    #[error("the server failed ({0}); it will be tried again later")]
    ServerFailed(String),
    /// The server's answer was not what the protocol says.
    #[error("the server's answer could not be read: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Worth retrying later (unreachable, busy, or the server failed).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Offline(_) | ClientError::Busy(_) | ClientError::ServerFailed(_) => true,
            ClientError::Unauthorized(_)
            | ClientError::SignIn(_)
            | ClientError::NotAllowed(_)
            | ClientError::UpdateApp(_)
            | ClientError::UpdateServer(_)
            | ClientError::Conflict(_)
            | ClientError::NotFound(_)
            | ClientError::TooLarge(_)
            | ClientError::Refused(_)
            | ClientError::Protocol(_) => false,
        }
    }

    /// The error for an answer with `status` and `body` (the API's error body, or whatever a
    /// proxy sent).
    pub fn from_answer(status: u16, body: &[u8]) -> ClientError {
        let Ok(ErrorBody { code, message }) = serde_json::from_slice::<ErrorBody>(body) else {
            let text: String = String::from_utf8_lossy(body).chars().take(300).collect();
            return match status {
                401 | 403 => ClientError::Unauthorized(text),
                413 => ClientError::TooLarge(text),
                429 | 503 => ClientError::Busy(text),
                s if s >= 500 => ClientError::ServerFailed(format!("HTTP {s}")),
                _ => ClientError::Refused(text),
            };
        };
        match code {
            ErrorCode::BadRequest => ClientError::Refused(message),
            ErrorCode::Unauthorized => ClientError::Unauthorized(message),
            ErrorCode::Forbidden => ClientError::NotAllowed(message),
            ErrorCode::NotFound => ClientError::NotFound(message),
            ErrorCode::Conflict => ClientError::Conflict(message),
            ErrorCode::ClientTooOld => ClientError::UpdateApp(message),
            ErrorCode::ServerTooOld => ClientError::UpdateServer(message),
            ErrorCode::PayloadTooLarge => ClientError::TooLarge(message),
            // Only sign-in is throttled: a refused sign-in, in the server's words (the wait).
            ErrorCode::TooManyAttempts => ClientError::SignIn(message),
            ErrorCode::Busy => ClientError::Busy(message),
            ErrorCode::Internal => ClientError::ServerFailed(message),
        }
    }
}

pub(crate) fn offline(e: reqwest::Error) -> ClientError {
    ClientError::Offline(e.to_string())
}

/// Requests to one server, as one device (or unauthenticated, to enroll).
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// A server address as typed: trimmed, without a trailing slash, http or https.
pub fn normalize_url(url: &str) -> Result<String, ClientError> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(ClientError::Protocol(format!(
            "{url:?} is not a server address; type it as https://host:port"
        )));
    }
    Ok(url.to_string())
}

impl SyncClient {
    /// A client for `server_url`; `extra_root_pem` trusts one more certificate authority (a
    /// server with its own certificate).
    pub fn new(
        server_url: &str,
        token: Option<String>,
        extra_root_pem: Option<&[u8]>,
    ) -> Result<Self, ClientError> {
        // reqwest is built without a default crypto provider: use ring, once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("fairtill/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_root_pem {
            let cert = reqwest::Certificate::from_pem(pem).map_err(|e| {
                ClientError::Protocol(format!("that certificate cannot be read: {e}"))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(SyncClient {
            http,
            base: normalize_url(server_url)?,
            token,
        })
    }

    /// The server's address.
    pub fn server_url(&self) -> &str {
        &self.base
    }

    /// The HTTP client, for requests this type has no method for (the manager's).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `req` with the version header and token; the response if it succeeded, the
    /// server's words if not.
    pub(crate) async fn respond(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let mut req = req.header(API_VERSION_HEADER, API_VERSION.to_string());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.map_err(offline)?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let bytes = res.bytes().await.map_err(offline)?;
        Err(ClientError::from_answer(status.as_u16(), &bytes))
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let bytes = self.respond(req).await?.bytes().await.map_err(offline)?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// Trades a one-time code for this device's token (kept in the returned client).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn enroll(
        mut self,
        code: &str,
        device_id: DeviceId,
        device_code: &str,
    ) -> Result<(SyncClient, EnrollResponse), ClientError> {
        self.token = None;
        let res: EnrollResponse = self
            .post(
                "/v1/enroll",
                &EnrollRequest {
                    code: code.to_string(),
                    device_id,
                    device_code: device_code.to_string(),
                },
            )
            .await?;
        self.token = Some(res.token.clone());
        Ok((self, res))
    }

    /// Pushes a batch; one result per record, in order. A batch whose body is larger than the
    /// server reads ([`MAX_BODY_BYTES`]) is not sent: it is `TooLarge` at once (a server that
    /// stops reading mid-upload may cut the connection before its 413 arrives, which would look
    /// like being offline).
    #[tracing::instrument(skip_all, fields(records = records.len()), err(level = "info"))]
    pub async fn push(&self, records: Vec<Record>) -> Result<Vec<PushResult>, ClientError> {
        let sent = records.len();
        let body = serde_json::to_vec(&PushRequest { records })
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(ClientError::TooLarge(format!(
                "{} bytes in one push; the server reads at most {MAX_BODY_BYTES}",
                body.len()
            )));
        }
        let req = self
            .http
            .post(format!("{}/v1/push", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let res: PushResponse = self.send(req).await?;
        if res.results.len() != sent {
            return Err(ClientError::Protocol(format!(
                "{} answers for {sent} records",
                res.results.len()
            )));
        }
        Ok(res.results)
    }

    /// One page of changes after `cursor`.
    #[tracing::instrument(skip_all, fields(limit), err(level = "info"))]
    pub async fn pull(
        &self,
        event_id: Option<EventId>,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<PullResponse, ClientError> {
        self.post(
            "/v1/pull",
            &PullRequest {
                event_id,
                cursor,
                limit,
            },
        )
        .await
    }

    /// What the server knows of this device.
    pub async fn status(&self) -> Result<DeviceStatus, ClientError> {
        self.send(self.http.get(format!("{}/v1/status", self.base)))
            .await
    }

    /// Where a charge or refund made here stands at the server, waiting up to `wait_ms` for
    /// the processor's answer.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn payment_progress(
        &self,
        tx: TxId,
        wait_ms: u64,
    ) -> Result<PaymentProgress, ClientError> {
        self.send(
            self.http
                .get(format!("{}/v1/payments/{tx}", self.base))
                .query(&[("wait_ms", wait_ms)]),
        )
        .await
    }

    /// Begins saving a card for a customer the server has (push them first).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn start_card_setup(
        &self,
        customer: CustomerId,
    ) -> Result<CardSetupStart, ClientError> {
        self.post(
            &format!("/v1/customers/{customer}/card-setups"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Records the card a finished setup saved; `Conflict` while the form is not finished.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn finish_card_setup(&self, setup: &str) -> Result<SavedCard, ClientError> {
        self.post(
            &format!("/v1/card-setups/{setup}/finish"),
            &serde_json::json!({}),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str) -> Vec<u8> {
        format!(r#"{{"code":"{code}","message":"the server's words"}}"#).into_bytes()
    }

    #[test]
    fn the_body_code_decides_not_the_status() {
        let kind = |status: u16, code: &str| {
            let e = ClientError::from_answer(status, &body(code));
            (
                format!("{e:?}").split('(').next().unwrap().to_string(),
                e.is_transient(),
            )
        };
        for (code, variant, transient) in [
            ("bad_request", "Refused", false),
            ("unauthorized", "Unauthorized", false),
            ("forbidden", "NotAllowed", false),
            ("not_found", "NotFound", false),
            ("conflict", "Conflict", false),
            ("client_too_old", "UpdateApp", false),
            ("server_too_old", "UpdateServer", false),
            ("payload_too_large", "TooLarge", false),
            ("busy", "Busy", true),
            ("internal", "ServerFailed", true),
        ] {
            // Whatever the status says (a proxy may rewrite it), the code is what counts.
            assert_eq!(kind(400, code), (variant.to_string(), transient), "{code}");
            assert_eq!(kind(500, code), (variant.to_string(), transient), "{code}");
        }
        let e = ClientError::from_answer(409, &body("conflict"));
        assert_eq!(e.to_string(), "the server's words");
    }

    #[test]
    fn an_answer_without_our_body_falls_back_on_the_status() {
        let page = b"<html>502 Bad Gateway</html>";
        assert!(matches!(
            ClientError::from_answer(502, page),
            ClientError::ServerFailed(_)
        ));
        assert!(matches!(
            ClientError::from_answer(503, page),
            ClientError::Busy(_)
        ));
        assert!(matches!(
            ClientError::from_answer(401, page),
            ClientError::Unauthorized(_)
        ));
        assert!(matches!(
            ClientError::from_answer(413, page),
            ClientError::TooLarge(_)
        ));
        assert!(matches!(
            ClientError::from_answer(404, page),
            ClientError::Refused(_)
        ));
    }
}
