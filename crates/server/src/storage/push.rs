//! Push: store each record once by key, refuse what is not well formed, and raise the rules a
//! record breaks across devices as conflicts (stored, never refused).

use fairtill_core::ids::{DeviceId, EventId};
use fairtill_core::ledger::reference::HOLDING_RESULTS;
use fairtill_core::ledger::{PaymentMethod, Transaction, TxKind};
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::Order;
use fairtill_core::Timestamp;
use std::collections::{BTreeMap, HashSet};

use fairtill_protocol::{
    ConflictKind, PushOutcome, PushResult, Record, RecordKey, RecordType, WebhookEvent,
};
use uuid::Uuid;

use super::webhooks::Subscribers;
use super::{ms, query_one, Db, Param, Result, Storage, StorageError};
use crate::params;

/// The wire name of a record type (`transaction`, `result_change`, …).
pub(crate) fn type_name(t: RecordType) -> &'static str {
    match t {
        RecordType::Order => "order",
        RecordType::Transaction => "transaction",
        RecordType::ResultChange => "result_change",
        RecordType::WriteOff => "write_off",
        RecordType::Offer => "offer",
        RecordType::OfferRetirement => "offer_retirement",
        RecordType::Product => "product",
        RecordType::Event => "event",
        RecordType::TillOpened => "till_opened",
        RecordType::TillClosed => "till_closed",
        RecordType::Customer => "customer",
        RecordType::CardSaved => "card_saved",
        RecordType::CardRemoved => "card_removed",
        RecordType::ReceiptEmail => "receipt_email",
    }
}

/// A rule broken across devices, found when a record was stored.
struct Found {
    kind: ConflictKind,
    /// The records on the other side.
    others: Vec<String>,
    /// Every device involved.
    devices: Vec<String>,
    reason: String,
}

/// The event a record belongs to, for pulls by event.
fn event_of(db: &mut dyn Db, record: &Record) -> Result<Option<String>> {
    let id = |e: Option<EventId>| e.map(|e| e.to_string());
    Ok(match record {
        Record::Order { order } => id(order.context.event_id),
        Record::Transaction { transaction } => id(transaction.context.event_id),
        Record::WriteOff { write_off } => id(write_off.context.event_id),
        Record::ResultChange { transaction_id, .. } => query_one(
            db,
            "SELECT event_id FROM transactions WHERE id = $1",
            params![transaction_id.to_string()],
        )?
        .map(|r| r.opt_text(0))
        .transpose()?
        .flatten(),
        // Cash sessions stay with the manager: no other till pulls them. Customers and their
        // cards are everyone's.
        Record::Customer { .. } | Record::CardSaved { .. } | Record::CardRemoved { .. } => None,
        // A request to email a receipt is the server's to act on; no till pulls it.
        Record::ReceiptEmail { .. } => None,
        Record::Offer { .. }
        | Record::OfferRetirement { .. }
        | Record::Product { .. }
        | Record::Event { .. }
        | Record::TillOpened { .. }
        | Record::TillClosed { .. } => None,
    })
}

/// The discount an order gave, in minor units (0 if its totals cannot be worked out, which a
/// validated order never is).
pub(crate) fn discount_minor(o: &Order) -> i64 {
    o.totals().map(|t| t.discount.minor()).unwrap_or(0)
}

fn insert_order(db: &mut dyn Db, o: &Order, seq: i64) -> Result<()> {
    let customer = o.draft.customer.as_ref();
    db.execute(
        "INSERT INTO orders (id, seq, receipt, customer_name, customer_email, customer_phone, device_id, event_id, staff, created_at,
            currency, discount_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        params![
            o.id.to_string(),
            seq,
            o.receipt.as_str(),
            customer.and_then(|c| c.name.clone()),
            customer.and_then(|c| c.email.clone()),
            customer.and_then(|c| c.phone.clone()),
            o.context.device_id.to_string(),
            o.context.event_id.map(|e| e.to_string()),
            o.context.staff.as_str(),
            ms(o.created_at),
            o.currency().code(),
            discount_minor(o),
        ],
    )?;
    Ok(())
}

