//! A customer as the manager looks them up: found by name, email or phone, then their whole
//! record across tills (details, saved cards, every order with its transactions, and any
//! follow-up of a declined payment).

use fairtill_core::customer::{CustomerProfile, SavedCard};
use fairtill_core::ids::CustomerId;
use fairtill_core::ledger::OrderView;
use serde::{Deserialize, Serialize};

use crate::FollowUp;

/// A customer found by a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomerMatch {
    /// Their id.
    #[schema(value_type = String, format = Uuid)]
    pub id: CustomerId,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Cards on file.
    pub cards: u32,
    /// Follow-ups of declined payments still open.
    pub open_follow_ups: u32,
}

/// Everything the server knows of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomerRecord {
    /// Their details as last changed, at any till.
    #[schema(value_type = Object)]
    pub customer: CustomerProfile,
    /// Cards on file, newest (the default) first.
    pub cards: Vec<SavedCard>,
    /// Their orders, newest first: those paid (or tried) with their card on file, and those
    /// placed with their email address; each with every till's transactions on it.
    #[schema(value_type = Vec<Object>)]
    pub orders: Vec<OrderView>,
    /// Follow-ups of their declined payments, newest first.
    pub follow_ups: Vec<FollowUp>,
}
