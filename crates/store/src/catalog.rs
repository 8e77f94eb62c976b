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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SavedOffer {
    /// The offer.
    pub offer: Offer,
    /// When it was retired (hidden from pickers).
    pub retired_at: Option<Timestamp>,
}

/// The product columns [`read_products`] reads, in its order.
pub(crate) const PRODUCT: &str =
    "sku, name, unit_price_minor, currency, tax_category, barcode, favourite, category, colour, retired, version";

/// [`PRODUCT`] of the table named `p`.
const PRODUCT_OF_P: &str =
    "p.sku, p.name, p.unit_price_minor, p.currency, p.tax_category, p.barcode, \
    p.favourite, p.category, p.colour, p.retired, p.version";

/// Reads product rows (the [`PRODUCT`] columns).
fn read_products(mut rows: rusqlite::Rows<'_>, out: &mut Vec<Product>) -> Result<()> {
    while let Some(r) = rows.next()? {
        let tax: String = r.get(4)?;
        let currency: String = r.get(3)?;
        out.push(Product {
            sku: r.get(0)?,
            name: r.get(1)?,
            unit_price: Money::from_minor(r.get(2)?, Currency::from_code(&currency)?),
            tax_category: TaxCategory::parse(&tax)
                .ok_or_else(|| StoreError::Decode(tax.clone()))?,
            barcode: r.get(5)?,
            favourite: r.get(6)?,
            category: r.get(7)?,
            colour: r.get(8)?,
            retired: r.get(9)?,
            version: r.get(10)?,
        });
    }
    Ok(())
}

/// Up to this many trigram matches are sorted by name directly; more than this and the matches
/// are common enough (2% of a 100,000-product catalog) that walking the name index finds a
/// screenful sooner.
const FEW_MATCHES: i64 = 2000;

/// The version a product of `sku` has here, if it is here.
fn version_here(conn: &Connection, sku: &str) -> Result<Option<u32>> {
    Ok(conn
        .prepare_cached("SELECT version FROM products WHERE sku = ?1")?
        .query_row([sku], |r| r.get(0))
        .optional()?)
}

/// Stores a version of a product: pulled from the server (`remote`), or a change made here,
/// which is one version more than the one it changes and waits in the outbox (the next `seq`).
/// A barcode it carries leaves the product that had it.
pub(crate) fn write_product(
    conn: &Connection,
    product: &Product,
    remote: bool,
    now: i64,
) -> Result<Product> {
    let mut product = product.clone();
    if !remote {
        product.version = version_here(conn, &product.sku)?.map_or(1, |v| v.saturating_add(1));
    }
    if let Some(code) = &product.barcode {
        conn.prepare_cached("UPDATE products SET barcode = NULL WHERE barcode = ?1 AND sku != ?2")?
            .execute(params![code, product.sku])?;
    }
    conn.prepare_cached(
        "INSERT INTO products (sku, name, unit_price_minor, currency, tax_category, barcode, favourite,
             category, colour, retired, version, updated_at, remote, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
             CASE WHEN ?13 THEN NULL ELSE (SELECT coalesce(max(seq), 0) + 1 FROM products) END)
         ON CONFLICT (sku) DO UPDATE SET name = excluded.name, unit_price_minor = excluded.unit_price_minor,
           currency = excluded.currency, tax_category = excluded.tax_category, barcode = excluded.barcode,
           favourite = excluded.favourite, category = excluded.category, colour = excluded.colour,
           retired = excluded.retired, version = excluded.version, updated_at = excluded.updated_at,
           remote = excluded.remote, seq = coalesce(excluded.seq, products.seq)",
    )?
    .execute(params![
        product.sku,
        product.name,
        product.unit_price.minor(),
        product.unit_price.currency().code(),
        product.tax_category.as_str(),
        product.barcode,
        product.favourite,
        product.category,
        product.colour,
        product.retired,
        product.version,
        now,
        remote,
    ])?;
    Ok(product)
}