fn insert_transaction(db: &mut dyn Db, t: &Transaction, seq: i64) -> Result<()> {
    let (system, reference) = match &t.method {
        PaymentMethod::External { system, reference } => {
            (Some(system.as_str()), Some(reference.as_str()))
        }
        PaymentMethod::Cash
        | PaymentMethod::Card { .. }
        | PaymentMethod::MarkedPaid { .. }
        | PaymentMethod::CardOnFile { .. } => (None, None),
    };
    let (last4, approval_code) = match &t.method {
        PaymentMethod::Card {
            last4,
            approval_code,
        } => (last4.clone(), approval_code.clone()),
        PaymentMethod::CardOnFile { last4, .. } => (Some(last4.clone()), None),
        PaymentMethod::Cash | PaymentMethod::External { .. } | PaymentMethod::MarkedPaid { .. } => {
            (None, None)
        }
    };
    let customer = match &t.method {
        PaymentMethod::CardOnFile { customer, .. } => Some(customer.to_string()),
        PaymentMethod::Cash
        | PaymentMethod::Card { .. }
        | PaymentMethod::External { .. }
        | PaymentMethod::MarkedPaid { .. } => None,
    };
    db.execute(
        "INSERT INTO transactions (id, seq, kind, parent_id, parent_kind, root_id, order_id, amount_minor, currency, method,
            external_system, external_reference, result, created_at, expires_at, device_id, event_id, staff,
            card_last4, approval_code, customer_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        params![
            t.id.to_string(),
            seq,
            t.kind.as_str(),
            t.parent.map(|p| p.to_string()),
            t.parent_kind.map(|k| k.as_str()),
            t.root.to_string(),
            t.order_ids.first().map(|o| o.to_string()),
            t.amount.minor(),
            t.amount.currency().code(),
            t.method.name(),
            system,
            reference,
            t.result().as_str(),
            ms(t.created_at),
            t.expires_at.map(ms),
            t.context.device_id.to_string(),
            t.context.event_id.map(|e| e.to_string()),
            t.context.staff.as_str(),
            last4,
            approval_code,
            customer,
        ],
    )?;
    Ok(())
}

/// Sets a transaction's result to the newest of its result changes (which may have arrived
/// before it).
fn apply_latest_result(db: &mut dyn Db, tx_id: &str) -> Result<()> {
    db.execute(
        "UPDATE transactions SET result = (
             SELECT r.result FROM result_changes r WHERE r.transaction_id = $1 ORDER BY r.n DESC LIMIT 1)
         WHERE id = $1 AND EXISTS (SELECT 1 FROM result_changes r WHERE r.transaction_id = $1)",
        params![tx_id],
    )?;
    Ok(())
}

/// Children of `parent` of `kind` that still hold money (approved or pending, not voided):
/// id, amount, device.
fn live_children(db: &mut dyn Db, parent: &str, kind: &str) -> Result<Vec<(String, i64, String)>> {
    db.query(
        "SELECT c.id, c.amount_minor, c.device_id FROM transactions c
         WHERE c.parent_id = $1 AND c.kind = $2 AND c.result IN ('approved', 'unknown')
           AND c.voided = 0
         ORDER BY c.seq",
        params![parent, kind],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.int(1)?, r.text(2)?)))
    .collect()
}

fn sorted(mut devices: Vec<String>) -> Vec<String> {
    devices.sort();
    devices.dedup();
    devices
}

/// Refunds beyond a payment, or captures beyond an authorization, across devices.
fn over_limit(
    db: &mut dyn Db,
    parent: &str,
    child_kind: &str,
    newest: &str,
) -> Result<Option<Found>> {
    let Some(row) = query_one(
        db,
        "SELECT t.kind, t.amount_minor, t.currency, t.device_id, o.receipt
         FROM transactions t LEFT JOIN orders o ON o.id = t.order_id WHERE t.id = $1",
        params![parent],
    )?
    else {
        return Ok(None);
    };
    let (parent_kind, limit, currency, parent_device) =
        (row.text(0)?, row.int(1)?, row.text(2)?, row.text(3)?);
    // Named the way a manager finds it: by its receipt where the order is here.
    let parent_name = match row.opt_text(4)? {
        Some(receipt) => format!("{parent_kind} on receipt {receipt}"),
        None => format!("{parent_kind} {parent}"),
    };
    let children = live_children(db, parent, child_kind)?;
    let total: i64 = children.iter().map(|c| c.1).sum();
    if total <= limit {
        return Ok(None);
    }
    let currency =
        Currency::from_code(&currency).map_err(|e| StorageError::Backend(e.to_string()))?;
    let money = |m: i64| Money::from_minor(m, currency).to_string();
    let (kind, what) = match child_kind {
        "refund" => (ConflictKind::OverRefund, "refunds"),
        _ => (ConflictKind::OverCapture, "captures"),
    };
    let mut devices: Vec<String> = children.iter().map(|c| c.2.clone()).collect();
    devices.push(parent_device);
    Ok(Some(Found {
        kind,
        others: children
            .iter()
            .map(|c| c.0.clone())
            .filter(|id| id != newest)
            .collect(),
        devices: sorted(devices),
        reason: format!(
            "{what} of the {parent_name} add up to {}, more than its {}",
            money(total),
            money(limit)
        ),
    }))
}

