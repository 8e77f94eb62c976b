//! Offers commands: saved offers, save the cart as one, retire one.

use fairtill_core::ids::OfferId;
use fairtill_core::offer::{Offer, OfferLine};
use fairtill_store::SavedOffer;

use super::{actor, invalid, till as lock};
use crate::commands::sale::Cart;
use crate::error::ApiError;
use crate::AppState;

/// Saved offers; retired ones too when asked.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn list_offers(
    state: tauri::State<'_, AppState>,
    include_retired: bool,
) -> Result<Vec<SavedOffer>, ApiError> {
    Ok(lock(&state)?.offers(include_retired)?)
}

/// Saves the cart's lines (with their prices as sold) as a named offer. Offers cannot be
/// edited afterwards.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn save_offer(
    state: tauri::State<'_, AppState>,
    name: String,
    cart: Cart,
) -> Result<Offer, ApiError> {
    let mut till = lock(&state)?;
    let currency = match cart.lines.first() {
        Some(l) => l.unit_price.currency(),
        None => return Err(invalid("the cart is empty: add the offer's items first")),
    };
    let lines = cart
        .lines
        .into_iter()
        .map(|l| OfferLine {
            sku: l.sku,
            name: l.name,
            unit_price: l.unit_price,
            quantity: l.quantity,
            tax_category: l.tax_category,
        })
        .collect();
    Ok(till.save_offer(&name, currency, lines)?)
}

/// Retires (hides) an offer; it stays on the orders that used it.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn retire_offer(state: tauri::State<'_, AppState>, offer_id: OfferId) -> Result<(), ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    Ok(till.retire_offer(&who, offer_id)?)
}
