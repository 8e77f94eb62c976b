//! The manager's text search: which orders (customer name, email, phone, receipt) and which
//! transactions (external reference) contain what was typed, found through a trigram index
//! (FTS5 on SQLite, pg_trgm on PostgreSQL; schema version 5). This lookup is the one statement
//! written per backend.
//!
//! The index answers when it helps: for three or more characters that occur in few rows. Text
//! that is shorter, or common enough that the newest matches are a short walk of the time index
//! away, is compared row by row (`LIKE`) instead, which for a first page is the quicker way.

use super::{Db, Dialect, Param, Result};

/// Up to this many matching orders and transactions are listed by id; beyond it, the matches
/// are common and a walk of the newest rows finds a page of them sooner.
pub(crate) const FEW_MATCHES: usize = 2000;

/// How a text filter finds its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextMatch {
    /// The index found these orders and transactions (few; maybe none).
    Few {
        /// Orders whose customer or receipt contains the text.
        orders: Vec<String>,
        /// Transactions whose external reference contains it.
        transactions: Vec<String>,
    },
    /// Compare each row with the `LIKE` pattern.
    Scan,
}

/// The rows whose text contains `text` (trimmed, not empty), if the index is the quicker way
/// to them. `pattern` is the same text as a `LIKE` pattern (lower case, escaped).
pub(crate) fn text_matches(db: &mut dyn Db, text: &str, pattern: &str) -> Result<TextMatch> {
    if text.chars().count() < 3 {
        return Ok(TextMatch::Scan);
    }
    let limit = i64::try_from(FEW_MATCHES + 1).unwrap_or(i64::MAX);
    let (orders_sql, references_sql, needle) = match db.dialect() {
        Dialect::Sqlite => (
            "SELECT order_id FROM orders_text WHERE orders_text MATCH $1 LIMIT $2",
            "SELECT transaction_id FROM transactions_reference_text
             WHERE transactions_reference_text MATCH $1 LIMIT $2",
            // The whole text as one trigram phrase: it matches where the text occurs as typed.
            format!("\"{}\"", text.replace('"', "\"\"")),
        ),
        Dialect::Postgres => (
            // The expressions of the indexes `orders_text` and `transactions_reference_text`.
            "SELECT id FROM orders
             WHERE lower(coalesce(customer_name, '') || E'\\x1f' || coalesce(customer_email, '') || E'\\x1f'
                         || coalesce(customer_phone, '') || E'\\x1f' || receipt) LIKE $1
             LIMIT $2",
            "SELECT id FROM transactions
             WHERE external_reference IS NOT NULL AND lower(external_reference) LIKE $1 LIMIT $2",
            pattern.to_string(),
        ),
    };
    let params: [Param; 2] = [needle.into(), limit.into()];
    let ids = |rows: Vec<super::Row>| rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>>>();
    // Planned for this very text: a kept generic plan cannot know the index helps.
    let orders = ids(db.query_planned(orders_sql, &params)?)?;
    if orders.len() > FEW_MATCHES {
        return Ok(TextMatch::Scan);
    }
    let transactions = ids(db.query_planned(references_sql, &params)?)?;
    if orders.len() + transactions.len() > FEW_MATCHES {
        return Ok(TextMatch::Scan);
    }
    Ok(TextMatch::Few {
        orders,
        transactions,
    })
}
