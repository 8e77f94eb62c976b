//! The embedded backend: one SQLite file, one writer connection. Pushes run one at a time,
//! so `seq` follows commit order and the cross-device rules see every earlier record.

use std::path::Path;
use std::sync::{Arc, Mutex};

use fairtill_core::ids::{DeviceId, EventId};
use fairtill_core::ledger::{PaymentMethod, Transaction, TxKind};
use fairtill_core::money::{Currency, Money};
use fairtill_core::Timestamp;
use fairtill_protocol::{DeviceStatus, PushOutcome, PushResult, Record};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use uuid::Uuid;

use super::{Device, PullPage, Result, Storage, StorageError};

const MIGRATIONS: &[&str] = &[include_str!(
    "../../../../migrations/server/sqlite/0001_init.sql"
)];

/// The embedded SQLite backend.
#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn time(v: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(v).map_err(|e| StorageError::Backend(e.to_string()))
}

impl SqliteStorage {
    /// Opens (creating and migrating) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations
            .to_latest(&mut conn)
            .map_err(|e| StorageError::Backend(format!("could not upgrade the database: {e}")))?;
        Ok(SqliteStorage {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StorageError::Backend("the database lock was poisoned".into()))?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Backend(e.to_string()))?
    }
}

/// A device row: id, name, code, enrolled, revoked, last push.
type DeviceRow = (String, String, String, i64, Option<i64>, Option<i64>);

