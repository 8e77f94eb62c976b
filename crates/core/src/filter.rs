//! The transaction list's filter and page cursor: one definition for the device's list and the
//! manager's list on the server (which adds a device filter).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, OrderId, TxId};
use crate::ledger::{TxKind, TxResult};
use crate::money::{Currency, Money};

/// The method names the list can filter by.
pub const METHODS: &[&str] = &["cash", "card", "external", "marked_paid", "card_on_file"];

/// Which transactions to show. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TxFilter {
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// At this event.
    pub event_id: Option<EventId>,
    /// By this staff member.
    pub staff: Option<String>,
    /// Of these kinds.
    #[serde(default)]
    pub kinds: Vec<TxKind>,
    /// With these current results.
    #[serde(default)]
    pub results: Vec<TxResult>,
    /// In this currency.
    pub currency: Option<Currency>,
    /// Paid by this method (`cash`, `card`, `external`, `marked_paid`).
    pub method: Option<String>,
    /// Text in the customer's name, email or phone, the receipt, or the external reference.
    pub text: Option<String>,
}

/// One row of the transaction list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxRow {
    /// Transaction id.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: TxId,
    /// Receipt of its order.
    pub receipt: Option<String>,
    /// Its (first) order.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub order_id: Option<OrderId>,
    /// The transaction it operates on.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub parent_id: Option<TxId>,
    /// Kind.
    pub kind: TxKind,
    /// Current result.
    pub result: TxResult,
    /// Amount.
    pub amount: Money,
    /// Payment method name.
    pub method: String,
    /// External system, for logged payments.
    pub external_system: Option<String>,
    /// External reference, for logged payments.
    pub external_reference: Option<String>,
    /// Customer name from the order.
    pub customer_name: Option<String>,
    /// Customer email from the order.
    pub customer_email: Option<String>,
    /// Staff.
    pub staff: String,
    /// Event.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub event_id: Option<EventId>,
    /// Device.
    pub device_id: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A page of the list, newest first, with the cursor for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    /// Rows.
    pub rows: Vec<TxRow>,
    /// Pass to get the next page; `None` at the end.
    pub next: Option<String>,
}

/// The export's columns, in order.
pub const EXPORT_HEADER: [&str; 17] = [
    "id",
    "receipt",
    "created_at",
    "kind",
    "result",
    "amount",
    "currency",
    "method",
    "external_system",
    "external_reference",
    "customer_name",
    "customer_email",
    "staff",
    "event_id",
    "device_id",
    "order_id",
    "parent_id",
];

impl TxRow {
    /// The row as CSV fields, in the order of [`EXPORT_HEADER`].
    pub fn csv_record(&self) -> [String; 17] {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.id.to_string(),
            opt(&self.receipt),
            self.created_at.to_string(),
            self.kind.as_str().to_string(),
            self.result.as_str().to_string(),
            self.amount.amount_string(),
            self.amount.currency().code().to_string(),
            self.method.clone(),
            opt(&self.external_system),
            opt(&self.external_reference),
            opt(&self.customer_name),
            opt(&self.customer_email),
            self.staff.clone(),
            self.event_id.map(|e| e.to_string()).unwrap_or_default(),
            self.device_id.clone(),
            self.order_id.map(|o| o.to_string()).unwrap_or_default(),
            self.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        ]
    }
}

/// A filter that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not a payment method.
    #[error("unknown payment method {0:?}; use one of cash, card, external, marked_paid")]
    UnknownMethod(String),
    /// Not a cursor this list made.
    #[error("that page cursor is not valid; start from the first page")]
    BadCursor,
}

fn trimmed(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

impl TxFilter {
    /// The staff member to match, if any (blank means any).
    pub fn staff(&self) -> Option<&str> {
        trimmed(self.staff.as_deref())
    }

    /// The payment method to match, if any, checked against [`METHODS`].
    pub fn method(&self) -> Result<Option<&'static str>, FilterError> {
        match trimmed(self.method.as_deref()) {
            None => Ok(None),
            Some(m) => METHODS
                .iter()
                .find(|known| **known == m)
                .copied()
                .map(Some)
                .ok_or_else(|| FilterError::UnknownMethod(m.to_string())),
        }
    }

    /// The search text as a lower-case SQL `LIKE` pattern (`%text%`, escaped with `\`).
    pub fn text_pattern(&self) -> Option<String> {
        trimmed(self.text.as_deref()).map(like_pattern)
    }
}