/// Applies a product pulled from the server, unless this till holds a newer version (its own
/// change the server has not answered yet). False when it was not applied or already here.
pub(crate) fn apply_pulled_product(conn: &Connection, product: &Product, now: i64) -> Result<bool> {
    let mut here = Vec::with_capacity(1);
    read_products(
        conn.prepare_cached(&format!("SELECT {PRODUCT} FROM products WHERE sku = ?1"))?
            .query([&product.sku])?,
        &mut here,
    )?;
    match here.first() {
        Some(h) if h.version > product.version || h == product => Ok(false),
        Some(_) | None => {
            write_product(conn, product, true, now)?;
            Ok(true)
        }
    }
}

/// One tab of the Sell grid: a category's products, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct GridTab {
    /// The category ("" for products with none).
    pub category: String,
    /// Its products, by name (at most the grid's limit).
    pub products: Vec<Product>,
    /// How many products it has in all.
    pub count: u32,
}

impl Till {
    /// Adds or changes a product made here (the catalog changes; orders keep what was sold).
    /// Returns it as stored: at its new version, waiting to sync. A barcode another product
    /// has is refused.
    pub fn save_product(&mut self, product: Product) -> Result<Product> {
        let product = product
            .validated()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = ms(self.now());
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(code) = &product.barcode {
            let other: Option<String> = db
                .prepare_cached("SELECT sku FROM products WHERE barcode = ?1 AND sku != ?2")?
                .query_row(params![code, product.sku], |r| r.get(0))
                .optional()?;
            if let Some(other) = other {
                return Err(StoreError::Invalid(format!(
                    "barcode {code} is already on product {other}; take it off there first"
                )));
            }
        }
        let saved = write_product(&db, &product, false, now)?;
        db.commit()?;
        Ok(saved)
    }

    /// A product by SKU, retired or not.
    pub fn product(&self, sku: &str) -> Result<Product> {
        let mut out = Vec::with_capacity(1);
        read_products(
            self.conn
                .prepare_cached(&format!("SELECT {PRODUCT} FROM products WHERE sku = ?1"))?
                .query([sku.trim()])?,
            &mut out,
        )?;
        out.pop()
            .ok_or_else(|| StoreError::NotFound(format!("product {}", sku.trim())))
    }

    /// Retires a product (hidden from search and the grid) or brings it back; a change that
    /// syncs like any other.
    pub fn set_retired(&mut self, sku: &str, retired: bool) -> Result<Product> {
        let product = self.product(sku)?;
        self.save_product(Product { retired, ..product })
    }

