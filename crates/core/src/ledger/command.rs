//! What staff ask the ledger to do (commands) and what it records (facts).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::SaleContext;
use crate::ids::{OrderId, TxId};
use crate::money::Money;
use crate::order::Order;

use super::transaction::{PaymentMethod, RefundItem, ResultChange, Transaction, TxResult};

/// Whether a payment takes the money now or reserves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentKind {
    /// Take the money now.
    Sale,
    /// Reserve it, to capture within `capture_window`.
    Authorize {
        /// How long the authorization may wait for capture (the event's window).
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        capture_window: SignedDuration,
    },
}

/// A payment attempt against zero, one or several orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Payment {
    /// Sale or authorization.
    pub kind: PaymentKind,
    /// Orders it pays (fills them in this order).
    pub order_ids: Vec<OrderId>,
    /// Amount.
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// What happened (a declined attempt is recorded too).
    pub result: TxResult,
    /// A voided paid transaction this payment replaces.
    pub replaces: Option<TxId>,
}

/// How much to refund (docs/domain.md, rule 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RefundStrategy {
    /// The whole payment (nothing may have been refunded yet).
    Full,
    /// Specific lines and quantities, with their share of discounts and tax.
    Items {
        /// Lines and units.
        items: Vec<RefundItem>,
    },
    /// An amount of the remaining balance.
    Amount {
        /// The amount.
        amount: Money,
    },
}

/// Whether the refund has gone through yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum RefundProgress {
    /// Done (cash handed back, terminal approved).
    Complete,
    /// Sent, waiting for confirmation: can still be voided.
    Pending,
}

/// An operation on the ledger. Each is checked by [`super::Ledger::decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Place an order.
    PlaceOrder {
        /// The order.
        order: Box<Order>,
    },
    /// Record a payment attempt (sale or authorization).
    Pay(Payment),
    /// Capture part or all of an authorization.
    Capture {
        /// The authorization.
        authorization: TxId,
        /// Amount to take.
        amount: Money,
        /// What happened.
        result: TxResult,
    },
    /// Void an authorization's remainder, a logged sale entered by mistake, or a pending refund.
    Void {
        /// What to void.
        target: TxId,
        /// Why.
        reason: Option<String>,
    },
    /// Refund against an approved sale or capture.
    Refund {
        /// The sale or capture.
        parent: TxId,
        /// How much.
        strategy: RefundStrategy,
        /// Complete now or pending.
        progress: RefundProgress,
        /// Why.
        reason: Option<String>,
    },
    /// Pay money to a customer beyond a refund.
    Credit {
        /// Related orders (may be none).
        order_ids: Vec<OrderId>,
        /// Amount.
        amount: Money,
        /// How it is paid out.
        method: PaymentMethod,
        /// The manager who permits it.
        approved_by: String,
        /// Why.
        reason: String,
    },
    /// Record the final result of a transaction whose result was unknown.
    ResolveResult {
        /// The transaction.
        tx: TxId,
        /// Its result now.
        result: TxResult,
        /// Why.
        note: Option<String>,
    },
    /// Write off what is still due on an open order.
    WriteOff {
        /// The order.
        order: OrderId,
        /// Why.
        reason: String,
    },
    /// Mark an open order as paid (a logged sale for what is due).
    MarkPaid {
        /// The order.
        order: OrderId,
        /// How it was paid.
        note: String,
    },
}

/// Who, when, and the id for whatever a command creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Id for the new transaction (a fresh UUIDv7 from the store).
    pub id: Uuid,
    /// Now.
    pub at: Timestamp,
    /// Device, event, staff.
    pub context: SaleContext,
}

impl Stamp {
    /// The id of the `n`th thing a command creates (0: `id` itself). Further ids keep `id`'s
    /// time and version and differ in its random bits, so they sort with it and never collide
    /// with each other.
    pub fn nth_id(&self, n: u64) -> Uuid {
        const RANDOM: u128 = (1 << 62) - 1;
        let base = self.id.as_u128();
        let low = (base & RANDOM).wrapping_add(u128::from(n) << 32) & RANDOM;
        Uuid::from_u128((base & !RANDOM) | low)
    }
}

/// An order written off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WriteOff {
    /// The order.
    pub order_id: OrderId,
    /// What was written off.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub context: SaleContext,
}

/// An immutable fact the ledger records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// An order was placed.
    OrderPlaced {
        /// The order.
        order: Box<Order>,
    },
    /// A transaction was recorded.
    Recorded {
        /// The transaction.
        tx: Box<Transaction>,
    },
    /// A transaction's result changed (from unknown).
    ResultChanged {
        /// The transaction.
        tx: TxId,
        /// The change.
        change: ResultChange,
    },
    /// An order was written off.
    WrittenOff {
        /// The write-off.
        write_off: WriteOff,
    },
}
