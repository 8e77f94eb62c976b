//! fairtill-core: Fairtill's domain — money, catalog, offers, orders and the transaction ledger.
//!
//! No I/O and no clock: time is passed in. The ledger's rules (docs/domain.md) live in
//! [`ledger::Ledger::decide`]; every state (paid, refunded, expired…) is derived from immutable facts.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod catalog;
pub mod commission;
pub mod csv_text;
pub mod customer;
pub mod event;
pub mod filter;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod offer;
pub mod order;
pub mod receipt;
pub mod tax;
pub mod till;

pub use jiff::{SignedDuration, Timestamp};
pub use rust_decimal::Decimal;

/// Where the current time comes from. The domain never reads the clock; callers pass a
/// timestamp taken from a `Clock` (the system clock in the app, a fixed one in tests).
pub trait Clock {
    /// Now.
    fn now(&self) -> Timestamp;
}
