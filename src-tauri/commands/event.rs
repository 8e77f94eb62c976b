//! Event & till commands: events, who is signed on, opening and closing the cash drawer.

use fairtill_core::event::{CaptureMode, Event, OfflineCardLimits};
use fairtill_core::ids::EventId;
use fairtill_core::money::{parse_decimal, Currency};
use fairtill_core::tax::{TaxMode, TaxPolicy};
use fairtill_core::SignedDuration;
use fairtill_store::TillSession;
use serde::Deserialize;

use super::{actor, amount, currency, invalid, till as lock};
use crate::error::ApiError;
use crate::AppState;

/// A new event as typed on the Event & till screen.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct NewEvent {
    /// Name.
    pub name: String,
    /// Currency code, e.g. `EUR`.
    pub currency: String,
    /// Whether prices include tax.
    pub tax_mode: TaxMode,
    /// Standard tax rate in percent, e.g. `"19"`.
    pub standard_rate: String,
    /// Reduced tax rate in percent.
    pub reduced_rate: String,
    /// Automatic or manual capture of card payments.
    pub capture_mode: CaptureMode,
    /// How many hours an authorization may wait for capture.
    pub capture_window_hours: u32,
    /// Offline, the largest charge to a card on file (an amount; empty: 100.00).
    #[serde(default)]
    pub offline_largest: String,
    /// Offline, the most that may wait to be charged to cards on file (empty: 1,000.00).
    #[serde(default)]
    pub offline_total: String,
    /// Offline, the hours a charge to a card on file may wait (0: 24; at most 72).
    #[serde(default)]
    pub offline_hours: u32,
}

/// The event's offline card limits from what was typed; defaults where nothing was.
fn offline_limits(event: &NewEvent, currency: Currency) -> Result<OfflineCardLimits, ApiError> {
    let defaults = OfflineCardLimits::default();
    let minor = |text: &str, default: u32, what: &str| -> Result<u32, ApiError> {
        if text.trim().is_empty() {
            return Ok(default);
        }
        let money = amount(text, currency, what)?;
        u32::try_from(money.minor())
            .map_err(|_| invalid(format!("{what}: {money} is out of range")))
    };
    let limits = OfflineCardLimits {
        largest_minor: minor(
            &event.offline_largest,
            defaults.largest_minor,
            "largest offline card charge",
        )?,
        total_minor: minor(
            &event.offline_total,
            defaults.total_minor,
            "offline card charges waiting",
        )?,
        oldest_hours: match event.offline_hours {
            0 => defaults.oldest_hours,
            h => h,
        },
    };
    match limits.problem() {
        Some(p) => Err(invalid(p)),
        None => Ok(limits),
    }
}

fn rate(text: &str, what: &str) -> Result<fairtill_core::Decimal, ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(fairtill_core::Decimal::ZERO);
    }
    parse_decimal(t).map_err(|_| invalid(format!("{what} tax rate {t:?} is not a number")))
}

/// Every event this till knows, newest first.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn list_events(state: tauri::State<'_, AppState>) -> Result<Vec<Event>, ApiError> {
    Ok(lock(&state)?.events()?)
}

/// Creates an event on this till.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn create_event(state: tauri::State<'_, AppState>, event: NewEvent) -> Result<Event, ApiError> {
    let tax = TaxPolicy::new(
        event.tax_mode,
        rate(&event.standard_rate, "standard")?,
        rate(&event.reduced_rate, "reduced")?,
    )
    .map_err(|e| invalid(e.to_string()))?;
    let code = currency(&event.currency)?;
    let limits = offline_limits(&event, code)?;
    let mut till = lock(&state)?;
    let mut made = till.create_event(
        &event.name,
        code,
        tax,
        event.capture_mode,
        SignedDuration::from_hours(i64::from(event.capture_window_hours)),
    )?;
    if made.offline_cards != limits {
        made.offline_cards = limits;
        till.save_event(&made)?;
    }
    Ok(made)
}

/// Sets the current event and the staff member signed on. Sync then pulls that event's sales
/// from other booths.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn set_till(
    state: tauri::State<'_, AppState>,
    event_id: Option<EventId>,
    staff: String,
) -> Result<(), ApiError> {
    let settings = lock(&state)?.set_settings(event_id, &staff)?;
    if let Ok(mut current) = state.event.lock() {
        *current = settings.event.map(|e| e.id);
    }
    Ok(())
}

/// Opens the cash drawer with a float, in the current event's currency.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn open_till(
    state: tauri::State<'_, AppState>,
    float: String,
) -> Result<TillSession, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let event = till.settings()?.event.ok_or_else(|| {
        invalid("choose the event first: the float is counted in the event's currency")
    })?;
    let float = amount(&float, event.currency, "float")?;
    Ok(till.open_till(&who, float)?)
}

/// Closes the cash drawer with the cash counted; over/short is kept.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn close_till(
    state: tauri::State<'_, AppState>,
    counted: String,
    note: String,
) -> Result<TillSession, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let open = till
        .current_session()?
        .ok_or_else(|| invalid("the till is not open"))?;
    let counted = amount(&counted, open.float.currency(), "cash counted")?;
    Ok(till.close_till(&who, counted, &note)?)
}

/// This till's cash sessions, newest first.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn till_sessions(state: tauri::State<'_, AppState>) -> Result<Vec<TillSession>, ApiError> {
    Ok(lock(&state)?.sessions(50)?)
}