/// The same external payment logged on two tills, both still holding it
/// (`fairtill_core::ledger::reference`).
fn duplicate_reference(db: &mut dyn Db, t: &Transaction) -> Result<Option<Found>> {
    /// The lookup, with the results that hold a reference taken from the rule.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let held = fairtill_core::filter::sql_names(HOLDING_RESULTS.iter().map(|r| r.as_str()));
        format!(
            "SELECT t.id, t.device_id FROM transactions t
             WHERE t.external_system = $1 AND t.external_reference = $2 AND t.parent_id IS NULL AND t.id <> $3
               AND t.result IN ({})
               AND t.voided = 0",
            held
        )
    });
    let Some(logged) = t.logged_reference() else {
        return Ok(None);
    };
    let others = db.query(
        &SQL,
        params![logged.system, logged.reference, t.id.to_string()],
    )?;
    if others.is_empty() {
        return Ok(None);
    }
    let mut devices = vec![t.context.device_id.to_string()];
    let mut ids = Vec::new();
    for r in &others {
        ids.push(r.text(0)?);
        devices.push(r.text(1)?);
    }
    Ok(Some(Found {
        kind: ConflictKind::DuplicateReference,
        others: ids,
        devices: sorted(devices),
        reason: logged.logged_twice(),
    }))
}

/// The cross-device rules a newly stored record may break.
fn conflicts_of(
    db: &mut dyn Db,
    device: &str,
    record: &Record,
    batch: &Batch,
) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    match record {
        Record::Transaction { transaction: t } => {
            let id = t.id.to_string();
            match (t.kind, t.parent) {
                (TxKind::Refund, Some(p)) => {
                    found.extend(over_limit(db, &p.to_string(), "refund", &id)?)
                }
                (TxKind::Capture, Some(p)) => {
                    found.extend(over_limit(db, &p.to_string(), "capture", &id)?)
                }
                _ => {}
            }
            // A payment or authorization that arrives after its refunds or captures.
            match t.kind {
                _ if !batch.with_children.contains(&id) => {}
                TxKind::Sale | TxKind::Capture => found.extend(over_limit(db, &id, "refund", &id)?),
                TxKind::Authorize => found.extend(over_limit(db, &id, "capture", &id)?),
                TxKind::Void | TxKind::Refund | TxKind::Credit => {}
            }
            found.extend(duplicate_reference(db, t)?);
        }
        Record::Offer { offer } => {
            let others = db.query(
                "SELECT id FROM offers WHERE lower(name) = lower($1) AND id <> $2 AND retired_at IS NULL",
                params![offer.name(), offer.id().to_string()],
            )?;
            if !others.is_empty() {
                found.push(Found {
                    kind: ConflictKind::OfferNameTaken,
                    others: others.iter().map(|r| r.text(0)).collect::<Result<_>>()?,
                    devices: vec![device.to_string()],
                    reason: format!("another offer is already named {:?}", offer.name()),
                });
            }
        }
        Record::Order { .. }
        | Record::ResultChange { .. }
        | Record::WriteOff { .. }
        | Record::OfferRetirement { .. }
        | Record::Product { .. }
        | Record::Event { .. }
        | Record::TillOpened { .. }
        | Record::TillClosed { .. }
        | Record::Customer { .. }
        | Record::CardSaved { .. }
        | Record::CardRemoved { .. }
        | Record::ReceiptEmail { .. } => {}
    }
    Ok(found)
}

