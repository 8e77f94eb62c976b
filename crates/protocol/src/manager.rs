//! What the manager endpoints answer beyond the transaction list: an event's close-out (its
//! figures per device and per staff member, cash sessions, open authorizations).
//!
//! The app's Manager workspace reads these from the server, so they live here, shared by both.

use fairtill_core::ids::{DeviceId, EventId, TxId};

use crate::Record;
use fairtill_core::ledger::{CurrencySummary, Summary};
use fairtill_core::money::Money;
use fairtill_core::till::TillClose;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An event's close-out: the whole event, each device, each staff member, the cash sessions
/// with counted against expected, and the authorizations still open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CloseOut {
    /// The event.
    #[schema(value_type = String, format = Uuid)]
    pub event_id: EventId,
    /// When these figures were read (authorizations expire relative to it).
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: Timestamp,
    /// The whole event (or the device or staff member asked for).
    pub whole: CloseOutPart,
    /// One part per device, by name.
    pub devices: Vec<CloseOutPart>,
    /// One part per staff member, by name.
    pub staff: Vec<CloseOutPart>,
    /// Cash sessions, in the order they were opened.
    pub sessions: Vec<CashSession>,
    /// Approved authorizations with money not yet captured or released, soonest expiry first.
    pub open_authorizations: Vec<OpenAuthorization>,
}

/// The figures of one part of an event (all of it, a device or a staff member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CloseOutPart {
    /// The device id or staff name (empty for the whole event).
    pub key: String,
    /// What to call it: the device's name, the staff member, or "Whole event".
    pub label: String,
    /// The per-currency summary of its transactions.
    pub summary: Summary,
    /// The same summary for each payment method, by method name.
    pub by_method: Vec<MethodSummary>,
    /// Discounts given on paid orders, per currency.
    pub discounts: Vec<Money>,
    /// Paid orders that had a discount.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub discounted_orders: u64,
    /// Counted less expected cash over the part's closed sessions, per currency.
    pub over_short: Vec<Money>,
}

/// The per-currency summary of one payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MethodSummary {
    /// `cash`, `card`, `external` or `marked_paid`.
    pub method: String,
    /// Its totals per currency.
    pub currencies: Vec<CurrencySummary>,
}

/// A till's cash session as the server has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CashSession {
    /// The session.
    pub id: Uuid,
    /// The till.
    #[schema(value_type = String, format = Uuid)]
    pub device_id: DeviceId,
    /// The till's name.
    pub device_name: String,
    /// Cash put in the drawer.
    pub float: Money,
    /// When it was opened.
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    /// By whom.
    pub opened_by: String,
    /// The count, once closed.
    pub close: Option<TillClose>,
}

/// An approved authorization with money still held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OpenAuthorization {
    /// The authorization.
    #[schema(value_type = String, format = Uuid)]
    pub transaction_id: TxId,
    /// Its order's receipt.
    pub receipt: Option<String>,
    /// The till it was taken on.
    #[schema(value_type = String, format = Uuid)]
    pub device_id: DeviceId,
    /// The till's name.
    pub device_name: String,
    /// Who took it.
    pub staff: String,
    /// Authorized.
    pub amount: Money,
    /// Captured so far (approved or pending).
    pub captured: Money,
    /// Still held: authorized less captured.
    pub remaining: Money,
    /// When the hold lapses.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// It lapses within [`EXPIRES_SOON_HOURS`] of `generated_at`.
    pub expires_soon: bool,
}

/// The device id of transactions a manager records on the server (a correction made while
/// resolving a conflict): no till made them.
pub const SERVER_DEVICE: DeviceId = DeviceId::SERVER;

/// An open authorization "expires soon" when it lapses within this many hours.
pub const EXPIRES_SOON_HOURS: i64 = 24;

/// One hour's takings of one till, staff member, payment method and currency: what the
/// manager's charts are drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HourlySales {
    /// The start of the hour.
    #[schema(value_type = String, format = DateTime)]
    pub hour: Timestamp,
    /// The till.
    #[schema(value_type = String, format = Uuid)]
    pub device_id: DeviceId,
    /// The till's name.
    pub device_name: String,
    /// Who recorded the sales.
    pub staff: String,
    /// `cash`, `card`, `external` or `marked_paid`.
    pub method: String,
    /// Approved sales and captures.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sales: u64,
    /// Their amount.
    pub gross: Money,
    /// Approved refunds in the hour.
    pub refunded: Money,
}

