//! Orders: lines, one-off discounts, tax and totals.
//!
//! Totals are computed line by line: line discount, then the line's share of any order discount
//! (allocated exactly, largest remainder first, so shares add up to the order discount to the
//! cent), then tax. Each line's payable amount is what an item refund gives back per unit share.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{Customer, CustomerError};
use crate::event::SaleContext;
use crate::ids::OrderId;
use crate::money::{round_to_currency, Currency, Money, MoneyError};
use crate::tax::{TaxCategory, TaxPolicy};

/// How big a one-off discount is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiscountValue {
    /// A fixed amount off.
    Amount {
        /// The amount off.
        amount: Money,
    },
    /// A percentage off (0 < p <= 100).
    Percent {
        /// Percent, e.g. `"10"`.
        #[serde(with = "rust_decimal::serde::str")]
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        percent: Decimal,
    },
}

/// A one-off discount with the reason it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Discount {
    /// Amount or percent.
    pub value: DiscountValue,
    /// Why (kept for the books).
    pub reason: String,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OrderLine {
    /// Product SKU.
    pub sku: String,
    /// Product name as sold.
    pub name: String,
    /// Price per unit as sold (may override the catalog price).
    pub unit_price: Money,
    /// Units, at least 1.
    pub quantity: u32,
    /// Tax category.
    pub tax_category: TaxCategory,
    /// A discount on this line.
    pub discount: Option<Discount>,
    /// Why the catalog price was overridden, when it was.
    pub price_override_reason: Option<String>,
}

/// The SKU of a line sold as a typed amount with no product (a keypad sale). No product can
/// have it: a product's SKU is never empty.
pub const CUSTOM_SKU: &str = "";

/// The name of a keypad line when staff typed no note.
pub const CUSTOM_NAME: &str = "Custom amount";

impl OrderLine {
    /// A keypad line: one unit of `amount`, named by the note (or "Custom amount").
    pub fn custom(amount: Money, tax_category: TaxCategory, note: Option<&str>) -> Self {
        let name = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(CUSTOM_NAME);
        OrderLine {
            sku: CUSTOM_SKU.to_string(),
            name: name.to_string(),
            unit_price: amount,
            quantity: 1,
            tax_category,
            discount: None,
            price_override_reason: None,
        }
    }

    /// True for a line sold as a typed amount rather than a product.
    pub fn is_custom(&self) -> bool {
        self.sku == CUSTOM_SKU
    }
}

/// What the till sends to place an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OrderDraft {
    /// Currency of every line.
    pub currency: Currency,
    /// Lines, at least one.
    pub lines: Vec<OrderLine>,
    /// A discount on the whole order.
    pub discount: Option<Discount>,
    /// Tax rates in force.
    pub tax: TaxPolicy,
    /// The customer, if given.
    pub customer: Option<Customer>,
    /// A free note.
    pub note: Option<String>,
    /// Who referred the customer (a name or code), for their commission. Absent in orders made
    /// before referrers were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub referrer: Option<String>,
}

/// A placed order. Immutable once placed; its state comes from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Order {
    /// Identifier.
    pub id: OrderId,
    /// Human receipt number unique per device (`B3-000127`).
    pub receipt: String,
    /// Where and by whom.
    pub context: SaleContext,
    /// When it was placed.
    pub created_at: Timestamp,
    /// Lines, discounts, tax and customer.
    #[serde(flatten)]
    pub draft: OrderDraft,
}

/// Amounts of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LineTotals {
    /// Unit price times quantity.
    pub gross: Money,
    /// The line's own discount.
    pub line_discount: Money,
    /// The line's share of the order discount.
    pub order_discount: Money,
    /// Tax included in or added to the line.
    pub tax: Money,
    /// What the customer pays for the line.
    pub payable: Money,
}

