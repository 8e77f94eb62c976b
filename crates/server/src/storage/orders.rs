//! One order as a manager opens it: its record and every transaction, result change and
//! write-off of its chains, from whichever till recorded them, replayed through the core ledger.

use std::collections::BTreeMap;

use fairtill_core::ids::OrderId;
use fairtill_core::ledger::{Fact, Ledger};
use fairtill_core::Timestamp;
use fairtill_protocol::{ManagerOrder, Record};

use super::{query_one, Db, Result, Storage, StorageError};
use crate::params;

fn order(db: &mut dyn Db, id: OrderId, now: Timestamp) -> Result<ManagerOrder> {
    let id_text = id.to_string();
    let body = query_one(
        db,
        "SELECT body FROM records WHERE record_type = 'order' AND record_id = $1",
        params![id_text.as_str()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("order {id}")))?
    .text(0)?;
    let mut ledger = Ledger::new();
    let mut facts = Vec::new();
    if let Record::Order { order } = serde_json::from_str(&body)? {
        facts.push(Fact::OrderPlaced { order });
    }
    // Every transaction of the chains that name the order, parents before children.
    let rows = db.query(
        "SELECT r.body FROM transactions t
         JOIN records r ON r.record_type = 'transaction' AND r.record_id = t.id
         WHERE t.root_id IN (SELECT x.root_id FROM transactions x WHERE x.order_id = $1)
         ORDER BY t.created_at, t.seq",
        params![id_text.as_str()],
    )?;
    let mut tx_ids = Vec::new();
    for r in &rows {
        if let Record::Transaction { transaction } = serde_json::from_str(&r.text(0)?)? {
            tx_ids.push(transaction.id.to_string());
            facts.push(Fact::Recorded { tx: transaction });
        }
    }
    let changes = db.query(
        "SELECT r.body FROM result_changes c
         JOIN records r ON r.record_type = 'result_change' AND r.record_id = c.transaction_id || '#' || CAST(c.n AS TEXT)
         WHERE c.transaction_id IN (SELECT t.id FROM transactions t
             WHERE t.root_id IN (SELECT x.root_id FROM transactions x WHERE x.order_id = $1))
         ORDER BY c.transaction_id, c.n",
        params![id_text.as_str()],
    )?;
    for r in &changes {
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
    if let Some(w) = query_one(
        db,
        "SELECT body FROM records WHERE record_type = 'write_off' AND record_id = $1",
        params![id_text.as_str()],
    )? {
        if let Record::WriteOff { write_off } = serde_json::from_str(&w.text(0)?)? {
            facts.push(Fact::WrittenOff { write_off });
        }
    }
    for fact in facts {
        ledger
            .apply(fact)
            .map_err(|e| StorageError::Backend(format!("order {id} does not replay: {e}")))?;
    }
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
    devices.sort();
    devices.dedup();
    for d in devices {
        let name = query_one(
            db,
            "SELECT name FROM devices WHERE id = $1",
            params![d.as_str()],
        )?
        .map(|r| r.text(0))
        .transpose()?
        .unwrap_or_else(|| d.clone());
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
    Ok(ManagerOrder {
        view,
        device_names,
        conflicts,
    })
}

impl Storage {
    /// An order with its whole cross-till history, at `now`.
    pub async fn order(&self, id: OrderId, now: Timestamp) -> Result<ManagerOrder> {
        self.transact(move |db| order(db, id, now)).await
    }
}