/// An order with its whole history across tills, as a manager opens it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ManagerOrder {
    /// The order with everything derived from its transactions (status, paid, refunded, the
    /// transactions of every till with every result change).
    #[schema(value_type = Object)]
    pub view: fairtill_core::ledger::OrderView,
    /// The name of each till that recorded part of it, by device id.
    pub device_names: std::collections::BTreeMap<String, String>,
    /// The conflicts raised on its transactions (their ids).
    pub conflicts: Vec<Uuid>,
    /// The messages sent or waiting about it (receipts by email, a declined payment's notice),
    /// oldest first.
    pub messages: Vec<crate::Notification>,
    /// The automations that ran for it, oldest first.
    #[serde(default)]
    pub automations: Vec<crate::AutomationRun>,
}

/// A device as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Device {
    /// Its id (the one its own database made).
    #[schema(value_type = String, format = Uuid)]
    pub id: DeviceId,
    /// The name the manager gave it.
    pub name: String,
    /// Its receipt prefix.
    pub code: String,
    /// When it enrolled.
    #[schema(value_type = String, format = DateTime)]
    pub enrolled_at: Timestamp,
    /// When it was revoked, if it was.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    /// Its last successful push.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_push_at: Option<Timestamp>,
}

/// Which rule across devices a conflict breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Refunds of one payment add up to more than it took.
    OverRefund,
    /// Captures of one authorization add up to more than it held.
    OverCapture,
    /// One payment in another system was logged twice (same system and reference).
    DuplicateReference,
    /// Two live offers have one name.
    OfferNameTaken,
}

impl ConflictKind {
    /// Its name in the database and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::OverRefund => "over_refund",
            ConflictKind::OverCapture => "over_capture",
            ConflictKind::DuplicateReference => "duplicate_reference",
            ConflictKind::OfferNameTaken => "offer_name_taken",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<ConflictKind> {
        [
            ConflictKind::OverRefund,
            ConflictKind::OverCapture,
            ConflictKind::DuplicateReference,
            ConflictKind::OfferNameTaken,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// A rule broken across devices, with both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Conflict {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// Which rule.
    pub kind: ConflictKind,
    /// What rule was broken, in words.
    pub reason: String,
    /// The record whose arrival raised it.
    #[schema(value_type = Object)]
    pub record: Option<Record>,
    /// The records on the other side.
    #[schema(value_type = Vec<Object>)]
    pub others: Vec<Record>,
    /// Every device involved.
    pub devices: Vec<String>,
    /// When it was raised.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When a manager resolved it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// The manager's note.
    pub note: Option<String>,
}

/// One thing a manager did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditEntry {
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What (`resolve_conflict`, `sign_in`, …).
    pub action: String,
    /// On what.
    pub subject: String,
    /// Their note.
    pub note: Option<String>,
}

/// A manager's name and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// The manager's name.
    pub name: String,
    /// Their password.
    pub password: String,
}

/// A manager's sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for the manager endpoints. The server keeps only its hash.
    pub token: String,
    /// Who signed in.
    pub name: String,
    /// When the token stops working.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// An event as the manager picks it: its name where the server knows it, and how much was
/// recorded there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventSummary {
    /// The event.
    #[schema(value_type = String, format = Uuid)]
    pub id: EventId,
    /// Its name, if the server has the event (a till made before version 6 of its database may
    /// not have pushed it).
    pub name: Option<String>,
    /// Transactions recorded at it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub transactions: u64,
    /// The first and last of them.
    #[schema(value_type = String, format = DateTime)]
    pub first_at: Timestamp,
    /// The last.
    #[schema(value_type = String, format = DateTime)]
    pub last_at: Timestamp,
}

/// The constants the UI needs, written beside the generated TypeScript types (by `cargo test`,
/// like ts-rs's own exports, and checked for staleness the same way), so no copy is typed out.
#[cfg(all(test, feature = "ts"))]
mod ts_constants {
    use super::*;

    #[test]
    fn export_constants() {
        let Some(dir) = std::env::var_os("TS_RS_EXPORT_DIR") else {
            return;
        };
        let text = format!(
            "// Written by fairtill-protocol's tests from the Rust constants. Do not edit this file manually.\n\n\
             /** The device id of what a manager records on the server (no till made it). */\n\
             export const SERVER_DEVICE = \"{}\";\n\n\
             /** An open authorization expires soon when it lapses within this many hours. */\n\
             export const EXPIRES_SOON_HOURS = {EXPIRES_SOON_HOURS};\n",
            SERVER_DEVICE.0
        );
        let path = std::path::Path::new(&dir).join("constants.ts");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).unwrap();
        }
    }
}

/// A receipt to send by email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReceiptEmailRequest {
    /// Where to; the order's customer's address when not given.
    #[serde(default)]
    pub email: Option<String>,
}
