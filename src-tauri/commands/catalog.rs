//! Catalog commands: search as you type, scanner codes, favourites, product import.

use std::path::PathBuf;

use fairtill_core::catalog::Product;

use super::{amount, invalid, till as lock};
use crate::error::ApiError;
use crate::AppState;

/// Products whose name, SKU or barcode matches what was typed (at most 30, best first).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn search_products(
    state: tauri::State<'_, AppState>,
    text: String,
) -> Result<Vec<Product>, ApiError> {
    Ok(lock(&state)?.search_products(&text, 30)?)
}

/// The product a scanner (or a typed SKU) names, if any.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn product_by_code(
    state: tauri::State<'_, AppState>,
    code: String,
) -> Result<Option<Product>, ApiError> {
    Ok(lock(&state)?.product_by_code(&code)?)
}

/// The favourites grid.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn favourites(state: tauri::State<'_, AppState>) -> Result<Vec<Product>, ApiError> {
    Ok(lock(&state)?.favourites(24)?)
}

/// Adds a product to, or removes it from, the favourites grid.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn set_favourite(
    state: tauri::State<'_, AppState>,
    sku: String,
    favourite: bool,
) -> Result<(), ApiError> {
    Ok(lock(&state)?.set_favourite(&sku, favourite)?)
}

/// Imports products from a CSV file (all or nothing); returns how many.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn import_products(state: tauri::State<'_, AppState>, path: String) -> Result<u64, ApiError> {
    let path = PathBuf::from(path.trim());
    let file = std::fs::File::open(&path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    Ok(lock(&state)?.import_products(std::io::BufReader::new(file))?)
}

/// A product as typed on the catalog screen.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ProductInput {
    /// Stock-keeping unit (the key: a new SKU is a new product).
    pub sku: String,
    /// Name on the till and the receipt.
    pub name: String,
    /// Price of one unit, e.g. `"12.50"`, in the product's currency (a new product's is the
    /// current event's).
    pub price: String,
    /// Which tax rate applies.
    pub tax_category: fairtill_core::tax::TaxCategory,
    /// Barcode digits ("" for none).
    pub barcode: String,
    /// On the favourites grid.
    pub favourite: bool,
    /// The Sell grid's tab ("" for none).
    pub category: String,
    /// The button's colour, `#rrggbb` ("" for none).
    pub colour: String,
}

/// Every product for the catalog screen (retired ones too), by name; those matching `text`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn catalog_products(
    state: tauri::State<'_, AppState>,
    text: String,
) -> Result<Vec<Product>, ApiError> {
    Ok(lock(&state)?.catalog(&text, 500)?)
}

/// Adds a product or changes one (name, price, tax, barcode, favourite, category, colour):
/// stored at its next version and synced. A recorded sale or saved offer keeps what it sold.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn save_product(
    state: tauri::State<'_, AppState>,
    product: ProductInput,
) -> Result<Product, ApiError> {
    let mut till = lock(&state)?;
    let existing = match till.product(&product.sku) {
        Ok(p) => Some(p),
        Err(fairtill_store::StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let currency =
        match (&existing, till.settings()?.event) {
            (Some(p), _) => p.unit_price.currency(),
            (None, Some(event)) => event.currency,
            (None, None) => return Err(invalid(
                "choose the event first (Event & till): a new product is priced in its currency",
            )),
        };
    let price = amount(&product.price, currency, "price")?;
    let made = Product::new(
        &product.sku,
        &product.name,
        price,
        product.tax_category,
        Some(&product.barcode),
    )
    .and_then(|p| p.with_looks(Some(&product.category), Some(&product.colour)))
    .map_err(|e| invalid(e.to_string()))?;
    let saved = till.save_product(Product {
        favourite: product.favourite,
        retired: existing.is_some_and(|p| p.retired),
        ..made
    })?;
    tracing::info!(sku = %saved.sku, version = saved.version, "product saved");
    Ok(saved)
}

/// Retires a product (hidden from search and the grid) or brings it back.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn retire_product(
    state: tauri::State<'_, AppState>,
    sku: String,
    retired: bool,
) -> Result<Product, ApiError> {
    Ok(lock(&state)?.set_retired(&sku, retired)?)
}

/// The Sell grid's tabs: each category's products still sold, by name.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn sell_grid(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<fairtill_store::GridTab>, ApiError> {
    Ok(lock(&state)?.sell_grid(GRID_LIMIT)?)
}

/// The most products a Sell grid tab shows (search finds the rest).
pub const GRID_LIMIT: usize = 200;

/// A sample product list to start from, in `currency`, as a spreadsheet saves it (a UTF-8
/// byte-order mark, CRLF line ends): seven products on three tabs, whole prices (valid in
/// every currency).
fn sample_products(currency: fairtill_core::money::Currency) -> String {
    let text = include_str!("../sample-products.csv").replace("{currency}", currency.code());
    let mut out = String::from("\u{feff}");
    for line in text.lines() {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// The currency a new product is priced in: the current event's.
fn event_currency(till: &fairtill_store::Till) -> Result<fairtill_core::money::Currency, ApiError> {
    till.settings()?.event.map(|e| e.currency).ok_or_else(|| {
        invalid("choose the event first (Event & till): products are priced in its currency")
    })
}

/// Writes the sample product list to `path` (a new file), to change in a spreadsheet and
/// import; returns where it is.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn write_sample_products(
    state: tauri::State<'_, AppState>,
    path: String,
) -> Result<String, ApiError> {
    let currency = event_currency(&*lock(&state)?)?;
    let path = PathBuf::from(path.trim());
    std::fs::write(&path, sample_products(currency))
        .map_err(|e| invalid(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// Imports the sample product list as it is; returns how many products.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn import_sample_products(state: tauri::State<'_, AppState>) -> Result<u64, ApiError> {
    let mut till = lock(&state)?;
    let currency = event_currency(&till)?;
    Ok(till.import_products(sample_products(currency).as_bytes())?)
}
