//! Writing ledger facts to SQLite and reading them back into a [`Ledger`].
//!
//! Each record keeps its full serialized form in `body` (the immutable fact as it will be synced)
//! beside the columns that queries filter and sum on. Reading uses only `body` plus the result
//! changes, so what is read is exactly what was written.

use std::collections::BTreeSet;

use fairtill_core::ids::{OrderId, TxId};
use fairtill_core::ledger::reference::{LoggedReference, HOLDING_RESULTS};
use fairtill_core::ledger::{
    Fact, Ledger, PaymentMethod, ResultChange, Transaction, TxResult, WriteOff,
};
use fairtill_core::order::Order;
use fairtill_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Result, StoreError};

/// Milliseconds since the epoch, the stored form of a time.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// A stored time back as a timestamp.
pub(crate) fn from_ms(v: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(v).map_err(|e| StoreError::Decode(e.to_string()))
}

/// Lower-cased text a transaction is found by: customer, receipt, external reference, card digits.
fn search_text(tx: &Transaction, order: Option<&Order>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(o) = order {
        parts.push(&o.receipt);
        if let Some(c) = &o.draft.customer {
            parts.extend(
                [c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()]
                    .into_iter()
                    .flatten(),
            );
        }
    }
    match &tx.method {
        PaymentMethod::External { system, reference } => {
            parts.extend([system.as_str(), reference.as_str()])
        }
        PaymentMethod::Card {
            last4,
            approval_code,
        } => parts.extend(
            [last4.as_deref(), approval_code.as_deref()]
                .into_iter()
                .flatten(),
        ),
        PaymentMethod::MarkedPaid { note } => parts.push(note),
        PaymentMethod::CardOnFile { brand, last4, .. } => {
            parts.extend([brand.as_str(), last4.as_str()])
        }
        PaymentMethod::Cash => {}
    }
    if let Some(r) = &tx.reason {
        parts.push(r);
    }
    parts.join(" ").to_lowercase()
}

/// The receipt sequence number of an order's receipt (`B3-000127` → 127).
fn receipt_seq(receipt: &str) -> Result<i64> {
    receipt
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| StoreError::Invalid(format!("receipt {receipt:?} has no number")))
}

/// Writes the facts of one decision. `ledger` supplies orders for search text.
pub(crate) fn insert_facts(conn: &Connection, facts: &[Fact], ledger: &Ledger) -> Result<()> {
    for fact in facts {
        match fact {
            Fact::OrderPlaced { order } => insert_order(conn, order)?,
            Fact::Recorded { tx } => {
                // The order is borrowed for the search text: from the ledger, or placed in this batch.
                let order: Option<&Order> = tx.order_ids.first().and_then(|id| {
                    ledger.order(*id).or_else(|| {
                        facts.iter().find_map(|f| match f {
                            Fact::OrderPlaced { order } if order.id == *id => Some(&**order),
                            _ => None,
                        })
                    })
                });
                insert_transaction(conn, tx, order)?;
            }
            Fact::ResultChanged { tx, change } => {
                let n: i64 = conn.query_row(
                    "SELECT count(*) + 1 FROM result_changes WHERE transaction_id = ?1",
                    [tx.0.to_string()],
                    |r| r.get(0),
                )?;
                conn.prepare_cached(
                    "INSERT INTO result_changes (transaction_id, n, result, at, note, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![tx.0.to_string(), n, change.result.as_str(), ms(change.at), change.note, change.expires_at.map(ms)])?;
                hold_until(conn, *tx, change)?;
            }
            Fact::WrittenOff { write_off } => {
                conn.prepare_cached(
                    "INSERT INTO write_offs (order_id, amount_minor, currency, at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    write_off.order_id.0.to_string(),
                    write_off.amount.minor(),
                    write_off.amount.currency().code(),
                    ms(write_off.at),
                    serde_json::to_string(write_off)?,
                ])?;
            }
        }
    }
    Ok(())
}

pub(crate) fn insert_order(conn: &Connection, order: &Order) -> Result<()> {
    insert_order_from(conn, order, false)
}

/// Inserts an order, marked remote when it was pulled from another device.
pub(crate) fn insert_order_from(conn: &Connection, order: &Order, remote: bool) -> Result<()> {
    let totals = order.totals()?;
    let customer = order.draft.customer.as_ref();
    conn.prepare_cached(
        "INSERT INTO orders (id, receipt, receipt_seq, device_id, event_id, staff, created_at, currency, total_minor, customer_name, customer_email, body, remote)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        order.id.0.to_string(),
        order.receipt,
        receipt_seq(&order.receipt)?,
        order.context.device_id.0.to_string(),
        order.context.event_id.map(|e| e.0.to_string()),
        order.context.staff,
        ms(order.created_at),
        order.currency().code(),
        totals.total.minor(),
        customer.and_then(|c| c.name.clone()),
        customer.and_then(|c| c.email.clone()),
        serde_json::to_string(order)?,
        remote,
    ])?;
    Ok(())
}