    /// Every product for the catalog screen, retired ones too, by name; those whose name, SKU,
    /// barcode or category contains `text` when it is given. At most `limit`.
    pub fn catalog(&self, text: &str, limit: usize) -> Result<Vec<Product>> {
        let t = text.trim();
        let like = format!(
            "%{}%",
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT} FROM products
             WHERE ?1 = '' OR name LIKE ?2 ESCAPE '\\' OR sku LIKE ?2 ESCAPE '\\'
                OR barcode = ?1 OR category LIKE ?2 ESCAPE '\\'
             ORDER BY name COLLATE NOCASE LIMIT ?3"
        ))?;
        let mut out = Vec::new();
        read_products(
            stmt.query(params![t, like, i64::try_from(limit).unwrap_or(i64::MAX)])?,
            &mut out,
        )?;
        Ok(out)
    }

    /// The Sell grid's tabs: each category of products still sold, by name (products with no
    /// category last, under ""), with up to `limit` products each, by name.
    pub fn sell_grid(&self, limit: usize) -> Result<Vec<GridTab>> {
        let mut tabs: Vec<GridTab> = Vec::new();
        let mut counts = self.conn.prepare_cached(
            "SELECT coalesce(category, ''), count(*) FROM products WHERE retired = 0
             GROUP BY coalesce(category, '') COLLATE NOCASE
             ORDER BY coalesce(category, '') = '', coalesce(category, '') COLLATE NOCASE",
        )?;
        let rows = counts.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (category, count) = row?;
            tabs.push(GridTab {
                category,
                products: Vec::new(),
                count: u32::try_from(count).unwrap_or(u32::MAX),
            });
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT} FROM products INDEXED BY products_grid
             WHERE retired = 0 AND coalesce(category, '') = ?1 COLLATE NOCASE
             ORDER BY category COLLATE NOCASE, name COLLATE NOCASE LIMIT ?2"
        ))?;
        for tab in &mut tabs {
            read_products(
                stmt.query(params![
                    tab.category,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ])?,
                &mut tab.products,
            )?;
        }
        Ok(tabs)
    }

    /// Products matching what was typed, best first: an exact SKU or barcode, then every
    /// product whose name or SKU contains `text` (any case), by name.
    ///
    /// Three or more characters ask the trigram index (`products_fts`) which products contain
    /// them. When few do (a rare word, a SKU), those few are sorted by name; when many do, the
    /// covering `products_search` index is walked in name order instead, which finds `limit` of
    /// them within a few rows because they are common. One or two characters always take that
    /// walk, over names only (a SKU's two characters narrow nothing).
    pub fn search_products(&self, text: &str, limit: usize) -> Result<Vec<Product>> {
        let t = text.trim();
        let mut out = Vec::with_capacity(limit);
        if t.is_empty() {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {PRODUCT} FROM products WHERE retired = 0 ORDER BY name COLLATE NOCASE LIMIT ?1"
            ))?;
            read_products(
                stmt.query(params![i64::try_from(limit).unwrap_or(i64::MAX)])?,
                &mut out,
            )?;
            return Ok(out);
        }
        let mut exact = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT} FROM products WHERE sku = ?1 AND retired = 0 UNION
             SELECT {PRODUCT} FROM products WHERE barcode = ?1 AND retired = 0"
        ))?;
        read_products(exact.query(params![t])?, &mut out)?;
        if out.len() >= limit {
            out.truncate(limit);
            return Ok(out);
        }
        let skip = out.first().map(|p| p.sku.clone()).unwrap_or_default();
        let more = i64::try_from(limit.saturating_sub(out.len())).unwrap_or(i64::MAX);
        let like = format!(
            "%{}%",
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        if t.chars().count() < 3 {
            let mut walk = self.conn.prepare_cached(&format!(
                "SELECT {PRODUCT_OF_P}
                 FROM (SELECT sku FROM products INDEXED BY products_search
                       WHERE name LIKE ?1 ESCAPE '\\' AND sku != ?2
                       ORDER BY name COLLATE NOCASE LIMIT ?3) m
                 JOIN products p ON p.sku = m.sku WHERE p.retired = 0 ORDER BY p.name COLLATE NOCASE"
            ))?;
            read_products(walk.query(params![like, skip, more])?, &mut out)?;
            return Ok(out);
        }
        // The whole input as one trigram phrase: it matches where the text occurs as typed.
        let phrase = format!("\"{}\"", t.replace('"', "\"\""));
        let hits: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM products_fts WHERE products_fts MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![phrase, FEW_MATCHES + 1], |r| r.get(0))?;
        if hits <= FEW_MATCHES {
            let mut few = self.conn.prepare_cached(&format!(
                "SELECT {PRODUCT} FROM products
                 WHERE rowid IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?1)
                   AND sku != ?2 AND retired = 0
                 ORDER BY name COLLATE NOCASE LIMIT ?3"
            ))?;
            read_products(few.query(params![phrase, skip, more])?, &mut out)?;
            return Ok(out);
        }
        let mut walk = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT_OF_P}
             FROM (SELECT sku FROM products INDEXED BY products_search
                   WHERE (name LIKE ?1 ESCAPE '\\' OR sku LIKE ?1 ESCAPE '\\') AND sku != ?2
                   ORDER BY name COLLATE NOCASE LIMIT ?3) m
             JOIN products p ON p.sku = m.sku WHERE p.retired = 0 ORDER BY p.name COLLATE NOCASE"
        ))?;
        read_products(walk.query(params![like, skip, more])?, &mut out)?;
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

    /// Adds an event made on this till, or changes one; either waits in the outbox to sync.
    pub fn save_event(&mut self, event: &Event) -> Result<()> {
        self.conn.execute(
            "INSERT INTO events (id, name, currency, body, created_at, remote, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, (SELECT coalesce(max(seq), 0) + 1 FROM events))
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, body = excluded.body,
               seq = excluded.seq",
            params![event.id.0.to_string(), event.name, event.currency.code(), serde_json::to_string(event)?, ms(self.now())],
        )?;
        Ok(())
    }

    /// Creates an event on this till (events published by a manager arrive by sync).
    pub fn create_event(
        &mut self,
        name: &str,
        currency: Currency,
        tax: fairtill_core::tax::TaxPolicy,
        capture_mode: fairtill_core::event::CaptureMode,
        capture_window: fairtill_core::SignedDuration,
    ) -> Result<Event> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("the event needs a name".into()));
        }
        if capture_window <= fairtill_core::SignedDuration::ZERO
            || capture_window > fairtill_core::SignedDuration::from_hours(31 * 24)
        {
            return Err(StoreError::Invalid(
                "the capture window must be between 1 hour and 31 days".into(),
            ));
        }
        let event = Event {
            id: fairtill_core::ids::EventId(Uuid::now_v7()),
            name: name.into(),
            currency,
            tax,
            capture_mode,
            capture_window,
            offline_cards: fairtill_core::event::OfflineCardLimits::default(),
        };
        self.save_event(&event)?;
        Ok(event)
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