/// Amounts of a whole order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OrderTotals {
    /// Per line, in line order.
    pub lines: Vec<LineTotals>,
    /// Sum of gross line amounts.
    pub subtotal: Money,
    /// All discounts given.
    pub discount: Money,
    /// All tax.
    pub tax: Money,
    /// What the customer pays.
    pub total: Money,
}

/// Why an order was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// No lines.
    #[error("the order has no items")]
    Empty,
    /// A zero quantity.
    #[error("line {line}: quantity must be at least 1")]
    ZeroQuantity {
        /// 1-based line.
        line: usize,
    },
    /// A negative price.
    #[error("line {line}: price cannot be negative")]
    NegativePrice {
        /// 1-based line.
        line: usize,
    },
    /// A line in another currency.
    #[error("line {line}: price is in {found}, the order is in {expected}")]
    MixedCurrency {
        /// 1-based line.
        line: usize,
        /// Order currency.
        expected: Currency,
        /// Line currency.
        found: Currency,
    },
    /// A bad discount.
    #[error("{target}: {problem}")]
    BadDiscount {
        /// "line 2" or "order".
        target: String,
        /// What is wrong.
        problem: String,
    },
    /// A price override without a reason.
    #[error("line {line}: a changed price needs a reason")]
    OverrideWithoutReason {
        /// 1-based line.
        line: usize,
    },
    /// Customer details.
    #[error(transparent)]
    Customer(#[from] CustomerError),
    /// Money arithmetic.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Splits `total` minor units in proportion to `weights`, exactly: floors first, then the
/// leftover units to the largest remainders (earlier lines win ties).
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum <= 0 {
        return vec![0; weights.len()];
    }
    let t = i128::from(total);
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = t * i128::from(*w);
        shares.push(i64::try_from(exact.div_euclid(sum)).unwrap_or(0));
        remainders.push((exact.rem_euclid(sum), i));
    }
    let mut left = total - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left <= 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

fn discount_amount(discount: &Discount, base: Money, target: &str) -> Result<Money, OrderError> {
    let bad = |problem: String| OrderError::BadDiscount {
        target: target.to_string(),
        problem,
    };
    if discount.reason.trim().is_empty() {
        return Err(bad("a discount needs a reason".into()));
    }
    let amount = match &discount.value {
        DiscountValue::Amount { amount } => {
            if amount.currency() != base.currency() {
                return Err(bad(format!(
                    "discount is in {}, the order is in {}",
                    amount.currency(),
                    base.currency()
                )));
            }
            *amount
        }
        DiscountValue::Percent { percent } => {
            if *percent <= Decimal::ZERO || *percent > Decimal::ONE_HUNDRED {
                return Err(bad(format!(
                    "{percent}% must be more than 0 and at most 100"
                )));
            }
            round_to_currency(
                base.to_decimal() * percent / Decimal::ONE_HUNDRED,
                base.currency(),
            )?
        }
    };
    if !amount.is_positive() {
        return Err(bad("discount must be more than zero".into()));
    }
    if amount.minor() > base.minor() {
        return Err(bad(format!(
            "discount {amount} is more than the {base} it applies to"
        )));
    }
    Ok(amount)
}