/// Stores a record the server does not have yet, in the open transaction at position `seq`,
/// and fills the columns the manager's queries read.
fn insert_record(
    db: &mut dyn Db,
    device: Option<&str>,
    record: &Record,
    batch: &Batch,
    seq: i64,
    now: i64,
) -> Result<()> {
    let key = record.key();
    let record_type = type_name(key.record_type);
    let event = event_of(db, record)?;
    db.execute(
        "INSERT INTO records (seq, record_type, record_id, device_id, event_id, received_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![seq, record_type, key.id.as_str(), device, event, now, serde_json::to_string(record)?],
    )?;
    match record {
        Record::Order { order } => insert_order(db, order, seq)?,
        Record::Transaction { transaction } => {
            insert_transaction(db, transaction, seq)?;
            let id = transaction.id.to_string();
            if batch.with_changes.contains(&id) {
                apply_latest_result(db, &id)?;
            }
        }
        Record::ResultChange {
            transaction_id,
            n,
            change,
        } => {
            db.execute(
                "INSERT INTO result_changes (transaction_id, n, result, at) VALUES ($1, $2, $3, $4)",
                params![
                    transaction_id.to_string(),
                    i64::from(*n),
                    change.result.as_str(),
                    ms(change.at)
                ],
            )?;
            apply_latest_result(db, &transaction_id.to_string())?;
            // The processor's hold brings an authorization's expiry forward (rule 14).
            if let Some(hold) = change.expires_at {
                db.execute(
                    "UPDATE transactions SET expires_at = CASE
                         WHEN expires_at IS NULL OR expires_at > $2 THEN $2 ELSE expires_at END
                     WHERE id = $1",
                    params![transaction_id.to_string(), ms(hold)],
                )?;
            }
        }
        Record::Offer { offer } => {
            db.execute(
                "INSERT INTO offers (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                params![offer.id().to_string(), offer.name()],
            )?;
        }
        Record::OfferRetirement {
            offer_id,
            retired_at,
            ..
        } => {
            db.execute(
                "UPDATE offers SET retired_at = $1 WHERE id = $2",
                params![ms(*retired_at), offer_id.to_string()],
            )?;
        }
        Record::TillOpened {
            session_id,
            device_id,
            event_id,
            float,
            opened_at,
            opened_by,
        } => {
            db.execute(
                "INSERT INTO till_sessions (id, seq, device_id, event_id, currency, float_minor, opened_at, opened_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    session_id.to_string(),
                    seq,
                    device_id.to_string(),
                    event_id.map(|e| e.to_string()),
                    float.currency().code(),
                    float.minor(),
                    ms(*opened_at),
                    opened_by.as_str()
                ],
            )?;
        }
        Record::TillClosed {
            session_id,
            closed_at,
            closed_by,
            counted,
            expected,
            note,
        } => {
            db.execute(
                "INSERT INTO till_closes (session_id, seq, device_id, currency, closed_at, closed_by, counted_minor, expected_minor, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    session_id.to_string(),
                    seq,
                    device.unwrap_or_default(),
                    counted.currency().code(),
                    ms(*closed_at),
                    closed_by.as_str(),
                    counted.minor(),
                    expected.minor(),
                    note.clone()
                ],
            )?;
        }
        Record::Customer { customer } => super::payments::store_customer(db, customer)?,
        Record::CardSaved { card } => super::payments::store_card(db, card)?,
        Record::CardRemoved {
            card_id,
            removed_at,
            ..
        } => {
            db.execute(
                "UPDATE saved_cards SET removed_at = $1 WHERE id = $2",
                params![ms(*removed_at), card_id.as_str()],
            )?;
        }
        Record::ReceiptEmail { request } => {
            super::notifications::requested_receipt(db, request, batch.receipts.as_ref(), now)?;
        }
        Record::WriteOff { .. } | Record::Product { .. } | Record::Event { .. } => {}
    }
    if let Record::Transaction { transaction } = record {
        super::payments::queue_job(db, transaction, now)?;
    }
    super::webhooks::record_stored(db, &batch.subscribers, record, super::time(now)?)?;
    Ok(())
}

