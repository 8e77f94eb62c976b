//! Commissions as managers set and report them: rules (a percentage of net sales for a staff
//! member or a referrer, over every line or one product's or offer's lines), and runs of the
//! report for a period, each kept so that running it again shows what changed since.

use fairtill_core::commission::Commission;
use fairtill_core::ids::{EventId, OfferId, OrderId};
use fairtill_core::money::Money;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who earns a commission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Beneficiary {
    /// The staff member who recorded the sale (by the name they sign on with).
    Staff {
        /// Their name.
        name: String,
    },
    /// The referrer an order names ("Referred by" at the till).
    Referrer {
        /// The referrer's name or code.
        name: String,
    },
}

/// Which lines a rule pays on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommissionScope {
    /// Every line.
    All,
    /// One product's lines.
    Product {
        /// Its SKU.
        sku: String,
    },
    /// The lines of a saved offer, in orders that hold all of it.
    Offer {
        /// Its id.
        #[schema(value_type = String, format = Uuid)]
        offer_id: OfferId,
    },
}

/// A new commission rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewCommissionRule {
    /// Who earns it.
    pub beneficiary: Beneficiary,
    /// Percent of net sales ("10", "7.5").
    pub rate: String,
    /// Which lines.
    pub scope: CommissionScope,
}

/// A commission rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommissionRule {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Uuid,
    /// Who earns it.
    pub beneficiary: Beneficiary,
    /// Percent of net sales.
    pub rate: String,
    /// Which lines.
    pub scope: CommissionScope,
    /// Who made it, and when.
    pub created_by: String,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was retired (runs after that leave it out).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<Timestamp>,
}

/// The period a commission report covers: orders sold from `from` up to (not including) `to`,
/// at one event or all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommissionPeriod {
    /// From (inclusive).
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    /// To (exclusive).
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// Only this event's orders.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub event_id: Option<EventId>,
}

/// One order's commission under one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommissionLine {
    /// The rule.
    #[schema(value_type = String, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub rule_id: Uuid,
    /// Who earns it, in words ("staff Ana", "referrer CLUB7").
    pub beneficiary: String,
    /// The order.
    #[schema(value_type = String, format = Uuid)]
    pub order_id: OrderId,
    /// Its receipt number.
    pub receipt: String,
    /// When it was sold.
    #[schema(value_type = String, format = DateTime)]
    pub sold_at: Timestamp,
    /// The rule's rate, percent.
    pub rate: String,
    /// The amounts.
    #[schema(value_type = Object)]
    pub amounts: Commission,
}

/// What one beneficiary earns in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommissionTotal {
    /// Who, in words.
    pub beneficiary: String,
    /// Orders counted.
    pub orders: u32,
    /// Net sales.
    #[schema(value_type = Object)]
    pub net: Money,
    /// Commission.
    #[schema(value_type = Object)]
    pub commission: Money,
}

/// A line whose commission is not what the last run of the same period said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommissionChange {
    /// Who, in words.
    pub beneficiary: String,
    /// The order's receipt number.
    pub receipt: String,
    /// The commission then (none: the order was not counted).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Money>,
    /// The commission now (none: no longer counted).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Money>,
    /// Why, in words ("refunded 10.00 EUR since").
    pub why: String,
}

/// A run of the commission report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommissionRun {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Uuid,
    /// The period.
    pub period: CommissionPeriod,
    /// When it ran.
    #[schema(value_type = String, format = DateTime)]
    pub ran_at: Timestamp,
    /// Who ran it.
    pub ran_by: String,
    /// Each beneficiary's totals, by currency.
    pub totals: Vec<CommissionTotal>,
    /// Every order counted, under every rule.
    pub lines: Vec<CommissionLine>,
    /// The run of the same period this one is compared with, if there was one.
    #[schema(value_type = Option<String>, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub previous: Option<Uuid>,
    /// What changed since that run.
    pub changes: Vec<CommissionChange>,
}
