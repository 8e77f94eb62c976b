//! Typed identifiers. All are UUIDs (v7, made on the device by the store); the types keep an
//! order id from being passed where a transaction id is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map($name)
            }
        }
    };
}

id_type!(
    /// Identifies a transaction (and, for a refund transaction, its refund).
    TxId
);
id_type!(
    /// Identifies an order.
    OrderId
);
id_type!(
    /// Identifies a saved offer.
    OfferId
);
id_type!(
    /// Identifies a device (one laptop's till).
    DeviceId
);
id_type!(
    /// Identifies an event (a fair, a trade show).
    EventId
);
id_type!(
    /// Identifies a till session (a cash float opened and counted).
    TillSessionId
);
id_type!(
    /// Identifies a customer (the record with their orders and saved cards).
    CustomerId
);

impl DeviceId {
    /// The server itself, as the maker of what it records (products, events, corrections,
    /// and the processor's answers to charges and refunds).
    pub const SERVER: DeviceId = DeviceId(Uuid::nil());
}