/// Stores a record the server itself made (a manager's correction), at the next position, in
/// the open transaction; call it under the push lock.
pub(crate) fn store_server_record(db: &mut dyn Db, record: &Record, now: Timestamp) -> Result<()> {
    let seq = next_seq(db)?;
    let batch = Batch {
        subscribers: Subscribers::load(db)?,
        ..Batch::default()
    };
    insert_record(db, None, record, &batch, seq, ms(now))
}

/// What the records of one batch need to know about each other and about what is stored,
/// found with a few queries up front instead of several per record.
#[derive(Default)]
struct Batch {
    /// Keys the server has (before the batch, and stored so far in it).
    known: HashSet<RecordKey>,
    /// Transactions with result changes stored (which may arrive before their transaction).
    with_changes: HashSet<String>,
    /// Payments and authorizations with refunds, captures or voids stored (which may arrive
    /// before their parent).
    with_children: HashSet<String>,
    /// Transactions the processor decides (paid with a card on file), among those the batch's
    /// result changes name and those stored so far in it.
    processor_txs: HashSet<String>,
    /// The webhook endpoints and the events they receive.
    subscribers: Subscribers,
    /// How this server renders a receipt a till asked to email.
    receipts: Option<super::ReceiptRenderer>,
}

/// The values among `ids` that `select` finds. `select` has `{ids}` where the `IN` list goes,
/// numbered after the `leading` parameters. Lists go 512 at a time, padded to a power of two
/// (repeating an id), so a handful of statement texts serve every batch size.
fn found_among(
    db: &mut dyn Db,
    select: &str,
    leading: &[Param],
    ids: &[String],
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(512) {
        let width = chunk.len().next_power_of_two();
        let mut params = leading.to_vec();
        params.extend(chunk.iter().map(Param::from));
        if let Some(last) = chunk.last() {
            params.resize(leading.len() + width, Param::from(last));
        }
        let marks: Vec<String> = (leading.len() + 1..=leading.len() + width)
            .map(|i| format!("${i}"))
            .collect();
        for row in db.query_planned(&select.replace("{ids}", &marks.join(", ")), &params)? {
            found.insert(row.text(0)?);
        }
    }
    Ok(found)
}

impl Batch {
    fn new(db: &mut dyn Db, records: &[Record]) -> Result<Batch> {
        let mut by_type: BTreeMap<RecordType, Vec<String>> = BTreeMap::new();
        for r in records {
            let key = r.key();
            by_type.entry(key.record_type).or_default().push(key.id);
        }
        let mut known = HashSet::new();
        for (record_type, ids) in &by_type {
            let found = found_among(
                db,
                "SELECT record_id FROM records WHERE record_type = $1 AND record_id IN ({ids})",
                &[type_name(*record_type).into()],
                ids,
            )?;
            known.extend(found.into_iter().map(|id| RecordKey {
                record_type: *record_type,
                id,
            }));
        }
        let changed: Vec<String> = records
            .iter()
            .filter_map(|r| match r {
                Record::ResultChange { transaction_id, .. } => Some(transaction_id.to_string()),
                _ => None,
            })
            .collect();
        let processor_txs = found_among(
            db,
            "SELECT id FROM transactions WHERE method = 'card_on_file' AND id IN ({ids})",
            &[],
            &changed,
        )?;
        // Only new transactions can need the checks below (a re-push skips them).
        let new: Vec<String> = by_type
            .remove(&RecordType::Transaction)
            .unwrap_or_default()
            .into_iter()
            .filter(|id| {
                !known.contains(&RecordKey {
                    record_type: RecordType::Transaction,
                    id: id.clone(),
                })
            })
            .collect();
        Ok(Batch {
            with_changes: found_among(
                db,
                "SELECT DISTINCT transaction_id FROM result_changes WHERE transaction_id IN ({ids})",
                &[],
                &new,
            )?,
            with_children: found_among(
                db,
                "SELECT DISTINCT parent_id FROM transactions WHERE parent_id IN ({ids})",
                &[],
                &new,
            )?,
            known,
            processor_txs,
            subscribers: Subscribers::load(db)?,
            receipts: None,
        })
    }
}

