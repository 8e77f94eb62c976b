//! The HTTP client of the sync API: enroll, push, pull and status, with the API version header
//! on every request and the server's `{ code, message }` errors kept in words.

use std::time::Duration;

use fairtill_core::ids::{DeviceId, EventId};
use fairtill_protocol::{
    DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, PullRequest, PullResponse, PushRequest,
    PushResponse, PushResult, Record, API_VERSION, API_VERSION_HEADER,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a request did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached (no network, refused, timed out, cut). The detail is
    /// for logs; the message is for the booth.
    #[error("the server cannot be reached; everything is kept on this till and syncs when the connection is back")]
    Offline(String),
    /// The device's token is not accepted (revoked, or enrolled elsewhere).
    #[error("the server does not accept this device: {0}")]
    Unauthorized(String),
    /// The server answered with an error.
    #[error("the server refused the request ({status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's words.
        message: String,
    },
    /// A manager's sign-in is missing, wrong or expired (the server's words).
    #[error("{0}")]
    SignIn(String),
    /// The server's answer was not what the protocol says.
    #[error("the server's answer could not be read: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Worth retrying later (unreachable, or the server failed).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Offline(_) => true,
            ClientError::Server { status, .. } => *status >= 500 || *status == 429,
            ClientError::Unauthorized(_) | ClientError::SignIn(_) | ClientError::Protocol(_) => {
                false
            }
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
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).chars().take(300).collect());
        Err(match status.as_u16() {
            401 | 403 => ClientError::Unauthorized(message),
            s => ClientError::Server { status: s, message },
        })
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

    /// Pushes a batch; one result per record, in order.
    pub async fn push(&self, records: Vec<Record>) -> Result<Vec<PushResult>, ClientError> {
        let sent = records.len();
        let res: PushResponse = self.post("/v1/push", &PushRequest { records }).await?;
        if res.results.len() != sent {
            return Err(ClientError::Protocol(format!(
                "{} answers for {sent} records",
                res.results.len()
            )));
        }
        Ok(res.results)
    }

    /// One page of changes after `cursor`.
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
}
