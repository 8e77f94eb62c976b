//! Events (a fair, a trade show) and who/where a sale was made.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, EventId};
use crate::money::Currency;
use crate::tax::TaxPolicy;

/// Default time an authorization may wait for capture (docs/domain.md, rule 3).
pub const DEFAULT_CAPTURE_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// When card payments are captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// The full amount is taken at once: payments are sales.
    Automatic,
    /// Payments are authorized and captured later, within the capture window.
    Manual,
}

/// An event and its selling rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Event {
    /// Identifier.
    pub id: EventId,
    /// Name, e.g. "Berlin Craft Fair 2026".
    pub name: String,
    /// Currency prices are in.
    pub currency: Currency,
    /// Tax rates.
    pub tax: TaxPolicy,
    /// Automatic or manual capture.
    pub capture_mode: CaptureMode,
    /// How long an authorization may wait for capture.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub capture_window: SignedDuration,
}

/// Who recorded something, on which device, at which event. Carried by every order and
/// transaction (a refund may be made at another booth, by someone else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SaleContext {
    /// The device that recorded it.
    pub device_id: DeviceId,
    /// The event, if the till is at one.
    pub event_id: Option<EventId>,
    /// The staff member's name or code.
    pub staff: String,
}
