//! Commissions (docs/domain.md, "Commissions"): a percentage of an order's net sales — what the
//! customer paid and kept, without tax — for the staff member who sold it or the referrer it
//! names, over every line or only a product's or an offer's lines. Refunds, voids and write-offs
//! count against the sale they reverse, whenever they happen: a commission is worked out from
//! the order as it stands now, so running the same period again after a late refund gives less.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ledger::{OrderView, TxKind};
use crate::money::{round_to_currency, Money, MoneyError};

/// Which lines of an order a rule pays on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lines<'a> {
    /// All of them.
    All,
    /// Those with these SKUs, when the order holds each at least at its quantity (a product is
    /// one SKU at 1; an offer is its lines).
    Holding(&'a [(String, u32)]),
}

/// A rate in percent: more than 0, at most 100, at most two decimal places ("7.5").
pub fn check_rate(rate: Decimal) -> Result<Decimal, String> {
    if rate <= Decimal::ZERO || rate > Decimal::ONE_HUNDRED || rate.normalize().scale() > 2 {
        return Err(format!(
            "a commission rate is a percentage above 0 and at most 100, with at most two decimals (not {rate})"
        ));
    }
    Ok(rate.normalize())
}

/// One order's commission under one rule, every amount in the order's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Commission {
    /// The lines the rule pays on, as sold, tax included.
    pub sold: Money,
    /// Paid for the order (approved sales and captures, less voided ones).
    pub paid: Money,
    /// Voided payments.
    pub voided: Money,
    /// Refunded, complete.
    pub refunded: Money,
    /// Written off (never paid).
    pub written_off: Money,
    /// The net sales it pays on: the lines' share of what was paid and kept, without tax.
    pub net: Money,
    /// The commission.
    pub commission: Money,
}

/// `view`'s commission at `rate` percent on `lines`; `None` when the order does not hold what
/// `lines` asks for or sold nothing.
pub fn commission_of(
    view: &OrderView,
    lines: &Lines<'_>,
    rate: Decimal,
) -> Result<Option<Commission>, MoneyError> {
    let currency = view.totals.total.currency();
    let draft = &view.order.draft;
    let wanted = |sku: &str| match lines {
        Lines::All => true,
        Lines::Holding(needs) => needs.iter().any(|(s, _)| s == sku),
    };
    if let Lines::Holding(needs) = lines {
        for (sku, quantity) in needs.iter() {
            let held: u64 = draft
                .lines
                .iter()
                .filter(|l| &l.sku == sku)
                .map(|l| u64::from(l.quantity))
                .sum();
            if held < u64::from(*quantity) {
                return Ok(None);
            }
        }
    }
    let mut sold = Money::zero(currency);
    let mut net_of_tax = Money::zero(currency);
    for (line, totals) in draft.lines.iter().zip(&view.totals.lines) {
        if wanted(&line.sku) {
            sold = sold.checked_add(totals.payable)?;
            net_of_tax = net_of_tax.checked_add(totals.payable.checked_sub(totals.tax)?)?;
        }
    }
    let total = view.totals.total;
    if total.is_zero() || sold.is_zero() {
        return Ok(None);
    }
    let mut voided = Money::zero(currency);
    for t in &view.transactions {
        match t.kind {
            TxKind::Void => voided = voided.checked_add(t.amount)?,
            TxKind::Sale
            | TxKind::Capture
            | TxKind::Authorize
            | TxKind::Refund
            | TxKind::Credit => {}
        }
    }
    let kept = view.paid.checked_sub(view.refunded)?;
    let kept = if kept.is_positive() {
        kept
    } else {
        Money::zero(currency)
    };
    // The lines' share of what was kept, without tax: net_of_tax × kept / total, rounded once.
    let net = round_to_currency(
        net_of_tax.to_decimal() * kept.to_decimal() / total.to_decimal(),
        currency,
    )?;
    let commission = round_to_currency(net.to_decimal() * rate / Decimal::ONE_HUNDRED, currency)?;
    Ok(Some(Commission {
        sold,
        paid: view.paid,
        voided,
        refunded: view.refunded,
        written_off: view
            .write_off
            .as_ref()
            .map_or(Money::zero(currency), |w| w.amount),
        net,
        commission,
    }))
}
