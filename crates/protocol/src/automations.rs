//! Automations: "after a sale of this product or offer, email the customer this message and/or
//! call this webhook", set by a manager and run by the server once per order, for sales from
//! any till and logged sales from other systems alike. A run is never undone (a refund does not
//! take back an email); every run is in the order's history.

use fairtill_core::ids::{OfferId, OrderId, TxId};
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What sets an automation off: an approved payment for an order that holds this product, or
/// every line of this offer (each at least the offer's quantity; an order does not name the
/// offer it was made from, so holding the bundle is what "a sale of the offer" means).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AutomationTrigger {
    /// A product, by SKU.
    Product {
        /// Its SKU.
        sku: String,
    },
    /// A saved offer.
    Offer {
        /// Its id.
        #[schema(value_type = String, format = Uuid)]
        offer_id: OfferId,
    },
}

/// The message an automation emails the order's customer. Both parts are templates
/// (Jinja syntax) with `customer_name`, `receipt`, `automation`, `event` and `items` (each with
/// `name`, `sku` and `quantity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AutomationEmail {
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// A new automation. It needs an email, a webhook, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewAutomation {
    /// What the manager calls it ("Download link for the e-book").
    pub name: String,
    /// What sets it off.
    pub trigger: AutomationTrigger,
    /// The message for the customer, if any.
    #[serde(default)]
    pub email: Option<AutomationEmail>,
    /// A registered webhook endpoint to call (with `automation.ran`), if any.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub webhook_endpoint_id: Option<Uuid>,
}

/// An automation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Automation {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What sets it off.
    pub trigger: AutomationTrigger,
    /// What it needs in an order.
    pub needs: Vec<AutomationNeed>,
    /// The message for the customer, if any.
    pub email: Option<AutomationEmail>,
    /// The webhook endpoint it calls, if any.
    #[schema(value_type = Option<String>, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub webhook_endpoint_id: Option<Uuid>,
    /// Off: it runs for nothing until turned on again (what sold meanwhile is not caught up).
    pub enabled: bool,
    /// Who made it.
    pub created_by: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Orders it ran for.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub runs: u64,
}

/// A product an order must hold for an automation to run, and how many at least.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AutomationNeed {
    /// Its SKU.
    pub sku: String,
    /// Least units.
    pub quantity: u32,
}

/// A change to an automation: turn it off or on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AutomationChange {
    /// On or off.
    pub enabled: bool,
}

/// One run of an automation for one order, as the order's history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AutomationRun {
    /// The automation.
    #[schema(value_type = String, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub automation_id: Uuid,
    /// Its name.
    pub automation: String,
    /// The order.
    #[schema(value_type = String, format = Uuid)]
    pub order_id: OrderId,
    /// The approved payment that set it off.
    #[schema(value_type = String, format = Uuid)]
    pub transaction_id: TxId,
    /// When it ran.
    #[schema(value_type = String, format = DateTime)]
    pub ran_at: Timestamp,
    /// The email it queued (its state is in the order's messages), if any.
    #[schema(value_type = Option<String>, format = Uuid)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub notification_id: Option<Uuid>,
    /// The webhook it queued (`webhook-id`), if any.
    pub webhook_message_id: Option<String>,
    /// What it could not do ("the order has no customer email"), if anything.
    pub note: Option<String>,
}
