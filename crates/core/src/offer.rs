//! Saved offers: named bundles of products, prices and quantities. Once saved an offer is never
//! edited or deleted; it can be retired (hidden from pickers), and a changed offer is a new one.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::OfferId;
use crate::money::{Currency, Money, MoneyError};
use crate::tax::TaxCategory;

/// One line of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OfferLine {
    /// Product SKU.
    pub sku: String,
    /// Product name at the time the offer was saved.
    pub name: String,
    /// Price per unit in the offer.
    pub unit_price: Money,
    /// Units.
    pub quantity: u32,
    /// Tax category.
    pub tax_category: TaxCategory,
}

/// A saved offer. Immutable: there is no setter and no way to change it once built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Offer {
    id: OfferId,
    name: String,
    currency: Currency,
    lines: Vec<OfferLine>,
    created_at: Timestamp,
}

/// Why an offer could not be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// No name.
    #[error("an offer needs a name")]
    NoName,
    /// No lines.
    #[error("an offer needs at least one product")]
    NoLines,
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
    /// Lines in several currencies.
    #[error("line {line}: all lines must be in {expected}")]
    MixedCurrency {
        /// 1-based line.
        line: usize,
        /// The offer's currency.
        expected: Currency,
    },
    /// Money error.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl Offer {
    /// Builds and checks an offer.
    pub fn new(
        id: OfferId,
        name: &str,
        currency: Currency,
        lines: Vec<OfferLine>,
        created_at: Timestamp,
    ) -> Result<Self, OfferError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(OfferError::NoName);
        }
        if lines.is_empty() {
            return Err(OfferError::NoLines);
        }
        for (i, l) in lines.iter().enumerate() {
            let line = i + 1;
            if l.quantity == 0 {
                return Err(OfferError::ZeroQuantity { line });
            }
            if l.unit_price.currency() != currency {
                return Err(OfferError::MixedCurrency {
                    line,
                    expected: currency,
                });
            }
            if l.unit_price.minor() < 0 {
                return Err(OfferError::NegativePrice { line });
            }
        }
        Ok(Offer {
            id,
            name: name.to_string(),
            currency,
            lines,
            created_at,
        })
    }

    /// Identifier.
    pub fn id(&self) -> OfferId {
        self.id
    }
    /// Name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// Lines.
    pub fn lines(&self) -> &[OfferLine] {
        &self.lines
    }
    /// When it was saved.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// List price of the whole offer before tax and discounts.
    pub fn list_total(&self) -> Result<Money, MoneyError> {
        self.lines
            .iter()
            .try_fold(Money::zero(self.currency), |sum, l| {
                sum.checked_add(l.unit_price.checked_mul(i64::from(l.quantity))?)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(t: &str) -> Money {
        Money::parse(t, Currency::from_code("USD").expect("usd")).expect("amount")
    }

    fn line(price: &str, quantity: u32) -> OfferLine {
        OfferLine {
            sku: "MUG".into(),
            name: "Mug".into(),
            unit_price: usd(price),
            quantity,
            tax_category: TaxCategory::Standard,
        }
    }

    #[test]
    fn an_offer_is_checked_when_saved() {
        let usd_cur = Currency::from_code("USD").expect("usd");
        let at = Timestamp::UNIX_EPOCH;
        let id = OfferId(uuid::Uuid::nil());
        assert_eq!(
            Offer::new(id, " ", usd_cur, vec![line("1", 1)], at),
            Err(OfferError::NoName)
        );
        assert_eq!(
            Offer::new(id, "Bundle", usd_cur, vec![], at),
            Err(OfferError::NoLines)
        );
        assert_eq!(
            Offer::new(id, "Bundle", usd_cur, vec![line("1", 0)], at),
            Err(OfferError::ZeroQuantity { line: 1 })
        );
        let offer = Offer::new(id, "Two mugs", usd_cur, vec![line("7.50", 2)], at).expect("valid");
        assert_eq!(offer.list_total(), Ok(usd("15.00")));
    }
}
