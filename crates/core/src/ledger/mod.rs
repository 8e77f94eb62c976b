//! The transaction ledger: orders and the immutable transactions recorded against them.
//!
//! [`Ledger`] is an in-memory projection of [`Fact`]s. [`Ledger::decide`] checks a [`Command`]
//! against every rule of docs/domain.md and returns the facts it would record, without changing
//! anything; [`Ledger::apply`] adds facts. The store loads the facts a command touches, calls
//! `decide`, and writes the facts in one SQLite transaction. All state (paid, refunded, expired…)
//! is derived from the facts, never stored.

mod actions;
mod command;
mod error;
pub mod reference;
mod rules;
mod state;
mod summary;
mod transaction;

use std::collections::BTreeMap;

pub use actions::{Action, ActionKind};
pub use command::{
    Command, Fact, Payment, PaymentKind, RefundProgress, RefundStrategy, Stamp, WriteOff,
};
pub use error::LedgerError;
pub use rules::PROCESSOR_HOLD;
pub use state::{AuthState, OrderStatus, OrderView, PaymentState, RefundStatus, RefundView};
pub use summary::{CurrencySummary, Summary, SummaryBuilder, SummaryRow};
pub use transaction::{
    PaymentMethod, RefundDetail, RefundItem, RefundStrategyKind, ResultChange, Transaction, TxKind,
    TxResult,
};

use crate::ids::{OrderId, TxId};
use crate::order::{Order, OrderTotals};

#[derive(Debug, Clone, PartialEq, Eq)]
struct OrderEntry {
    order: Order,
    totals: OrderTotals,
    write_off: Option<WriteOff>,
}

/// Orders and transactions, with the rules that govern new ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    orders: BTreeMap<OrderId, OrderEntry>,
    txs: BTreeMap<TxId, Transaction>,
    /// Parent → children, in the order recorded.
    children: BTreeMap<TxId, Vec<TxId>>,
    /// Order → the roots of the chains that name it, in the order recorded.
    chains_by_order: BTreeMap<OrderId, Vec<TxId>>,
    /// Voided transaction → the one that replaced it.
    replaced_by: BTreeMap<TxId, TxId>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Adds a fact. Facts come from `decide` or from storage; this checks only that what they
    /// name exists, so history always loads.
    pub fn apply(&mut self, fact: Fact) -> Result<(), LedgerError> {
        match fact {
            Fact::OrderPlaced { order } => {
                if self.orders.contains_key(&order.id) {
                    return Err(LedgerError::Duplicate(format!("order {}", order.id)));
                }
                let totals = order.totals()?;
                self.orders.insert(
                    order.id,
                    OrderEntry {
                        order: *order,
                        totals,
                        write_off: None,
                    },
                );
            }
            Fact::Recorded { tx } => {
                if self.txs.contains_key(&tx.id) {
                    return Err(LedgerError::Duplicate(format!("transaction {}", tx.id)));
                }
                if let Some(parent) = tx.parent {
                    if !self.txs.contains_key(&parent) {
                        return Err(LedgerError::UnknownTransaction(parent));
                    }
                    self.children.entry(parent).or_default().push(tx.id);
                }
                if tx.is_root() {
                    for order in &tx.order_ids {
                        self.chains_by_order.entry(*order).or_default().push(tx.id);
                    }
                }
                if let Some(old) = tx.replaces {
                    self.replaced_by.insert(old, tx.id);
                }
                self.txs.insert(tx.id, *tx);
            }
            Fact::ResultChanged { tx, change } => {
                let t = self
                    .txs
                    .get_mut(&tx)
                    .ok_or(LedgerError::UnknownTransaction(tx))?;
                t.push_change(change);
            }
            Fact::WrittenOff { write_off } => {
                let entry = self
                    .orders
                    .get_mut(&write_off.order_id)
                    .ok_or(LedgerError::UnknownOrder(write_off.order_id))?;
                entry.write_off = Some(write_off);
            }
        }
        Ok(())
    }

    /// Checks a command and, if every rule allows it, records its facts and returns them.
    /// A refused command leaves the ledger exactly as it was.
    pub fn execute(&mut self, command: &Command, stamp: &Stamp) -> Result<Vec<Fact>, LedgerError> {
        let facts = self.decide(command, stamp)?;
        let mut next = self.clone();
        for fact in &facts {
            next.apply(fact.clone())?;
        }
        *self = next;
        Ok(facts)
    }

    /// A transaction by id.
    pub fn transaction(&self, id: TxId) -> Option<&Transaction> {
        self.txs.get(&id)
    }

    /// Every transaction, in id order (UUIDv7 ids sort by creation time).
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.txs.values()
    }

    /// An order by id.
    pub fn order(&self, id: OrderId) -> Option<&Order> {
        self.orders.get(&id).map(|e| &e.order)
    }

    /// Every order.
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values().map(|e| &e.order)
    }

    /// The children of a transaction, in the order recorded.
    pub fn children_of(&self, id: TxId) -> impl Iterator<Item = &Transaction> {
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|c| self.txs.get(c))
    }

    fn tx(&self, id: TxId) -> Result<&Transaction, LedgerError> {
        self.txs.get(&id).ok_or(LedgerError::UnknownTransaction(id))
    }

    fn entry(&self, id: OrderId) -> Result<&OrderEntry, LedgerError> {
        self.orders.get(&id).ok_or(LedgerError::UnknownOrder(id))
    }
}
