//! A receipt asked for by email at a till: recorded there with no network, synced like a sale,
//! and sent by the server (which renders the receipt from the order as it knows it).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{DeviceId, OrderId};

/// "Email the receipt of this order to this address", as a till records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReceiptEmail {
    /// Its id (each request is its own: asking again sends again).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// Where to.
    pub email: String,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// The till.
    pub device_id: DeviceId,
    /// Who asked.
    pub staff: String,
}
