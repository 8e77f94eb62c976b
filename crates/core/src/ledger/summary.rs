//! The per-currency summary of any set of transactions (docs/domain.md, rule 9: only approved
//! transactions move money; the others are counted as attempts).
//!
//! The definition lives in [`Summary::add`]: the store feeds it rows grouped by SQL, the
//! ledger feeds it transactions one by one, and both get the same figures.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

use super::transaction::{Transaction, TxKind, TxResult};
use super::Ledger;

/// Totals of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrencySummary {
    /// The currency.
    pub currency: Currency,
    /// Money taken: approved sales and captures.
    pub gross_sales: Money,
    /// Approved authorizations.
    pub authorized: Money,
    /// Approved captures.
    pub captured: Money,
    /// Complete refunds.
    pub refunded: Money,
    /// Refunds still pending.
    pub refund_pending: Money,
    /// Amounts released or undone by approved voids.
    pub voided: Money,
    /// Canceled transactions, and authorizations that expired uncaptured (their remainder).
    pub canceled: Money,
    /// Credits paid out.
    pub credited: Money,
    /// Gross sales less voided logged sales, refunds and credits.
    pub net: Money,
    /// Transactions by result.
    pub approved_count: u64,
    /// Declined attempts.
    pub declined_count: u64,
    /// Abandoned attempts.
    pub abandoned_count: u64,
    /// Canceled attempts.
    pub canceled_count: u64,
    /// Results not known yet.
    pub unknown_count: u64,
}

/// One group of transactions, as the store's SQL returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryRow {
    /// Currency.
    pub currency: Currency,
    /// Kind.
    pub kind: TxKind,
    /// Kind of the parent (decides what a void undoes).
    pub parent_kind: Option<TxKind>,
    /// Current result.
    pub result: TxResult,
    /// Number of transactions.
    pub count: u64,
    /// Sum of their amounts, minor units.
    pub amount_minor: i64,
    /// For approved authorizations: sum of what expired uncaptured, minor units.
    pub expired_minor: i64,
}

/// Totals per currency, sorted by currency code. Amounts of different currencies are never added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// One entry per currency present.
    pub currencies: Vec<CurrencySummary>,
}

#[derive(Default)]
struct Acc {
    gross: i64,
    authorized: i64,
    captured: i64,
    refunded: i64,
    refund_pending: i64,
    voided: i64,
    voided_sales: i64,
    canceled: i64,
    credited: i64,
    counts: [u64; 5],
}

/// Builds a [`Summary`] from rows.
#[derive(Default)]
pub struct SummaryBuilder {
    by_currency: BTreeMap<Currency, Acc>,
}

impl SummaryBuilder {
    /// Adds a group of transactions.
    pub fn add(&mut self, row: SummaryRow) {
        let acc = self.by_currency.entry(row.currency).or_default();
        let amount = row.amount_minor;
        let slot = match row.result {
            TxResult::Approved => 0,
            TxResult::Declined => 1,
            TxResult::Abandoned => 2,
            TxResult::Canceled => 3,
            TxResult::Unknown => 4,
        };
        acc.counts[slot] += row.count;
        match (row.result, row.kind) {
            (TxResult::Approved, TxKind::Sale) => acc.gross += amount,
            (TxResult::Approved, TxKind::Capture) => {
                acc.captured += amount;
                acc.gross += amount;
            }
            (TxResult::Approved, TxKind::Authorize) => {
                acc.authorized += amount;
                acc.canceled += row.expired_minor;
            }
            (TxResult::Approved, TxKind::Void) => {
                acc.voided += amount;
                match row.parent_kind {
                    Some(TxKind::Sale) => acc.voided_sales += amount,
                    Some(
                        TxKind::Authorize
                        | TxKind::Capture
                        | TxKind::Void
                        | TxKind::Refund
                        | TxKind::Credit,
                    )
                    | None => {}
                }
            }
            (TxResult::Approved, TxKind::Refund) => acc.refunded += amount,
            (TxResult::Approved, TxKind::Credit) => acc.credited += amount,
            (TxResult::Unknown, TxKind::Refund) => acc.refund_pending += amount,
            (TxResult::Canceled, _) => acc.canceled += amount,
            (
                TxResult::Unknown,
                TxKind::Sale | TxKind::Capture | TxKind::Authorize | TxKind::Void | TxKind::Credit,
            )
            | (TxResult::Declined | TxResult::Abandoned, _) => {}
        }
    }

    /// The summary.
    pub fn finish(self) -> Summary {
        let currencies = self
            .by_currency
            .into_iter()
            .map(|(c, a)| {
                let m = |minor: i64| Money::from_minor(minor, c);
                CurrencySummary {
                    currency: c,
                    gross_sales: m(a.gross),
                    authorized: m(a.authorized),
                    captured: m(a.captured),
                    refunded: m(a.refunded),
                    refund_pending: m(a.refund_pending),
                    voided: m(a.voided),
                    canceled: m(a.canceled),
                    credited: m(a.credited),
                    net: m(a.gross - a.voided_sales - a.refunded - a.credited),
                    approved_count: a.counts[0],
                    declined_count: a.counts[1],
                    abandoned_count: a.counts[2],
                    canceled_count: a.counts[3],
                    unknown_count: a.counts[4],
                }
            })
            .collect();
        Summary { currencies }
    }
}

impl Summary {
    /// The summary of one currency, if present.
    pub fn currency(&self, currency: Currency) -> Option<&CurrencySummary> {
        self.currencies.iter().find(|c| c.currency == currency)
    }
}

impl Ledger {
    /// The per-currency summary of the transactions `include` selects, at `now` (expiry depends
    /// on the time). Expired remainders are computed over the whole chain, whatever the filter.
    pub fn summary(&self, now: Timestamp, include: impl Fn(&Transaction) -> bool) -> Summary {
        let mut b = SummaryBuilder::default();
        for tx in self.transactions().filter(|t| include(t)) {
            let expired_minor = match tx.kind {
                TxKind::Authorize => self.auth_state(tx, now).expired_remainder.minor(),
                TxKind::Capture | TxKind::Sale | TxKind::Void | TxKind::Refund | TxKind::Credit => {
                    0
                }
            };
            b.add(SummaryRow {
                currency: tx.amount.currency(),
                kind: tx.kind,
                parent_kind: tx.parent_kind,
                result: tx.result(),
                count: 1,
                amount_minor: tx.amount.minor(),
                expired_minor,
            });
        }
        b.finish()
    }
}