/// `text` as a lower-case SQL `LIKE` pattern that finds it anywhere (`%text%`), its `%`, `_`
/// and `\` escaped with `\` (use `ESCAPE '\'`).
pub fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Names the code defines (kinds, results), quoted as an SQL list for `IN (…)`: `'sale', 'refund'`.
/// Only for names of our own enums, never for what a user typed (that is always a parameter).
pub fn sql_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value a [`Condition`] compares with, for a store to bind as its own parameter type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondValue {
    /// An integer (times in milliseconds).
    Int(i64),
    /// Text.
    Text(String),
}

/// One condition of a filter on the columns a transaction table has on the device and on the
/// server alike (`t.created_at`, `t.event_id`, …): `clause` with one `?` for `value`, or with
/// none when `value` is `None` (lists of kinds and results, written in from their own names).
///
/// Both stores write the same conditions from here. What differs stays in each store: the
/// text search (the device matches its own `search_text` column; the server asks its trigram
/// index first), the server's till filter, and how each binds and numbers parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// SQL on table alias `t`.
    pub clause: String,
    /// The value for its `?`.
    pub value: Option<CondValue>,
}

impl TxFilter {
    /// The filter's conditions other than text, in a fixed order; an unknown payment method is
    /// an error.
    pub fn conditions(&self) -> Result<Vec<Condition>, FilterError> {
        let one = |clause: &str, value: CondValue| Condition {
            clause: clause.to_string(),
            value: Some(value),
        };
        let mut out = Vec::new();
        if let Some(f) = self.from {
            out.push(one("t.created_at >= ?", CondValue::Int(f.as_millisecond())));
        }
        if let Some(to) = self.to {
            out.push(one("t.created_at < ?", CondValue::Int(to.as_millisecond())));
        }
        if let Some(e) = self.event_id {
            out.push(one("t.event_id = ?", CondValue::Text(e.0.to_string())));
        }
        if let Some(s) = self.staff() {
            out.push(one("t.staff = ?", CondValue::Text(s.to_string())));
        }
        if let Some(c) = self.currency {
            out.push(one("t.currency = ?", CondValue::Text(c.code().to_string())));
        }
        if let Some(m) = self.method()? {
            out.push(one("t.method = ?", CondValue::Text(m.to_string())));
        }
        if !self.kinds.is_empty() {
            out.push(Condition {
                clause: format!(
                    "t.kind IN ({})",
                    sql_names(self.kinds.iter().map(|k| k.as_str()))
                ),
                value: None,
            });
        }
        if !self.results.is_empty() {
            out.push(Condition {
                clause: format!(
                    "t.result IN ({})",
                    sql_names(self.results.iter().map(|r| r.as_str()))
                ),
                value: None,
            });
        }
        Ok(out)
    }
}

/// Where a newest-first list page ends: the last row's time (ms) and id, as `ms:id`.
pub fn encode_cursor(created_at: Timestamp, id: &str) -> String {
    format!("{}:{}", created_at.as_millisecond(), id)
}

/// Reads a cursor made by [`encode_cursor`]: time in ms and a UUID.
pub fn decode_cursor(cursor: &str) -> Result<(i64, String), FilterError> {
    let (at, id) = cursor.split_once(':').ok_or(FilterError::BadCursor)?;
    let at: i64 = at.parse().map_err(|_| FilterError::BadCursor)?;
    let id: uuid::Uuid = id.parse().map_err(|_| FilterError::BadCursor)?;
    Ok((at, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_text_are_checked_and_escaped() {
        let f = TxFilter {
            method: Some(" card ".into()),
            text: Some("50%_off".into()),
            ..TxFilter::default()
        };
        assert_eq!(f.method(), Ok(Some("card")));
        assert_eq!(f.text_pattern().as_deref(), Some("%50\\%\\_off%"));
        let bad = TxFilter {
            method: Some("cheque".into()),
            ..TxFilter::default()
        };
        assert!(bad.method().is_err());
        let id = uuid::Uuid::nil().to_string();
        let at = Timestamp::from_millisecond(5).unwrap();
        assert_eq!(decode_cursor(&encode_cursor(at, &id)), Ok((5, id)));
        assert_eq!(decode_cursor("x"), Err(FilterError::BadCursor));
    }
}