fn read_device(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_device(row: DeviceRow) -> Result<Device> {
    let (id, name, code, enrolled, revoked, last_push) = row;
    Ok(Device {
        id: id
            .parse()
            .map_err(|_| StorageError::Backend(format!("device id {id:?}")))?,
        name,
        code,
        enrolled_at: time(enrolled)?,
        revoked_at: revoked.map(time).transpose()?,
        last_push_at: last_push.map(time).transpose()?,
    })
}

const DEVICE_COLUMNS: &str = "id, name, code, enrolled_at, revoked_at, last_push_at";

/// The event a record belongs to, for pulls by event.
fn event_of(db: &Connection, record: &Record) -> Result<Option<String>> {
    let id = |e: Option<EventId>| e.map(|e| e.to_string());
    Ok(match record {
        Record::Order { order } => id(order.context.event_id),
        Record::Transaction { transaction } => id(transaction.context.event_id),
        Record::WriteOff { write_off } => id(write_off.context.event_id),
        Record::ResultChange { transaction_id, .. } => db
            .query_row(
                "SELECT event_id FROM transactions WHERE id = ?1",
                [transaction_id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .flatten(),
        Record::Offer { .. }
        | Record::OfferRetirement { .. }
        | Record::Product { .. }
        | Record::Event { .. } => None,
    })
}

fn insert_transaction(db: &Connection, t: &Transaction, seq: i64) -> Result<()> {
    let (system, reference) = match &t.method {
        PaymentMethod::External { system, reference } => {
            (Some(system.as_str()), Some(reference.as_str()))
        }
        PaymentMethod::Cash | PaymentMethod::Card { .. } | PaymentMethod::MarkedPaid { .. } => {
            (None, None)
        }
    };
    db.execute(
        "INSERT INTO transactions (id, seq, kind, parent_id, root_id, order_id, amount_minor, currency, method,
            external_system, external_reference, result, created_at, device_id, event_id, staff)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            t.id.to_string(),
            seq,
            t.kind.as_str(),
            t.parent.map(|p| p.to_string()),
            t.root.to_string(),
            t.order_ids.first().map(|o| o.to_string()),
            t.amount.minor(),
            t.amount.currency().code(),
            t.method.name(),
            system,
            reference,
            t.result().as_str(),
            ms(t.created_at),
            t.context.device_id.to_string(),
            t.context.event_id.map(|e| e.to_string()),
            t.context.staff,
        ],
    )?;
    Ok(())
}

/// The newest result of a transaction from its result changes that arrived (maybe before it).
fn apply_latest_result(db: &Connection, tx_id: &str) -> Result<()> {
    let latest: Option<String> = db
        .query_row(
            "SELECT json_extract(body, '$.change.result') FROM records
             WHERE record_type = 'result_change' AND record_id >= ?1 || '#' AND record_id < ?1 || '$'
             ORDER BY CAST(substr(record_id, 38) AS INTEGER) DESC LIMIT 1",
            [tx_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(result) = latest {
        db.execute(
            "UPDATE transactions SET result = ?2 WHERE id = ?1",
            params![tx_id, result],
        )?;
    }
    Ok(())
}

struct Conflict {
    kind: &'static str,
    others: Vec<String>,
    devices: Vec<String>,
    reason: String,
}

/// Children of `parent` of `kind` that still hold money (approved or pending, not voided).
fn live_children(db: &Connection, parent: &str, kind: &str) -> Result<Vec<(String, i64, String)>> {
    let mut stmt = db.prepare_cached(
        "SELECT c.id, c.amount_minor, c.device_id FROM transactions c
         WHERE c.parent_id = ?1 AND c.kind = ?2 AND c.result IN ('approved', 'unknown')
           AND NOT EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = c.id AND v.kind = 'void' AND v.result = 'approved')
         ORDER BY c.seq",
    )?;
    let rows = stmt.query_map(params![parent, kind], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Refunds beyond a payment, or captures beyond an authorization, across devices.
fn over_limit(
    db: &Connection,
    parent: &str,
    child_kind: &str,
    newest: &str,
) -> Result<Option<Conflict>> {
    let row: Option<(String, i64, String, String)> = db
        .query_row(
            "SELECT kind, amount_minor, currency, device_id FROM transactions WHERE id = ?1",
            [parent],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((parent_kind, limit, currency, parent_device)) = row else {
        return Ok(None);
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
        "refund" => ("over_refund", "refunds"),
        _ => ("over_capture", "captures"),
    };
    let mut devices: Vec<String> = children.iter().map(|c| c.2.clone()).collect();
    devices.push(parent_device);
    devices.sort();
    devices.dedup();
    Ok(Some(Conflict {
        kind,
        others: children
            .iter()
            .map(|c| c.0.clone())
            .filter(|id| id != newest)
            .collect(),
        devices,
        reason: format!(
            "{what} of {parent_kind} {parent} add up to {}, more than its {}",
            money(total),
            money(limit)
        ),
    }))
}

/// The cross-device rules a newly stored record may break.
fn conflicts_of(db: &Connection, record: &Record) -> Result<Vec<Conflict>> {
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
                TxKind::Sale | TxKind::Capture => found.extend(over_limit(db, &id, "refund", &id)?),
                TxKind::Authorize => found.extend(over_limit(db, &id, "capture", &id)?),
                TxKind::Void | TxKind::Refund | TxKind::Credit => {}
            }
            if let (
                TxKind::Sale | TxKind::Authorize,
                PaymentMethod::External { system, reference },
            ) = (t.kind, &t.method)
            {
                let mut stmt = db.prepare_cached(
                    "SELECT t.id, t.device_id FROM transactions t
                     WHERE t.external_system = ?1 AND t.external_reference = ?2 AND t.parent_id IS NULL AND t.id <> ?3
                       AND t.result IN ('approved', 'unknown')
                       AND NOT EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = t.id AND v.kind = 'void' AND v.result = 'approved')",
                )?;
                let others: Vec<(String, String)> = stmt
                    .query_map(params![system, reference, id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                if !others.is_empty() {
                    let mut devices: Vec<String> = others.iter().map(|o| o.1.clone()).collect();
                    devices.push(t.context.device_id.to_string());
                    devices.sort();
                    devices.dedup();
                    found.push(Conflict {
                        kind: "duplicate_reference",
                        others: others.into_iter().map(|o| o.0).collect(),
                        devices,
                        reason: format!("{system} payment {reference} was logged more than once"),
                    });
                }
            }
        }
        Record::Offer { offer } => {
            let others: Vec<String> = db
                .prepare_cached("SELECT id FROM offers WHERE lower(name) = lower(?1) AND id <> ?2 AND retired_at IS NULL")?
                .query_map(params![offer.name(), offer.id().to_string()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if !others.is_empty() {
                found.push(Conflict {
                    kind: "offer_name_taken",
                    others,
                    devices: vec![],
                    reason: format!("another offer is already named {:?}", offer.name()),
                });
            }
        }
        Record::Order { .. }
        | Record::ResultChange { .. }
        | Record::WriteOff { .. }
        | Record::OfferRetirement { .. }
        | Record::Product { .. }
        | Record::Event { .. } => {}
    }
    Ok(found)
}

/// Stores one record in the open transaction and says what happened.
fn store_one(db: &Connection, device: &str, record: &Record, now: i64) -> Result<PushOutcome> {
    if let Err(reason) = record.validate() {
        return Ok(PushOutcome::Invalid { reason });
    }
    if let Record::Product { .. } | Record::Event { .. } = record {
        return Ok(PushOutcome::Invalid {
            reason: "products and events come from the server, not from devices".into(),
        });
    }
    let key = record.key();
    let record_type = serde_json::to_value(key.record_type)?
        .as_str()
        .unwrap_or_default()
        .to_string();
    let had: Option<i64> = db
        .prepare_cached("SELECT seq FROM records WHERE record_type = ?1 AND record_id = ?2")?
        .query_row(params![record_type, key.id], |r| r.get(0))
        .optional()?;
    if had.is_some() {
        return Ok(PushOutcome::AlreadyHad);
    }
    let seq: i64 = db.query_row("SELECT coalesce(max(seq), 0) + 1 FROM records", [], |r| {
        r.get(0)
    })?;
    let event = event_of(db, record)?;
    db.prepare_cached(
        "INSERT INTO records (seq, record_type, record_id, device_id, event_id, received_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![seq, record_type, key.id, device, event, now, serde_json::to_string(record)?])?;
    match record {
        Record::Transaction { transaction } => {
            insert_transaction(db, transaction, seq)?;
            apply_latest_result(db, &transaction.id.to_string())?;
        }
        Record::ResultChange { transaction_id, .. } => {
            apply_latest_result(db, &transaction_id.to_string())?
        }
        Record::Offer { offer } => {
            db.execute(
                "INSERT INTO offers (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                params![offer.id().to_string(), offer.name()],
            )?;
        }
        Record::OfferRetirement {
            offer_id,
            retired_at,
            ..
        } => {
            db.execute(
                "UPDATE offers SET retired_at = ?2 WHERE id = ?1",
                params![offer_id.to_string(), ms(*retired_at)],
            )?;
        }
        Record::Order { .. }
        | Record::WriteOff { .. }
        | Record::Product { .. }
        | Record::Event { .. } => {}
    }
    let conflicts = conflicts_of(db, record)?;
    let Some(first) = conflicts.first() else {
        return Ok(PushOutcome::Stored);
    };
    let mut first_id = None;
    for c in &conflicts {
        let id = Uuid::now_v7();
        first_id.get_or_insert(id);
        db.execute(
            "INSERT INTO conflicts (id, kind, record_type, record_id, others, reason, device_id, devices, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id.to_string(),
                c.kind,
                record_type,
                key.id,
                serde_json::to_string(&c.others)?,
                c.reason,
                device,
                serde_json::to_string(&c.devices)?,
                now,
            ],
        )?;
    }
    Ok(PushOutcome::StoredWithConflict {
        conflict_id: first_id.unwrap_or_else(Uuid::now_v7),
        reason: first.reason.clone(),
    })
}

impl Storage for SqliteStorage {
    async fn add_enrollment(
        &self,
        name: String,
        code_hash: String,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.run(move |db| {
            db.execute(
                "INSERT INTO enrollments (code_hash, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![code_hash, name, ms(now), ms(expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll(
        &self,
        code_hash: String,
        device_id: DeviceId,
        device_code: String,
        token_hash: String,
        now: Timestamp,
    ) -> Result<Device> {
        self.run(move |db| {
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found: Option<(String, i64, Option<i64>)> = tx
                .query_row("SELECT name, expires_at, used_at FROM enrollments WHERE code_hash = ?1", [&code_hash], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let (name, expires_at, used_at) = found.ok_or(StorageError::UnknownCode)?;
            if used_at.is_some() {
                return Err(StorageError::CodeUsed);
            }
            if ms(now) >= expires_at {
                return Err(StorageError::CodeExpired);
            }
            let existing: Option<(String, Option<i64>)> = tx
                .query_row("SELECT name, revoked_at FROM devices WHERE id = ?1", [device_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match existing {
                Some((old, None)) => return Err(StorageError::AlreadyEnrolled(old)),
                Some((_, Some(_))) => {
                    tx.execute(
                        "UPDATE devices SET name = ?2, code = ?3, token_hash = ?4, enrolled_at = ?5, revoked_at = NULL WHERE id = ?1",
                        params![device_id.to_string(), name, device_code, token_hash, ms(now)],
                    )?;
                }
                None => {
                    tx.execute(
                        "INSERT INTO devices (id, name, code, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![device_id.to_string(), name, device_code, token_hash, ms(now)],
                    )?;
                }
            }
            tx.execute(
                "UPDATE enrollments SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                params![code_hash, ms(now), device_id.to_string()],
            )?;
            let device = tx.query_row(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"), [device_id.to_string()], read_device)?;
            tx.commit()?;
            to_device(device)
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        self.run(|db| {
            let mut stmt = db.prepare(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at"
            ))?;
            let rows = stmt
                .query_map([], read_device)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(to_device).collect()
        })
        .await
    }

    async fn revoke(&self, device: DeviceId, now: Timestamp) -> Result<bool> {
        self.run(move |db| {
            let exists: Option<Option<i64>> = db
                .query_row(
                    "SELECT revoked_at FROM devices WHERE id = ?1",
                    [device.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            match exists {
                None => Err(StorageError::UnknownDevice(device.to_string())),
                Some(Some(_)) => Ok(false),
                Some(None) => {
                    db.execute(
                        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1",
                        params![device.to_string(), ms(now)],
                    )?;
                    Ok(true)
                }
            }
        })
        .await
    }

    async fn authenticate(&self, token_hash: String) -> Result<Option<Device>> {
        self.run(move |db| {
            let row = db
                .query_row(
                    &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL"),
                    [token_hash],
                    read_device,
                )
                .optional()?;
            row.map(to_device).transpose()
        })
        .await
    }

    async fn push(
        &self,
        device: DeviceId,
        records: Vec<Record>,
        now: Timestamp,
    ) -> Result<Vec<PushResult>> {
        self.run(move |db| {
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let device_id = device.to_string();
            let mut results = Vec::with_capacity(records.len());
            for record in &records {
                let outcome = store_one(&tx, &device_id, record, ms(now))?;
                results.push(PushResult {
                    key: record.key(),
                    outcome,
                });
            }
            tx.execute(
                "UPDATE devices SET last_push_at = ?2 WHERE id = ?1",
                params![device_id, ms(now)],
            )?;
            tx.commit()?;
            Ok(results)
        })
        .await
    }

    async fn pull(
        &self,
        device: DeviceId,
        event: Option<EventId>,
        after: i64,
        limit: u32,
    ) -> Result<PullPage> {
        self.run(move |db| {
            let limit = limit.clamp(1, 1000);
            let mut stmt = db.prepare_cached(
                "SELECT seq, body FROM records
                 WHERE seq > ?1 AND (device_id IS NULL OR device_id <> ?2)
                   AND (record_type IN ('offer', 'offer_retirement', 'product', 'event') OR (?3 IS NOT NULL AND event_id = ?3))
                 ORDER BY seq LIMIT ?4",
            )?;
            let rows: Vec<(i64, String)> = stmt
                .query_map(params![after, device.to_string(), event.map(|e| e.to_string()), i64::from(limit) + 1], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let more = rows.len() > limit as usize;
            let mut records = Vec::new();
            let mut last_seq = after;
            for (seq, body) in rows.into_iter().take(limit as usize) {
                records.push(serde_json::from_str(&body)?);
                last_seq = seq;
            }
            Ok(PullPage { records, last_seq, more })
        })
        .await
    }

    async fn status(&self, device: DeviceId) -> Result<DeviceStatus> {
        self.run(move |db| {
            let id = device.to_string();
            let (name, last_push): (String, Option<i64>) = db
                .query_row("SELECT name, last_push_at FROM devices WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| StorageError::UnknownDevice(id.clone()))?;
            let open: i64 = db.query_row(
                "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL
                   AND (device_id = ?1 OR EXISTS (SELECT 1 FROM json_each(devices) WHERE value = ?1))",
                [&id],
                |r| r.get(0),
            )?;
            Ok(DeviceStatus {
                device_id: device,
                name,
                last_push_at: last_push.map(time).transpose()?,
                open_conflicts: u32::try_from(open).unwrap_or(u32::MAX),
            })
        })
        .await
    }
}