pub(crate) fn insert_transaction(
    conn: &Connection,
    tx: &Transaction,
    order: Option<&Order>,
) -> Result<()> {
    insert_transaction_from(conn, tx, order, false)
}

/// Inserts a transaction, marked remote when it was pulled from another device.
pub(crate) fn insert_transaction_from(
    conn: &Connection,
    tx: &Transaction,
    order: Option<&Order>,
    remote: bool,
) -> Result<()> {
    let (system, reference) = match &tx.method {
        PaymentMethod::External { system, reference } => {
            (Some(system.as_str()), Some(reference.as_str()))
        }
        PaymentMethod::Cash
        | PaymentMethod::Card { .. }
        | PaymentMethod::MarkedPaid { .. }
        | PaymentMethod::CardOnFile { .. } => (None, None),
    };
    let id = tx.id.0.to_string();
    conn.prepare_cached(
        "INSERT INTO transactions (id, kind, parent_id, parent_kind, root_id, order_id, amount_minor, currency, method,
            external_system, external_reference, result, created_at, expires_at, device_id, event_id, staff, search_text, body, remote)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        id,
        tx.kind.as_str(),
        tx.parent.map(|p| p.0.to_string()),
        tx.parent_kind.map(|k| k.as_str()),
        tx.root.0.to_string(),
        tx.order_ids.first().map(|o| o.0.to_string()),
        tx.amount.minor(),
        tx.amount.currency().code(),
        tx.method.name(),
        system,
        reference,
        tx.result().as_str(),
        ms(tx.created_at),
        tx.expires_at.map(ms),
        tx.context.device_id.0.to_string(),
        tx.context.event_id.map(|e| e.0.to_string()),
        tx.context.staff,
        search_text(tx, order),
        serde_json::to_string(tx)?,
        remote,
    ])?;
    if tx.order_ids.len() > 1 {
        let mut stmt =
            conn.prepare_cached("INSERT INTO transaction_orders (transaction_id, position, order_id) VALUES (?1, ?2, ?3)")?;
        for (position, order_id) in tx.order_ids.iter().enumerate().skip(1) {
            stmt.execute(params![
                id,
                i64::try_from(position).unwrap_or(i64::MAX),
                order_id.0.to_string()
            ])?;
        }
    }
    Ok(())
}

/// Brings an authorization's `expires_at` column forward to the processor's hold, when a
/// result change says when that lapses (the queries of what expires read the column).
pub(crate) fn hold_until(conn: &Connection, tx: TxId, change: &ResultChange) -> Result<()> {
    if let Some(hold) = change.expires_at {
        conn.prepare_cached(
            "UPDATE transactions SET expires_at = min(coalesce(expires_at, ?2), ?2) WHERE id = ?1",
        )?
        .execute(params![tx.0.to_string(), ms(hold)])?;
    }
    Ok(())
}

/// Reads a transaction: its body plus every later result change.
pub(crate) fn load_transaction(conn: &Connection, id: &str) -> Result<Option<Transaction>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM transactions WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(body) = body else { return Ok(None) };
    let mut tx: Transaction = serde_json::from_str(&body)?;
    let mut stmt = conn.prepare_cached(
        "SELECT result, at, note, expires_at FROM result_changes WHERE transaction_id = ?1 ORDER BY n",
    )?;
    let changes = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    for change in changes {
        let (result, at, note, expires_at) = change?;
        let result = TxResult::parse(&result)
            .ok_or_else(|| StoreError::Decode(format!("result {result:?}")))?;
        tx.push_change(ResultChange {
            result,
            at: from_ms(at)?,
            note,
            expires_at: expires_at.map(from_ms).transpose()?,
        });
    }
    Ok(Some(tx))
}

pub(crate) fn load_order(conn: &Connection, id: &str) -> Result<Option<(Order, Option<WriteOff>)>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM orders WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(body) = body else { return Ok(None) };
    let order: Order = serde_json::from_str(&body)?;
    let write_off: Option<String> = conn
        .prepare_cached("SELECT body FROM write_offs WHERE order_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let write_off = write_off.map(|b| serde_json::from_str(&b)).transpose()?;
    Ok(Some((order, write_off)))
}