/// A row of a product CSV file (`sku,name,price,currency` and optional `tax_category,barcode,
/// favourite,category,colour`).
#[derive(Debug, Deserialize)]
struct ProductRow {
    sku: String,
    name: String,
    price: String,
    currency: String,
    #[serde(default)]
    tax_category: String,
    #[serde(default)]
    barcode: String,
    #[serde(default)]
    favourite: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    colour: String,
}

fn product_of(row: ProductRow) -> std::result::Result<Product, String> {
    let currency = Currency::from_code(row.currency.trim()).map_err(|e| e.to_string())?;
    let price = Money::parse(row.price.trim(), currency).map_err(|e| e.to_string())?;
    let tax = if row.tax_category.trim().is_empty() {
        TaxCategory::Standard
    } else {
        TaxCategory::parse(&row.tax_category).ok_or_else(|| {
            format!(
                "tax category {:?} must be standard, reduced or exempt",
                row.tax_category
            )
        })?
    };
    let mut product = Product::new(&row.sku, &row.name, price, tax, Some(&row.barcode))
        .and_then(|p| p.with_looks(Some(&row.category), Some(&row.colour)))
        .map_err(|e| e.to_string())?;
    product.favourite = match row.favourite.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "no" | "false" => false,
        "1" | "yes" | "true" | "y" => true,
        other => return Err(format!("favourite {other:?} must be yes or no")),
    };
    Ok(product)
}

