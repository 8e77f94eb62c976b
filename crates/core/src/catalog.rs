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
    /// The Sell grid's tab it is on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub category: Option<String>,
    /// Its button's colour on the Sell grid (`#rrggbb`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub colour: Option<String>,
    /// No longer sold: hidden from search and the grid (sales that sold it keep it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub retired: bool,
    /// Which version of the product this is: each change made at a till or published by a
    /// manager is one more than the version it changed; 0 for one that has not changed since
    /// versions were kept. The server keeps a till's change only if it was made to the version
    /// the server has (docs/domain.md, "Offers and the catalog").
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    pub version: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The longest category name (a tab on the Sell grid).
pub const MAX_CATEGORY: usize = 40;

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
    /// A category too long for a tab.
    #[error("category {0:?} is longer than 40 characters")]
    LongCategory(String),
    /// A colour that is not `#rrggbb`.
    #[error("colour {0:?} must be written #rrggbb (six hexadecimal digits)")]
    BadColour(String),
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
            category: None,
            colour: None,
            retired: false,
            version: 0,
        })
    }

    /// The product with its category (trimmed; empty for none) and colour (`#rrggbb`, any case;
    /// empty for none) checked.
    pub fn with_looks(
        mut self,
        category: Option<&str>,
        colour: Option<&str>,
    ) -> Result<Self, ProductError> {
        let category = category.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = category {
            if c.chars().count() > MAX_CATEGORY {
                return Err(ProductError::LongCategory(c.to_string()));
            }
        }
        let colour = colour.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = colour {
            let hex = c.strip_prefix('#').unwrap_or("");
            if hex.len() != 6 || !hex.chars().all(|d| d.is_ascii_hexdigit()) {
                return Err(ProductError::BadColour(c.to_string()));
            }
        }
        self.category = category.map(str::to_string);
        self.colour = colour.map(str::to_ascii_lowercase);
        Ok(self)
    }

    /// Checks every field of a product made elsewhere (a till's change, a pulled version).
    pub fn validated(self) -> Result<Self, ProductError> {
        let checked = Product::new(
            &self.sku,
            &self.name,
            self.unit_price,
            self.tax_category,
            self.barcode.as_deref(),
        )?
        .with_looks(self.category.as_deref(), self.colour.as_deref())?;
        Ok(Product {
            favourite: self.favourite,
            retired: self.retired,
            version: self.version,
            ..checked
        })
    }

    /// True when `other` is this product with only its version told apart.
    pub fn same_as(&self, other: &Product) -> bool {
        Product {
            version: 0,
            ..self.clone()
        } == Product {
            version: 0,
            ..other.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn mug() -> Product {
        let eur = Currency::from_code("EUR").expect("eur");
        Product::new(
            "MUG",
            "Mug",
            Money::from_minor(1250, eur),
            TaxCategory::Standard,
            None,
        )
        .expect("product")
    }

    #[test]
    fn looks_are_checked_and_kept_tidy() {
        let p = mug()
            .with_looks(Some(" Drinks "), Some("#2E7D6B"))
            .expect("looks");
        assert_eq!(p.category.as_deref(), Some("Drinks"));
        assert_eq!(p.colour.as_deref(), Some("#2e7d6b"));
        let none = mug().with_looks(Some("  "), Some("")).expect("none");
        assert_eq!((none.category, none.colour), (None, None));
        assert!(matches!(
            mug().with_looks(None, Some("green")),
            Err(ProductError::BadColour(_))
        ));
        assert!(matches!(
            mug().with_looks(Some(&"x".repeat(41)), None),
            Err(ProductError::LongCategory(_))
        ));
    }

    #[test]
    fn an_old_body_reads_as_version_zero_and_writes_back_the_same() {
        let body = r#"{"sku":"MUG","name":"Mug","unit_price":{"amount":"12.50","currency":"EUR"},"tax_category":"standard","barcode":null,"favourite":true}"#;
        let p: Product = serde_json::from_str(body).expect("old body");
        assert_eq!((p.version, p.retired, p.category.clone()), (0, false, None));
        assert_eq!(serde_json::to_string(&p).expect("json"), body);
        let newer = Product {
            version: 3,
            ..p.clone()
        };
        assert!(newer.same_as(&p));
        assert!(!Product {
            retired: true,
            ..p.clone()
        }
        .same_as(&p));
    }
}