fn strings(conn: &Connection, sql: &str, key: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([key], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Loads everything a command on these transactions and orders needs: the chains they belong
/// to, the orders those chains pay, every chain of those orders, and the orders those chains
/// also pay (for the share of a payment that covers several orders).
pub(crate) fn load_neighbourhood(
    conn: &Connection,
    txs: &[TxId],
    orders: &[OrderId],
) -> Result<Ledger> {
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for t in txs {
        roots.extend(strings(
            conn,
            "SELECT root_id FROM transactions WHERE id = ?1",
            &t.0.to_string(),
        )?);
    }
    let mut order_ids: BTreeSet<String> = orders.iter().map(|o| o.0.to_string()).collect();
    let orders_of_root = |root: &str| -> Result<Vec<String>> {
        let mut v = strings(
            conn,
            "SELECT order_id FROM transactions WHERE id = ?1 AND order_id IS NOT NULL",
            root,
        )?;
        v.extend(strings(
            conn,
            "SELECT order_id FROM transaction_orders WHERE transaction_id = ?1",
            root,
        )?);
        Ok(v)
    };
    for r in roots.clone() {
        order_ids.extend(orders_of_root(&r)?);
    }
    for o in order_ids.clone() {
        roots.extend(strings(
            conn,
            "SELECT id FROM transactions WHERE order_id = ?1 AND parent_id IS NULL",
            &o,
        )?);
        roots.extend(strings(
            conn,
            "SELECT t.id FROM transaction_orders x JOIN transactions t ON t.id = x.transaction_id WHERE x.order_id = ?1 AND t.parent_id IS NULL",
            &o,
        )?);
    }
    for r in roots.clone() {
        order_ids.extend(orders_of_root(&r)?);
    }
    let mut ledger = Ledger::new();
    let mut write_offs = Vec::new();
    for o in &order_ids {
        if let Some((order, write_off)) = load_order(conn, o)? {
            ledger.apply(Fact::OrderPlaced {
                order: Box::new(order),
            })?;
            write_offs.extend(write_off);
        }
    }
    let mut chain: Vec<(i64, String)> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            // A chain is its root and the root's descendants (at most three levels), found
            // through the parent index.
            "WITH RECURSIVE chain(seq, id) AS (
                 SELECT seq, id FROM transactions WHERE id = ?1
                 UNION ALL
                 SELECT t.seq, t.id FROM transactions t JOIN chain c ON t.parent_id = c.id
             ) SELECT seq, id FROM chain",
        )?;
        for r in &roots {
            let rows = stmt.query_map([r], |row| Ok((row.get(0)?, row.get(1)?)))?;
            for row in rows {
                chain.push(row?);
            }
        }
    }
    chain.sort();
    for (_, id) in chain {
        if let Some(tx) = load_transaction(conn, &id)? {
            ledger.apply(Fact::Recorded { tx: Box::new(tx) })?;
        }
    }
    for w in write_offs {
        ledger.apply(Fact::WrittenOff { write_off: w })?;
    }
    Ok(ledger)
}

/// The receipt an external payment reference is already logged on (approved or pending, not
/// voided), if any.
pub(crate) fn logged_reference(
    conn: &Connection,
    logged: LoggedReference<'_>,
) -> Result<Option<String>> {
    /// The lookup, with the results that hold a reference taken from the rule.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let held = fairtill_core::filter::sql_names(HOLDING_RESULTS.iter().map(|r| r.as_str()));
        format!(
            "SELECT coalesce(o.receipt, t.id) FROM transactions t LEFT JOIN orders o ON o.id = t.order_id
             WHERE t.external_system = ?1 AND t.external_reference = ?2 AND t.parent_id IS NULL
               AND t.result IN ({})
               AND NOT EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = t.id AND v.kind = 'void' AND v.result = 'approved')
             LIMIT 1",
            held
        )
    });
    Ok(conn
        .prepare_cached(&SQL)?
        .query_row(params![logged.system, logged.reference], |r| r.get(0))
        .optional()?)
}

/// A receipt number: the device code and a six-digit sequence (`B3-000127`).
pub(crate) fn receipt_number(device_code: &str, seq: i64) -> String {
    format!("{device_code}-{seq:06}")
}

/// The next receipt sequence number of a device.
pub(crate) fn next_receipt_seq(conn: &Connection, device_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(max(receipt_seq), 0) + 1 FROM orders WHERE device_id = ?1",
        )?
        .query_row([device_id], |r| r.get(0))?)
}