impl Till {
    /// Imports products from CSV (`sku,name,price,currency[,tax_category,barcode,favourite,
    /// category,colour]`),
    /// all or nothing: any bad row refuses the whole file, naming every bad line. Existing SKUs
    /// are updated. Returns how many products were imported.
    pub fn import_products<R: std::io::Read>(&mut self, input: R) -> Result<u64> {
        // As other systems write it: a byte-order mark, semicolons and decimal commas.
        let mut input = std::io::BufReader::new(input);
        let separator = fairtill_core::csv_text::sniff(&mut input).map_err(|e| {
            StoreError::Import(crate::import::ImportErrors {
                rows: vec![crate::import::RowError {
                    line: 1,
                    reason: format!("the file could not be read: {e}"),
                }],
            })
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .delimiter(separator)
            .from_reader(fairtill_core::csv_text::Lines::new(input));
        let headers = reader.headers().cloned().map_err(|e| {
            StoreError::Import(crate::import::ImportErrors {
                rows: vec![crate::import::RowError {
                    line: 1,
                    reason: format!("the header is not readable: {e}"),
                }],
            })
        })?;
        let mut products = Vec::new();
        let mut errors = Vec::new();
        let mut barcodes: std::collections::BTreeMap<String, u64> = Default::default();
        let mut record = csv::StringRecord::new();
        loop {
            // Each row by the line it starts on (a quoted field may hold a line break; blank
            // lines are skipped).
            let (line, row) = match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => (
                    record
                        .position()
                        .map_or(0, |p| reader.get_mut().line_at(p.byte())),
                    record
                        .deserialize::<ProductRow>(Some(&headers))
                        .map_err(|e| e.to_string()),
                ),
                Err(e) => (
                    e.position()
                        .map_or(0, |p| reader.get_mut().line_at(p.byte())),
                    Err(e.to_string()),
                ),
            };
            // A file separated by semicolons writes prices with a decimal comma.
            let row = row.map(|mut r| {
                if separator == b';' {
                    r.price = fairtill_core::csv_text::decimal_point(&r.price);
                }
                r
            });
            let row =
                row.and_then(|r| fairtill_core::csv_text::nul_free(record.iter()).map(|()| r));
            match row.and_then(product_of) {
                Ok(p) => {
                    if let Some(code) = &p.barcode {
                        if let Some(first) = barcodes.insert(code.clone(), line) {
                            errors.push(crate::import::RowError {
                                line,
                                reason: format!("barcode {code} is also on line {first}"),
                            });
                        }
                    }
                    products.push(p);
                }
                Err(reason) => errors.push(crate::import::RowError { line, reason }),
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Import(crate::import::ImportErrors {
                rows: errors,
            }));
        }
        let now = ms(self.now());
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A barcode moving from one SKU to another: clear it from the old product first.
        for p in &products {
            if let Some(code) = &p.barcode {
                db.prepare_cached(
                    "UPDATE products SET barcode = NULL WHERE barcode = ?1 AND sku != ?2",
                )?
                .execute(params![code, p.sku])?;
            }
        }
        for p in &products {
            write_product(&db, p, false, now)?;
        }
        db.commit()?;
        Ok(products.len() as u64)
    }

    /// The product a scanner or a typed code names: exact barcode, else exact SKU.
    pub fn product_by_code(&self, code: &str) -> Result<Option<Product>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT} FROM products WHERE barcode = ?1 AND retired = 0 UNION ALL
             SELECT {PRODUCT} FROM products WHERE sku = ?1 AND retired = 0 LIMIT 1"
        ))?;
        let mut out = Vec::with_capacity(1);
        read_products(stmt.query([code.trim()])?, &mut out)?;
        Ok(out.pop())
    }

    /// The favourites grid, by name.
    pub fn favourites(&self, limit: usize) -> Result<Vec<Product>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCT} FROM products WHERE favourite = 1 AND retired = 0
             ORDER BY name COLLATE NOCASE LIMIT ?1"
        ))?;
        let mut out = Vec::new();
        read_products(
            stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?,
            &mut out,
        )?;
        Ok(out)
    }

    /// Shows or hides a product in the favourites grid.
    /// A change like any other: it syncs.
    pub fn set_favourite(&mut self, sku: &str, favourite: bool) -> Result<()> {
        let product = self.product(sku)?;
        self.save_product(Product {
            favourite,
            ..product
        })?;
        Ok(())
    }

    /// How many products are for sale (not retired).
    pub fn product_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM products WHERE retired = 0")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