/// The next free record position (call under the push lock).
pub(crate) fn next_seq(db: &mut dyn Db) -> Result<i64> {
    Ok(
        query_one(db, "SELECT coalesce(max(seq), 0) + 1 FROM records", &[])?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(1),
    )
}

/// Stores a record that changes after it is made (an event or a product made at a till): the
/// first version is inserted; a later one replaces the stored one when `replaces(maker,
/// stored body)` says so, and is otherwise answered "already had" (the server's version stays).
fn store_changeable(
    db: &mut dyn Db,
    device: &str,
    record: &Record,
    batch: &mut Batch,
    seq: &mut i64,
    now: i64,
    replaces: impl FnOnce(Option<&str>, &str) -> Result<bool>,
) -> Result<PushOutcome> {
    if let Err(reason) = record.validate() {
        return Ok(PushOutcome::Invalid { reason });
    }
    let key = record.key();
    let record_type = type_name(key.record_type);
    let body = serde_json::to_string(record)?;
    let had = query_one(
        db,
        "SELECT device_id, body FROM records WHERE record_type = $1 AND record_id = $2",
        params![record_type, key.id.as_str()],
    )?;
    match had {
        None => {
            insert_record(db, Some(device), record, batch, *seq, now)?;
            batch.known.insert(key);
        }
        Some(row) => {
            let (maker, stored) = (row.opt_text(0)?, row.text(1)?);
            if stored == body || !replaces(maker.as_deref(), &stored)? {
                return Ok(PushOutcome::AlreadyHad);
            }
            db.execute(
                "UPDATE records SET seq = $1, body = $2, received_at = $3, device_id = $4 WHERE record_type = $5 AND record_id = $6",
                params![*seq, body, now, device, record_type, key.id.as_str()],
            )?;
        }
    }
    *seq += 1;
    Ok(PushOutcome::Stored)
}

/// An event made on a till: the server keeps the first version it has (a manager's, or the
/// till's that made it), except that the till that made an event may change it; every till
/// pulls it, so any till can sell at it.
fn store_event(
    db: &mut dyn Db,
    device: &str,
    record: &Record,
    batch: &mut Batch,
    seq: &mut i64,
    now: i64,
) -> Result<PushOutcome> {
    store_changeable(db, device, record, batch, seq, now, |maker, _| {
        Ok(maker == Some(device))
    })
}

/// A product made or changed at a till (docs/domain.md, "Offers and the catalog"): kept when
/// the server has no version of it, or when the till changed the very version the server has
/// (one more); otherwise someone changed it since (a manager's publish, another till), the
/// server's version stays, and the till gets it back when it pulls.
fn store_product(
    db: &mut dyn Db,
    device: &str,
    record: &Record,
    batch: &mut Batch,
    seq: &mut i64,
    now: i64,
) -> Result<PushOutcome> {
    let Record::Product { product } = record else {
        return Ok(PushOutcome::Invalid {
            reason: "not a product".into(),
        });
    };
    store_changeable(db, device, record, batch, seq, now, |_, stored| {
        let server_version = match serde_json::from_str::<Record>(stored)? {
            Record::Product { product } => product.version,
            _ => 0,
        };
        let kept = product.version == server_version.saturating_add(1);
        if !kept {
            tracing::info!(
                sku = %product.sku,
                till_version = product.version,
                server_version,
                "a till changed an older version of a product: the server's version stays"
            );
        }
        Ok(kept)
    })
}

