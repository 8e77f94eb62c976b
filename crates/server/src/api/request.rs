//! What every request is read with: one extractor per kind of request, each rejecting with the
//! API's own `{ code, message }` body (never axum's plain-text rejections), and the helpers
//! they share (API version, bearer token, batch size).
//!
//! - [`ApiJson`], [`ApiQuery`] and [`ApiPath`]: a JSON body, a query string, path parameters.
//! - [`ApiVersion`]: an unauthenticated request (enroll, sign-in) that speaks our API version.
//! - [`AuthDevice`] and [`AuthManager`]: a device's or a manager's bearer token, after the
//!   version check; [`BearerToken`]: the token itself, to sign it out.
//! - [`ClientAddress`]: who is asking, for the sign-in throttle and the audit log.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fairtill_protocol::{check_client_version, ErrorCode, API_VERSION_HEADER, MAX_BATCH};
use serde::Serialize;

use super::error::ApiError;
use super::AppState;
use crate::auth;
use crate::storage::Device;

/// A JSON body; a malformed one is a 400 (413 when too large) with the API's error body.
/// Also the JSON answer of every handler.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters; one that does not parse (an id that is not a UUID) is a 400 with the
/// API's error body.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A query string; a malformed one is a 400 with the API's error body.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A request that says it speaks this server's API version (the header
/// [`API_VERSION_HEADER`]); any other is told what to update.
#[derive(Debug, Clone, Copy)]
pub struct ApiVersion;

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        check_version(&parts.headers).map(|()| ApiVersion)
    }
}

/// Checks the client's API version header.
fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let header = headers
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    check_client_version(header)
        .map(|_| ())
        .map_err(|e| ApiError::new(e.code(), e.to_string()))
}

/// The bearer token of a request.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The version check and the bearer token every authenticated endpoint starts with; `missing`
/// says what to do when there is no token.
fn version_and_token<'a>(headers: &'a HeaderMap, missing: &str) -> Result<&'a str, ApiError> {
    check_version(headers)?;
    bearer(headers).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, missing))
}

/// Refuses a batch of more than [`MAX_BATCH`] records.
pub fn check_batch(records: usize) -> Result<(), ApiError> {
    if records > MAX_BATCH {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("{records} records at once; send at most {MAX_BATCH}"),
        ));
    }
    Ok(())
}

/// An enrolled, unrevoked device, from its bearer token.
pub struct AuthDevice(pub Device);

impl FromRequestParts<Arc<AppState>> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = version_and_token(
            &parts.headers,
            "this request needs a device token; enroll the device first",
        )?;
        match state.storage.authenticate(auth::hash(token)).await? {
            Some(device) => Ok(AuthDevice(device)),
            None => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "this device's token is not valid (revoked or unknown); enroll it again with a new code",
            )),
        }
    }
}

/// A signed-in manager (their name), from their bearer token.
pub struct AuthManager(pub String);

impl FromRequestParts<Arc<AppState>> for AuthManager {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = version_and_token(&parts.headers, "sign in as a manager first")?;
        let hash = auth::hash(token);
        if let Some(name) = state
            .storage
            .authenticate_manager(hash.clone(), (state.now)())
            .await?
        {
            return Ok(AuthManager(name));
        }
        if state.storage.authenticate(hash).await?.is_some() {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "a device token cannot use manager endpoints; sign in as a manager",
            ));
        }
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "that manager sign-in is not valid or has expired; sign in again",
        ))
    }
}

/// A bearer token as sent (a manager signing out), after the version check.
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        version_and_token(&parts.headers, "sign in as a manager first")
            .map(|t| BearerToken(t.to_string()))
    }
}

/// The client's IP address: the connection's peer or, when the peer is one of the server's
/// trusted proxies, the address that proxy was asked by (the last one in `X-Forwarded-For`
/// that is not itself a trusted proxy). `unknown` when the server runs without peer addresses.
pub struct ClientAddress(pub String);

impl FromRequestParts<Arc<AppState>> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddress(
            client_ip(peer, &parts.headers, &state.trusted_proxies)
                .map_or_else(|| "unknown".to_string(), |ip| ip.to_string()),
        ))
    }
}

/// The client behind `peer`, read through the trusted proxies' `X-Forwarded-For` lines
/// (each proxy appends the address it was asked by, so they are read from the right).
fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut ip = peer?.to_canonical();
    if !trusted.contains(&ip) {
        return Some(ip);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        let Ok(next) = hop.parse::<IpAddr>() else {
            // Not an address: whatever wrote it is not to be trusted further.
            return Some(ip);
        };
        ip = next.to_canonical();
        if !trusted.contains(&ip) {
            return Some(ip);
        }
    }
    Some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_read_through_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let peer = Some(proxy);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Not behind a trusted proxy: the peer, whatever the header says.
        assert_eq!(
            client_ip(ip("192.0.2.7"), &forwarded(&["1.2.3.4"]), &[proxy]),
            ip("192.0.2.7")
        );
        // Behind one: the address it appended, not what the client wrote before it.
        assert_eq!(
            client_ip(peer, &forwarded(&["6.6.6.6, 198.51.100.9"]), &[proxy]),
            ip("198.51.100.9")
        );
        assert_eq!(
            client_ip(
                peer,
                &forwarded(&["6.6.6.6", "198.51.100.9, 10.0.0.2"]),
                &[proxy]
            ),
            ip("198.51.100.9")
        );
        // A garbled hop stops the walk; no header leaves the proxy itself.
        assert_eq!(
            client_ip(peer, &forwarded(&["nonsense"]), &[proxy]),
            Some(proxy)
        );
        assert_eq!(client_ip(peer, &HeaderMap::new(), &[proxy]), Some(proxy));
        // An IPv4 peer seen through an IPv6 socket is the IPv4 address.
        assert_eq!(
            client_ip(ip("::ffff:192.0.2.7"), &HeaderMap::new(), &[]),
            ip("192.0.2.7")
        );
    }
}
