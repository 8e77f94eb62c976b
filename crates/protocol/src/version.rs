//! The API version and the limits every client and server agree on.

/// The sync API version. A server refuses clients of another major version with a clear message.
pub const API_VERSION: u32 = 3;

/// The HTTP header that carries the client's API version.
pub const API_VERSION_HEADER: &str = "fairtill-api-version";

/// Most records in one push.
pub const MAX_BATCH: usize = 500;

/// Largest request body the server reads (4 MiB).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A client the server cannot talk to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// No version header.
    #[error("the request does not say which Fairtill API version it speaks (header {API_VERSION_HEADER}); update the Fairtill app")]
    Missing,
    /// Not a number.
    #[error("API version {0:?} is not a number")]
    Unreadable(String),
    /// Older app.
    #[error("this Fairtill app speaks sync API version {client}, the server needs version {server}: update the app on this device")]
    ClientTooOld {
        /// The client's version.
        client: u32,
        /// The server's version.
        server: u32,
    },
    /// Newer app.
    #[error("this Fairtill app speaks sync API version {client}, newer than the server's {server}: update the server")]
    ServerTooOld {
        /// The client's version.
        client: u32,
        /// The server's version.
        server: u32,
    },
}

impl VersionError {
    /// The API error code that says what to update.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            // A client that sends no version predates the header: it is older than the server.
            VersionError::Missing | VersionError::ClientTooOld { .. } => {
                crate::ErrorCode::ClientTooOld
            }
            VersionError::Unreadable(_) => crate::ErrorCode::BadRequest,
            VersionError::ServerTooOld { .. } => crate::ErrorCode::ServerTooOld,
        }
    }
}

/// Checks the version header a client sent.
pub fn check_client_version(header: Option<&str>) -> Result<u32, VersionError> {
    let text = header.ok_or(VersionError::Missing)?.trim();
    let client: u32 = text
        .parse()
        .map_err(|_| VersionError::Unreadable(text.to_string()))?;
    match client.cmp(&API_VERSION) {
        std::cmp::Ordering::Equal => Ok(client),
        std::cmp::Ordering::Less => Err(VersionError::ClientTooOld {
            client,
            server: API_VERSION,
        }),
        std::cmp::Ordering::Greater => Err(VersionError::ServerTooOld {
            client,
            server: API_VERSION,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_checked_with_words_that_say_what_to_update() {
        assert_eq!(check_client_version(Some("3")), Ok(3));
        assert_eq!(check_client_version(None), Err(VersionError::Missing));
        assert!(matches!(
            check_client_version(Some("x")),
            Err(VersionError::Unreadable(_))
        ));
        // Version 2 tills cannot send receipt requests, version 1 tills not even read
        // customers and saved cards: they must update.
        for old in ["1", "2"] {
            let old = check_client_version(Some(old)).unwrap_err();
            assert!(old.to_string().contains("update the app"), "{old}");
        }
        let new = check_client_version(Some("4")).unwrap_err();
        assert!(new.to_string().contains("update the server"), "{new}");
    }
}
