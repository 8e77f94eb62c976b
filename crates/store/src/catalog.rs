//! Products, saved offers and events on the device.

use fairtill_core::catalog::Product;
use fairtill_core::event::Event;
use fairtill_core::ids::OfferId;
use fairtill_core::money::{Currency, Money};
use fairtill_core::offer::{Offer, OfferLine};
use fairtill_core::tax::TaxCategory;
use fairtill_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::records::{from_ms, ms};
use crate::till::{Actor, Till};

/// A saved offer and, if retired, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOffer {
    /// The offer.
    pub offer: Offer,
    /// When it was retired (hidden from pickers).
    pub retired_at: Option<Timestamp>,
}

/// Adds or updates a product in the catalog table (also for products pulled from the server).
pub(crate) fn upsert_product(conn: &Connection, product: &Product, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO products (sku, name, unit_price_minor, currency, tax_category, barcode, favourite, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sku) DO UPDATE SET name = excluded.name, unit_price_minor = excluded.unit_price_minor,
           currency = excluded.currency, tax_category = excluded.tax_category, barcode = excluded.barcode,
           favourite = excluded.favourite, updated_at = excluded.updated_at",
    )?
    .execute(params![
        product.sku,
        product.name,
        product.unit_price.minor(),
        product.unit_price.currency().code(),
        product.tax_category.as_str(),
        product.barcode,
        product.favourite,
        now,
    ])?;
    Ok(())
}

impl Till {
    /// Adds or updates a catalog product (the catalog changes; orders keep what was sold).
    pub fn upsert_product(&mut self, product: &Product) -> Result<()> {
        upsert_product(&self.conn, product, ms(self.now()))
    }

    /// Products whose SKU, barcode or name starts with `text` (name also matches inside), by name.
    pub fn search_products(&self, text: &str, limit: usize) -> Result<Vec<Product>> {
        let t = text.trim();
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut stmt = self.conn.prepare_cached(
            "SELECT sku, name, unit_price_minor, currency, tax_category, barcode, favourite FROM products
             WHERE ?1 = '' OR sku = ?1 OR barcode = ?1 OR name LIKE ?2 ESCAPE '\\' OR sku LIKE ?2 ESCAPE '\\'
             ORDER BY (sku = ?1 OR barcode = ?1) DESC, name COLLATE NOCASE LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![t, format!("%{escaped}%"), limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sku, name, price, currency, tax, barcode, favourite) = row?;
            let tax_category =
                TaxCategory::parse(&tax).ok_or_else(|| StoreError::Decode(tax.clone()))?;
            out.push(Product {
                sku,
                name,
                unit_price: Money::from_minor(price, Currency::from_code(&currency)?),
                tax_category,
                barcode,
                favourite,
            });
        }
        Ok(out)
    }

    /// Saves an offer. Offers are never edited: a changed offer is saved as a new one.
    pub fn save_offer(
        &mut self,
        name: &str,
        currency: Currency,
        lines: Vec<OfferLine>,
    ) -> Result<Offer> {
        let offer = Offer::new(OfferId(Uuid::now_v7()), name, currency, lines, self.now())?;
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken: Option<String> = db
            .prepare_cached(
                "SELECT o.id FROM offers o WHERE o.name = ?1 COLLATE NOCASE
                 AND NOT EXISTS (SELECT 1 FROM offer_retirements r WHERE r.offer_id = o.id)",
            )?
            .query_row([offer.name()], |r| r.get(0))
            .optional()?;
        if taken.is_some() {
            return Err(StoreError::Invalid(format!(
                "an offer named {:?} already exists; give the new one another name, or retire the old one first",
                offer.name()
            )));
        }
        db.prepare_cached(
            "INSERT INTO offers (id, name, currency, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            offer.id().0.to_string(),
            offer.name(),
            offer.currency().code(),
            serde_json::to_string(&offer)?,
            ms(offer.created_at()),
        ])?;
        db.commit()?;
        Ok(offer)
    }

    /// Retires an offer: it stays in history, hidden from pickers. Retiring twice is refused.
    pub fn retire_offer(&mut self, actor: &Actor, id: OfferId) -> Result<()> {
        let now = ms(self.now());
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = db
            .query_row(
                "SELECT 1 FROM offers WHERE id = ?1",
                [id.0.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("offer {id}")));
        }
        let retired: Option<i64> = db
            .query_row(
                "SELECT 1 FROM offer_retirements WHERE offer_id = ?1",
                [id.0.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if retired.is_some() {
            return Err(StoreError::Invalid("that offer is already retired".into()));
        }
        db.execute(
            "INSERT INTO offer_retirements (offer_id, retired_at, staff) VALUES (?1, ?2, ?3)",
            params![id.0.to_string(), now, actor.staff],
        )?;
        db.commit()?;
        Ok(())
    }

    /// Saved offers, oldest first; retired ones only when asked.
    pub fn offers(&self, include_retired: bool) -> Result<Vec<SavedOffer>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.body, r.retired_at FROM offers o LEFT JOIN offer_retirements r ON r.offer_id = o.id
             WHERE ?1 OR r.offer_id IS NULL ORDER BY o.seq",
        )?;
        let rows = stmt.query_map([include_retired], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (body, retired) = row?;
            out.push(SavedOffer {
                offer: serde_json::from_str(&body)?,
                retired_at: retired.map(from_ms).transpose()?,
            });
        }
        Ok(out)
    }

    /// Adds an event (or replaces one with the same id).
    pub fn save_event(&mut self, event: &Event) -> Result<()> {
        self.conn.execute(
            "INSERT INTO events (id, name, currency, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, body = excluded.body",
            params![event.id.0.to_string(), event.name, event.currency.code(), serde_json::to_string(event)?, ms(self.now())],
        )?;
        Ok(())
    }

    /// Every event, newest first.
    pub fn events(&self) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM events ORDER BY created_at DESC")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|b| Ok(serde_json::from_str(&b?)?)).collect()
    }
}