/// Stores one pushed record and says what happened.
fn store_one(
    db: &mut dyn Db,
    device: &str,
    record: &Record,
    batch: &mut Batch,
    seq: &mut i64,
    now: i64,
) -> Result<PushOutcome> {
    let made_by = match record {
        Record::Product { .. } => return store_product(db, device, record, batch, seq, now),
        Record::Event { .. } => return store_event(db, device, record, batch, seq, now),
        Record::Order { order } => Some(order.context.device_id),
        Record::Transaction { transaction } => Some(transaction.context.device_id),
        Record::WriteOff { write_off } => Some(write_off.context.device_id),
        Record::TillOpened { device_id, .. } => Some(*device_id),
        Record::TillClosed { session_id, .. } => query_one(
            db,
            "SELECT device_id FROM till_sessions WHERE id = $1",
            params![session_id.to_string()],
        )?
        .map(|r| r.text(0))
        .transpose()?
        .and_then(|d| d.parse().ok()),
        Record::CardSaved { .. } | Record::CardRemoved { .. } => {
            return Ok(PushOutcome::Invalid {
                reason: "cards are saved by the server, through the card processor's form".into(),
            })
        }
        Record::Customer { customer } => Some(customer.device_id),
        Record::ReceiptEmail { request } => Some(request.device_id),
        Record::ResultChange { transaction_id, .. } => {
            if batch.processor_txs.contains(&transaction_id.to_string()) {
                return Ok(PushOutcome::Invalid {
                    reason: "the card processor decides this transaction's result; \
                             the server records its answer"
                        .into(),
                });
            }
            None
        }
        Record::Offer { .. } | Record::OfferRetirement { .. } => None,
    };
    if let Some(other) = made_by.map(|d| d.to_string()).filter(|d| d != device) {
        return Ok(PushOutcome::Invalid {
            reason: format!(
                "this record was made on device {other}; a device pushes only its own records"
            ),
        });
    }
    let key = record.key();
    if batch.known.contains(&key) {
        return Ok(PushOutcome::AlreadyHad);
    }
    if let Err(reason) = record.validate() {
        return Ok(PushOutcome::Invalid { reason });
    }
    insert_record(db, Some(device), record, batch, *seq, now)?;
    batch.known.insert(key.clone());
    match record {
        Record::Transaction { transaction } => {
            if let Some(parent) = transaction.parent {
                batch.with_children.insert(parent.to_string());
            }
            if transaction.method.is_processor() {
                batch.processor_txs.insert(transaction.id.to_string());
            }
        }
        Record::ResultChange { transaction_id, .. } => {
            batch.with_changes.insert(transaction_id.to_string());
        }
        _ => {}
    }
    *seq += 1;
    let conflicts = conflicts_of(db, device, record, batch)?;
    let Some(first) = conflicts.first() else {
        return Ok(PushOutcome::Stored);
    };
    let mut first_id = None;
    for c in &conflicts {
        let id = Uuid::now_v7();
        first_id.get_or_insert(id);
        db.execute(
            "INSERT INTO conflicts (id, kind, record_type, record_id, others, reason, device_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            params![
                id.to_string(),
                c.kind.as_str(),
                type_name(key.record_type),
                key.id.as_str(),
                serde_json::to_string(&c.others)?,
                c.reason.as_str(),
                device,
                now,
            ],
        )?;
        for d in &c.devices {
            db.execute(
                "INSERT INTO conflict_devices (conflict_id, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                params![id.to_string(), d.as_str()],
            )?;
        }
        let data = serde_json::json!({
            "id": id,
            "kind": c.kind.as_str(),
            "record_type": type_name(key.record_type),
            "record_id": key.id,
            "others": c.others,
            "reason": c.reason,
            "device_id": device,
        });
        super::webhooks::emit(
            db,
            &batch.subscribers,
            WebhookEvent::ConflictRaised,
            &id.to_string(),
            data,
            super::time(now)?,
        )?;
    }
    Ok(PushOutcome::StoredWithConflict {
        conflict_id: first_id.unwrap_or_else(Uuid::now_v7),
        reason: first.reason.clone(),
    })
}

impl Storage {
    /// Stores a batch: each record once by key, invalid ones refused, rules across devices
    /// raised as conflicts. One result per record, in order.
    pub async fn push(
        &self,
        device: DeviceId,
        records: Vec<Record>,
        now: Timestamp,
    ) -> Result<Vec<PushResult>> {
        let receipts = self.receipts.clone();
        self.transact_push(move |db| {
            db.lock_pushes()?;
            let device_id = device.to_string();
            let mut seq = next_seq(db)?;
            let mut batch = Batch::new(db, &records)?;
            batch.receipts = receipts;
            let mut results = Vec::with_capacity(records.len());
            for record in &records {
                let outcome = store_one(db, &device_id, record, &mut batch, &mut seq, ms(now))?;
                results.push(PushResult {
                    key: record.key(),
                    outcome,
                });
            }
            db.execute(
                "UPDATE devices SET last_push_at = $1 WHERE id = $2",
                params![ms(now), &device_id],
            )?;
            Ok(results)
        })
        .await
    }
}