impl OrderDraft {
    /// Checks the draft and computes its totals.
    pub fn totals(&self) -> Result<OrderTotals, OrderError> {
        let currency = self.currency;
        if self.lines.is_empty() {
            return Err(OrderError::Empty);
        }
        let mut after_line = Vec::with_capacity(self.lines.len());
        let mut partial = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let line = i + 1;
            if l.quantity == 0 {
                return Err(OrderError::ZeroQuantity { line });
            }
            if l.unit_price.currency() != currency {
                return Err(OrderError::MixedCurrency {
                    line,
                    expected: currency,
                    found: l.unit_price.currency(),
                });
            }
            if l.unit_price.minor() < 0 {
                return Err(OrderError::NegativePrice { line });
            }
            if l.price_override_reason
                .as_deref()
                .is_some_and(|r| r.trim().is_empty())
            {
                return Err(OrderError::OverrideWithoutReason { line });
            }
            let gross = l.unit_price.checked_mul(i64::from(l.quantity))?;
            let line_discount = match &l.discount {
                Some(d) => discount_amount(d, gross, &format!("line {line}"))?,
                None => Money::zero(currency),
            };
            let net = gross.checked_sub(line_discount)?;
            after_line.push(net.minor());
            partial.push((gross, line_discount));
        }
        let base = Money::from_minor(after_line.iter().sum(), currency);
        let order_discount = match &self.discount {
            Some(d) => discount_amount(d, base, "order")?,
            None => Money::zero(currency),
        };
        let shares = allocate(order_discount.minor(), &after_line);
        let mut lines = Vec::with_capacity(self.lines.len());
        for ((l, (gross, line_discount)), (net_before, share)) in self
            .lines
            .iter()
            .zip(partial)
            .zip(after_line.iter().zip(shares))
        {
            let net = Money::from_minor(net_before - share, currency);
            let split = self.tax.split(net, l.tax_category)?;
            lines.push(LineTotals {
                gross,
                line_discount,
                order_discount: Money::from_minor(share, currency),
                tax: split.tax,
                payable: split.payable,
            });
        }
        let sum = |f: fn(&LineTotals) -> Money| -> Result<Money, MoneyError> {
            lines
                .iter()
                .try_fold(Money::zero(currency), |acc, l| acc.checked_add(f(l)))
        };
        Ok(OrderTotals {
            subtotal: sum(|l| l.gross)?,
            discount: sum(|l| l.line_discount)?.checked_add(order_discount)?,
            tax: sum(|l| l.tax)?,
            total: sum(|l| l.payable)?,
            lines,
        })
    }

    /// Trims and checks the customer, if any.
    pub fn with_checked_customer(mut self) -> Result<Self, OrderError> {
        self.customer = match self.customer.take() {
            Some(c) => match c.validated() {
                Ok(valid) => Some(valid),
                Err(CustomerError::Empty) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        Ok(self)
    }
}

impl Order {
    /// Places an order: checks the draft and customer and stamps it.
    pub fn place(
        id: OrderId,
        receipt: String,
        context: SaleContext,
        created_at: Timestamp,
        draft: OrderDraft,
    ) -> Result<Self, OrderError> {
        let draft = draft.with_checked_customer()?;
        draft.totals()?;
        Ok(Order {
            id,
            receipt,
            context,
            created_at,
            draft,
        })
    }

    /// The order's totals.
    pub fn totals(&self) -> Result<OrderTotals, OrderError> {
        self.draft.totals()
    }

    /// The order's currency.
    pub fn currency(&self) -> Currency {
        self.draft.currency
    }
}

/// The payable amount of `quantity` more units of a line of which `already` units were refunded
/// before. Computed as a difference of cumulative rounded shares, so refunding every unit gives
/// back the line's payable amount to the cent, whatever the order of partial refunds.
pub fn units_share(
    line: &LineTotals,
    line_quantity: u32,
    already: u32,
    quantity: u32,
) -> Result<Money, MoneyError> {
    let payable = line.payable;
    let q = Decimal::from(line_quantity);
    let cumulative = |units: u32| {
        round_to_currency(
            payable.to_decimal() * Decimal::from(units) / q,
            payable.currency(),
        )
    };
    cumulative(already + quantity)?.checked_sub(cumulative(already)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tax::TaxMode;
    use rust_decimal_macros::dec;

    fn usd(t: &str) -> Money {
        Money::parse(t, Currency::from_code("USD").expect("usd")).expect("amount")
    }

    fn line(price: &str, quantity: u32) -> OrderLine {
        OrderLine {
            sku: "SKU".into(),
            name: "Item".into(),
            unit_price: usd(price),
            quantity,
            tax_category: TaxCategory::Standard,
            discount: None,
            price_override_reason: None,
        }
    }

    fn draft(lines: Vec<OrderLine>, discount: Option<Discount>, tax: TaxPolicy) -> OrderDraft {
        OrderDraft {
            currency: Currency::from_code("USD").expect("usd"),
            lines,
            discount,
            tax,
            customer: None,
            note: None,
            referrer: None,
        }
    }

    #[test]
    fn allocation_is_exact() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
        assert_eq!(allocate(7, &[0, 0]), vec![0, 0]);
        let shares = allocate(1001, &[333, 333, 334]);
        assert_eq!(shares.iter().sum::<i64>(), 1001);
    }

    #[test]
    fn order_discount_is_shared_across_lines_to_the_cent() {
        let d = Discount {
            value: DiscountValue::Percent { percent: dec!(10) },
            reason: "show special".into(),
        };
        let t = draft(
            vec![line("3.33", 1), line("3.33", 1), line("3.34", 1)],
            Some(d),
            TaxPolicy::none(),
        )
        .totals()
        .expect("totals");
        assert_eq!(t.subtotal, usd("10.00"));
        assert_eq!(t.discount, usd("1.00"));
        assert_eq!(t.total, usd("9.00"));
        let shares: i64 = t.lines.iter().map(|l| l.order_discount.minor()).sum();
        assert_eq!(shares, 100);
    }

    #[test]
    fn line_discount_then_exclusive_tax() {
        let mut l = line("10.00", 3);
        l.discount = Some(Discount {
            value: DiscountValue::Amount {
                amount: usd("5.00"),
            },
            reason: "damaged box".into(),
        });
        let tax = TaxPolicy::new(TaxMode::Exclusive, dec!(10), dec!(0)).expect("policy");
        let t = draft(vec![l], None, tax).totals().expect("totals");
        assert_eq!(t.lines[0].gross, usd("30.00"));
        assert_eq!(t.tax, usd("2.50"));
        assert_eq!(t.total, usd("27.50"));
    }

    #[test]
    fn bad_discounts_are_refused() {
        let no_reason = Discount {
            value: DiscountValue::Percent { percent: dec!(5) },
            reason: " ".into(),
        };
        assert!(matches!(
            draft(vec![line("1", 1)], Some(no_reason), TaxPolicy::none()).totals(),
            Err(OrderError::BadDiscount { .. })
        ));
        let too_big = Discount {
            value: DiscountValue::Amount { amount: usd("2") },
            reason: "x".into(),
        };
        assert!(matches!(
            draft(vec![line("1", 1)], Some(too_big), TaxPolicy::none()).totals(),
            Err(OrderError::BadDiscount { .. })
        ));
        let over_100 = Discount {
            value: DiscountValue::Percent { percent: dec!(150) },
            reason: "x".into(),
        };
        assert!(draft(vec![line("1", 1)], Some(over_100), TaxPolicy::none())
            .totals()
            .is_err());
        assert!(matches!(
            draft(vec![], None, TaxPolicy::none()).totals(),
            Err(OrderError::Empty)
        ));
        assert!(matches!(
            draft(vec![line("1", 0)], None, TaxPolicy::none()).totals(),
            Err(OrderError::ZeroQuantity { line: 1 })
        ));
    }

    #[test]
    fn refunding_every_unit_gives_back_the_line_exactly() {
        let lt = LineTotals {
            gross: usd("10.00"),
            line_discount: usd("0"),
            order_discount: usd("0"),
            tax: usd("0"),
            payable: usd("10.00"),
        };
        let a = units_share(&lt, 3, 0, 1).expect("share");
        let b = units_share(&lt, 3, 1, 1).expect("share");
        let c = units_share(&lt, 3, 2, 1).expect("share");
        assert_eq!(a.minor() + b.minor() + c.minor(), 1000);
        assert_eq!(units_share(&lt, 3, 0, 3), Ok(usd("10.00")));
    }
}
