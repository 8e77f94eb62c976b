//! Tauri commands: parse, call the store or the sync client, map errors to `{ code, message }`.

pub mod catalog;
pub mod customers;
pub mod event;
pub mod manager;
pub mod offers;
pub mod orders;
pub mod printer;
pub mod sale;
pub mod sync;
pub mod till;
pub mod transactions;

use std::sync::MutexGuard;

use fairtill_core::money::{Currency, Money};
use fairtill_store::{Actor, Till};

use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// The error when a lock was poisoned by an earlier panic.
pub(crate) fn busy() -> ApiError {
    ApiError::new(
        ErrorCode::Storage,
        "the till is unavailable after an earlier failure; restart Fairtill",
    )
}

/// The till, or a clear error if an earlier panic poisoned its lock.
pub(crate) fn till(state: &AppState) -> Result<MutexGuard<'_, Till>, ApiError> {
    state.till.lock().map_err(|_| busy())
}

/// Who is recording: the signed-on staff member at the current event. Recording needs a name.
pub(crate) fn actor(till: &Till) -> Result<Actor, ApiError> {
    let actor = till.settings()?.actor();
    if actor.staff.trim().is_empty() {
        return Err(invalid(
            "nobody is signed on to this till: enter your name under Event & till (F4) first",
        ));
    }
    Ok(actor)
}

/// An input error in words.
pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Invalid, message)
}

/// An amount typed by a person (`"12.50"`, or with a decimal comma `"12,50"`), in `currency`;
/// `what` names it in the error.
pub(crate) fn amount(text: &str, currency: Currency, what: &str) -> Result<Money, ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(invalid(format!("enter the {what}")));
    }
    let t = if t.matches(',').count() == 1 && !t.contains('.') {
        t.replace(',', ".")
    } else {
        t.to_string()
    };
    Money::parse(&t, currency).map_err(|e| invalid(format!("{what}: {e}")))
}

/// A currency code.
pub(crate) fn currency(code: &str) -> Result<Currency, ApiError> {
    Currency::from_code(code.trim()).map_err(|e| invalid(e.to_string()))
}

/// A temporary file beside `path` (the user's chosen target), to be renamed into place once it
/// is complete, so a failed export never leaves half a file; and the target itself.
pub(crate) fn beside(
    path: &str,
) -> Result<(tempfile::NamedTempFile, std::path::PathBuf), ApiError> {
    let path = std::path::PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return Err(invalid("choose where to save the CSV file"));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| invalid(format!("cannot write in {}: {e}", dir.display())))?;
    Ok((tmp, path))
}

/// Renames a finished temporary file onto `path`.
pub(crate) fn persist(tmp: tempfile::TempPath, path: &std::path::Path) -> Result<(), ApiError> {
    tmp.persist(path)
        .map(|_| ())
        .map_err(|e| invalid(format!("cannot save {}: {}", path.display(), e.error)))
}
