//! One order as a manager opens it: its record and every transaction, result change and
//! write-off of its chains, from whichever till recorded them, replayed through the core ledger.

use std::collections::BTreeMap;

use fairtill_core::ids::OrderId;
use fairtill_core::ledger::{Fact, Ledger, Transaction};
use fairtill_core::Timestamp;
use fairtill_protocol::{ManagerOrder, Record};

use super::{query_one, Db, Result, Storage, StorageError};
use crate::params;

/// The facts of the orders `order_ids` and of every transaction chain rooted at `roots`
/// (parents before children, then result changes and write-offs), replayed into a ledger.
/// `apply` checks only that what a fact names exists, so a conflicted history still loads.
pub(crate) fn replay(
    db: &mut dyn Db,
    order_ids: &[String],
    roots: &[String],
) -> Result<(Ledger, Vec<String>)> {
    let mut facts = Vec::new();
    for id in order_ids {
        if let Some(r) = query_one(
            db,
            "SELECT body FROM records WHERE record_type = 'order' AND record_id = $1",
            params![id.as_str()],
        )? {
            if let Record::Order { order } = serde_json::from_str(&r.text(0)?)? {
                facts.push(Fact::OrderPlaced { order });
            }
        }
    }
    let mut tx_ids = Vec::new();
    for root in roots {
        let mut chain = Vec::new();
        for r in db.query(
            "SELECT r.body FROM transactions t
             JOIN records r ON r.record_type = 'transaction' AND r.record_id = t.id
             WHERE t.root_id = $1 ORDER BY t.created_at, t.seq",
            params![root.as_str()],
        )? {
            if let Record::Transaction { transaction } = serde_json::from_str(&r.text(0)?)? {
                chain.push(*transaction);
            }
        }
        for transaction in parents_first(chain) {
            tx_ids.push(transaction.id.to_string());
            facts.push(Fact::Recorded {
                tx: Box::new(transaction),
            });
        }
    }
    for root in roots {
        for r in db.query(
            "SELECT r.body FROM result_changes c
             JOIN transactions t ON t.id = c.transaction_id
             JOIN records r ON r.record_type = 'result_change' AND r.record_id = c.transaction_id || '#' || CAST(c.n AS TEXT)
             WHERE t.root_id = $1 ORDER BY c.transaction_id, c.n",
            params![root.as_str()],
        )? {
            if let Record::ResultChange {
                transaction_id,
                change,
                ..
            } = serde_json::from_str(&r.text(0)?)?
            {
                facts.push(Fact::ResultChanged {
                    tx: transaction_id,
                    change,
                });
            }
        }
    }
    for id in order_ids {
        if let Some(w) = query_one(
            db,
            "SELECT body FROM records WHERE record_type = 'write_off' AND record_id = $1",
            params![id.as_str()],
        )? {
            if let Record::WriteOff { write_off } = serde_json::from_str(&w.text(0)?)? {
                facts.push(Fact::WrittenOff { write_off });
            }
        }
    }
    let mut ledger = Ledger::new();
    for fact in facts {
        ledger
            .apply(fact)
            .map_err(|e| StorageError::Backend(format!("the history does not replay: {e}")))?;
    }
    Ok((ledger, tx_ids))
}

/// A chain's transactions with every parent before its children, otherwise in the order given
/// (by time). Neither time nor arrival can be trusted for that: another till's clock may be
/// behind (its refund stamped before the sale it refunds), and a refund may reach the server
/// before its sale. A child whose parent is not here stays last, and the replay says so.
fn parents_first(txs: Vec<Transaction>) -> Vec<Transaction> {
    let mut placed = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(txs.len());
    let mut rest = txs;
    loop {
        let before = out.len();
        let mut waiting = Vec::new();
        for tx in rest {
            if tx.parent.is_none_or(|p| placed.contains(&p)) {
                placed.insert(tx.id);
                out.push(tx);
            } else {
                waiting.push(tx);
            }
        }
        if waiting.is_empty() || out.len() == before {
            out.extend(waiting);
            return out;
        }
        rest = waiting;
    }
}

/// Text values of one column of `sql`'s rows.
fn texts(db: &mut dyn Db, sql: &str, param: &str) -> Result<Vec<String>> {
    db.query(sql, params![param])?
        .iter()
        .map(|r| r.text(0))
        .collect()
}

/// The orders and chain roots of the transaction `tx`'s chain.
pub(crate) fn chain_of(db: &mut dyn Db, tx: &str) -> Result<(Vec<String>, Vec<String>)> {
    let roots = texts(db, "SELECT root_id FROM transactions WHERE id = $1", tx)?;
    let mut orders = Vec::new();
    for root in &roots {
        orders.extend(texts(
            db,
            "SELECT DISTINCT order_id FROM transactions WHERE root_id = $1 AND order_id IS NOT NULL",
            root,
        )?);
    }
    Ok((orders, roots))
}

/// The ledger of order `id`: the order and every transaction chain naming it, replayed; and
/// the ids of those transactions.
fn order_history(db: &mut dyn Db, id: OrderId) -> Result<(Ledger, Vec<String>)> {
    let id_text = id.to_string();
    if query_one(
        db,
        "SELECT 1 FROM records WHERE record_type = 'order' AND record_id = $1",
        params![id_text.as_str()],
    )?
    .is_none()
    {
        return Err(StorageError::NotFound(format!("order {id}")));
    }
    let roots = texts(
        db,
        "SELECT DISTINCT root_id FROM transactions WHERE order_id = $1",
        &id_text,
    )?;
    replay(db, std::slice::from_ref(&id_text), &roots)
}

/// The ledger of order `id` (the order and every transaction chain naming it).
pub(crate) fn order_ledger(db: &mut dyn Db, id: OrderId) -> Result<Ledger> {
    order_history(db, id).map(|(ledger, _)| ledger)
}

pub(crate) fn order(db: &mut dyn Db, id: OrderId, now: Timestamp) -> Result<ManagerOrder> {
    let (ledger, tx_ids) = order_history(db, id)?;
    let view = ledger
        .order_view(id, now)
        .map_err(|e| StorageError::Backend(e.to_string()))?;
    let mut device_names = BTreeMap::new();
    let mut devices: Vec<String> = view
        .transactions
        .iter()
        .map(|t| t.context.device_id.to_string())
        .collect();
    devices.push(view.order.context.device_id.to_string());
    let names = super::devices::device_names(db)?;
    for d in devices {
        let name = names.get(&d).cloned().unwrap_or_else(|| d.clone());
        device_names.insert(d, name);
    }
    let mut conflicts = Vec::new();
    for tx in &tx_ids {
        for r in db.query(
            "SELECT id FROM conflicts WHERE record_type = 'transaction' AND record_id = $1 ORDER BY created_at",
            params![tx.as_str()],
        )? {
            conflicts.push(
                r.text(0)?
                    .parse()
                    .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))?,
            );
        }
    }
    let messages = super::notifications::messages_of(db, "order_id", &id.to_string())?;
    let automations = super::automations::runs_of(db, &id.to_string())?;
    Ok(ManagerOrder {
        view,
        device_names,
        conflicts,
        messages,
        automations,
    })
}

impl Storage {
    /// An order with its whole cross-till history, at `now`.
    pub async fn order(&self, id: OrderId, now: Timestamp) -> Result<ManagerOrder> {
        self.transact(move |db| order(db, id, now)).await
    }
}
