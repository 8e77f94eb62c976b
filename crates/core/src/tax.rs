//! Tax: categories, rates, inclusive and exclusive pricing. The rounding of tax is the money
//! module's one rule (half away from zero), applied per line.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{round_to_currency, Money, MoneyError};

/// Which rate of the event's tax policy applies to a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum TaxCategory {
    /// The standard rate.
    Standard,
    /// The reduced rate (books, food…).
    Reduced,
    /// No tax.
    Exempt,
}

impl TaxCategory {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaxCategory::Standard => "standard",
            TaxCategory::Reduced => "reduced",
            TaxCategory::Exempt => "exempt",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "standard" => Some(TaxCategory::Standard),
            "reduced" => Some(TaxCategory::Reduced),
            "exempt" | "zero" | "none" => Some(TaxCategory::Exempt),
            _ => None,
        }
    }
}

/// Whether prices already include tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Prices include tax (typical in Europe); the tax is the part of the price.
    Inclusive,
    /// Tax is added on top of prices (typical in the US).
    Exclusive,
}

/// An event's tax rates, as percentages (`20` is 20 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TaxPolicy {
    /// Inclusive or exclusive prices.
    pub mode: TaxMode,
    /// Standard rate in percent.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub standard_rate: Decimal,
    /// Reduced rate in percent.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub reduced_rate: Decimal,
}

/// Tax policy errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    /// A rate outside 0–100 %.
    #[error("tax rate {0}% must be between 0 and 100")]
    RateOutOfRange(Decimal),
}

/// A line amount split into its tax and the amount payable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TaxSplit {
    /// The tax contained in or added to the amount.
    pub tax: Money,
    /// What the customer pays for the line.
    pub payable: Money,
}

impl TaxPolicy {
    /// A policy with no tax at all.
    pub fn none() -> Self {
        TaxPolicy {
            mode: TaxMode::Inclusive,
            standard_rate: Decimal::ZERO,
            reduced_rate: Decimal::ZERO,
        }
    }

    /// A checked policy.
    pub fn new(
        mode: TaxMode,
        standard_rate: Decimal,
        reduced_rate: Decimal,
    ) -> Result<Self, TaxError> {
        for rate in [standard_rate, reduced_rate] {
            if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
                return Err(TaxError::RateOutOfRange(rate));
            }
        }
        Ok(TaxPolicy {
            mode,
            standard_rate,
            reduced_rate,
        })
    }

    /// The rate in percent for a category.
    pub fn rate(&self, category: TaxCategory) -> Decimal {
        match category {
            TaxCategory::Standard => self.standard_rate,
            TaxCategory::Reduced => self.reduced_rate,
            TaxCategory::Exempt => Decimal::ZERO,
        }
    }

    /// Splits a (discounted) line amount into tax and payable amount.
    pub fn split(&self, amount: Money, category: TaxCategory) -> Result<TaxSplit, MoneyError> {
        let rate = self.rate(category);
        let value = amount.to_decimal();
        match self.mode {
            TaxMode::Exclusive => {
                let tax =
                    round_to_currency(value * rate / Decimal::ONE_HUNDRED, amount.currency())?;
                Ok(TaxSplit {
                    tax,
                    payable: amount.checked_add(tax)?,
                })
            }
            TaxMode::Inclusive => {
                let tax = round_to_currency(
                    value * rate / (Decimal::ONE_HUNDRED + rate),
                    amount.currency(),
                )?;
                Ok(TaxSplit {
                    tax,
                    payable: amount,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn usd(text: &str) -> Money {
        Money::parse(text, Currency::from_code("USD").expect("usd")).expect("amount")
    }

    #[test]
    fn exclusive_tax_is_added_and_rounded_half_away_from_zero() {
        let policy = TaxPolicy::new(TaxMode::Exclusive, dec!(8.875), dec!(0)).expect("policy");
        let split = policy
            .split(usd("10.00"), TaxCategory::Standard)
            .expect("split");
        assert_eq!(split.tax, usd("0.89")); // 0.8875 -> 0.89
        assert_eq!(split.payable, usd("10.89"));
    }

    #[test]
    fn inclusive_tax_is_the_part_of_the_price() {
        let policy = TaxPolicy::new(TaxMode::Inclusive, dec!(20), dec!(5)).expect("policy");
        let split = policy
            .split(usd("12.00"), TaxCategory::Standard)
            .expect("split");
        assert_eq!(split.tax, usd("2.00"));
        assert_eq!(split.payable, usd("12.00"));
        let reduced = policy
            .split(usd("10.50"), TaxCategory::Reduced)
            .expect("split");
        assert_eq!(reduced.tax, usd("0.50"));
        assert_eq!(
            policy
                .split(usd("10.50"), TaxCategory::Exempt)
                .expect("split")
                .tax,
            usd("0")
        );
    }

    #[test]
    fn rates_outside_0_to_100_are_refused() {
        assert!(TaxPolicy::new(TaxMode::Exclusive, dec!(-1), dec!(0)).is_err());
        assert!(TaxPolicy::new(TaxMode::Exclusive, dec!(0), dec!(101)).is_err());
    }
}
