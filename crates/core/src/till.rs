//! A till's cash drawer: how a cash session was closed, as the till keeps it and as the
//! manager's close-out shows it (one type for both).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// How a cash session was closed: the count against the cash the till's ledger expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TillClose {
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub closed_at: Timestamp,
    /// By whom.
    pub closed_by: String,
    /// Cash counted in the drawer.
    pub counted: Money,
    /// Cash the drawer should hold: the float plus the ledger's cash since opening.
    pub expected: Money,
    /// Counted less expected: positive is over, negative is short.
    pub over_short: Money,
    /// What the person closing said about it.
    pub note: Option<String>,
}
