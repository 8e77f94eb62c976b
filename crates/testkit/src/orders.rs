//! Fixture orders.

use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxPolicy};

/// An amount in US dollars, as typed (`"12.50"`).
pub fn usd(text: &str) -> Money {
    Money::parse(text, Currency::from_code("USD").unwrap()).unwrap()
}

/// An order of one untaxed line, `sku` at `price`, with no discount or customer.
pub fn one_line(sku: &str, price: Money) -> OrderDraft {
    OrderDraft {
        currency: price.currency(),
        lines: vec![OrderLine {
            sku: sku.into(),
            name: format!("{}{}", &sku[..1], sku[1..].to_lowercase()),
            unit_price: price,
            quantity: 1,
            tax_category: TaxCategory::Standard,
            discount: None,
            price_override_reason: None,
        }],
        discount: None,
        tax: TaxPolicy::none(),
        customer: None,
        note: None,
        referrer: None,
    }
}
