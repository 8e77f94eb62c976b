//! Catalog commands: search as you type, scanner codes, favourites, product import.

use std::path::PathBuf;

use fairtill_core::catalog::Product;

use super::{invalid, till as lock};
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
