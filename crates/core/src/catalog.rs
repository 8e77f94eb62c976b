//! The catalog: products a till can sell.

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};
use crate::tax::TaxCategory;

/// A product for sale, keyed by its SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Product {
    /// Stock-keeping unit, unique in the catalog.
    pub sku: String,
    /// Name shown on the till and the receipt.
    pub name: String,
    /// Price of one unit.
    pub unit_price: Money,
    /// Which tax rate applies.
    pub tax_category: TaxCategory,
    /// Barcode (EAN/UPC digits) a scanner types, if any.
    pub barcode: Option<String>,
    /// Shown in the favourites grid.
    pub favourite: bool,
}

/// Why a product was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// SKU or name missing.
    #[error("a product needs a {0}")]
    Missing(&'static str),
    /// A barcode that is not digits.
    #[error("barcode {0:?} must be digits only")]
    BadBarcode(String),
    /// A negative price.
    #[error("price cannot be negative ({0})")]
    NegativePrice(Money),
    /// Money problem.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl Product {
    /// A checked product (SKU and name present, price not negative, barcode digits).
    pub fn new(
        sku: &str,
        name: &str,
        unit_price: Money,
        tax_category: TaxCategory,
        barcode: Option<&str>,
    ) -> Result<Self, ProductError> {
        let sku = sku.trim();
        let name = name.trim();
        if sku.is_empty() {
            return Err(ProductError::Missing("SKU"));
        }
        if name.is_empty() {
            return Err(ProductError::Missing("name"));
        }
        if unit_price.minor() < 0 {
            return Err(ProductError::NegativePrice(unit_price));
        }
        let barcode = barcode.map(str::trim).filter(|b| !b.is_empty());
        if let Some(code) = barcode {
            if !code.chars().all(|c| c.is_ascii_digit()) {
                return Err(ProductError::BadBarcode(code.to_string()));
            }
        }
        Ok(Product {
            sku: sku.to_string(),
            name: name.to_string(),
            unit_price,
            tax_category,
            barcode: barcode.map(str::to_string),
            favourite: false,
        })
    }
}
