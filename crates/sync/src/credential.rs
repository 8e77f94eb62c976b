//! The device token, kept only in the OS keyring (Secret Service on Linux): never in the
//! database, a file or a log.

use fairtill_core::ids::DeviceId;

/// The keyring's service name for Fairtill tokens.
pub const SERVICE: &str = "app.fairtill.till";

/// What can go wrong with the keyring.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The keyring is missing, locked or refused.
    #[error("the system keyring could not be used ({0}); unlock it or sign in to the desktop session, then try again")]
    Keyring(String),
}

impl From<keyring::Error> for CredentialError {
    fn from(e: keyring::Error) -> Self {
        CredentialError::Keyring(e.to_string())
    }
}

/// One device's token for one server.
pub struct Credential {
    entry: keyring::Entry,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential { .. }")
    }
}

impl Credential {
    /// The keyring entry for `device` on `server_url` (the account name is `device@server`).
    pub fn new(server_url: &str, device: DeviceId) -> Result<Self, CredentialError> {
        let account = format!("{device}@{}", server_url.trim().trim_end_matches('/'));
        Ok(Credential {
            entry: keyring::Entry::new(SERVICE, &account)?,
        })
    }

    /// The keyring entry for manager `name`'s sign-in on `server_url`.
    pub fn for_manager(server_url: &str, name: &str) -> Result<Self, CredentialError> {
        let account = format!(
            "manager:{}@{}",
            name.trim(),
            server_url.trim().trim_end_matches('/')
        );
        Ok(Credential {
            entry: keyring::Entry::new(SERVICE, &account)?,
        })
    }

    /// Stores the token, replacing any earlier one.
    pub fn save(&self, token: &str) -> Result<(), CredentialError> {
        Ok(self.entry.set_password(token)?)
    }

    /// The token, if one is stored.
    pub fn load(&self) -> Result<Option<String>, CredentialError> {
        match self.entry.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the token (after revocation or un-enrolling). Removing nothing is fine.
    pub fn forget(&self) -> Result<(), CredentialError> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
