//! Managers: accounts (argon2 password hashes, made by the caller), sign-in tokens, the
//! conflict queue with both sides, and the append-only audit log.

use fairtill_core::event::SaleContext;
use fairtill_core::ids::{DeviceId, TxId};
use fairtill_core::ledger::{Command, Fact, Stamp};
use fairtill_core::Timestamp;
use fairtill_protocol::{ConflictKind, Record, SERVER_DEVICE};
use serde::Serialize;
use uuid::Uuid;

use super::{ms, query_one, AuditEntry, Conflict, Db, Result, Row, Storage, StorageError};
use crate::params;

/// A manager account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Manager {
    /// Sign-in name.
    pub name: String,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// Which conflicts to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConflictFilter {
    /// Resolved ones too.
    pub include_resolved: bool,
    /// Only those involving this device.
    pub device_id: Option<DeviceId>,
}

/// Appends to the audit log in the open transaction.
pub(crate) fn audit(
    db: &mut dyn Db,
    now: Timestamp,
    actor: &str,
    action: &str,
    subject: &str,
    note: Option<&str>,
) -> Result<()> {
    db.execute(
        "INSERT INTO audit_log (id, at, actor, action, subject, note) VALUES ($1, $2, $3, $4, $5, $6)",
        params![Uuid::now_v7().to_string(), ms(now), actor, action, subject, note],
    )?;
    Ok(())
}

fn record_bodies(db: &mut dyn Db, record_type: &str, ids: &[String]) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(r) = query_one(
            db,
            "SELECT body FROM records WHERE record_type = $1 AND record_id = $2",
            params![record_type, id.as_str()],
        )? {
            out.push(serde_json::from_str(&r.text(0)?)?);
        }
    }
    Ok(out)
}

const CONFLICT_COLUMNS: &str =
    "c.id, c.kind, c.reason, c.record_type, c.record_id, c.others, c.created_at, c.resolved_at, c.resolved_by, c.note";

fn to_conflict(db: &mut dyn Db, r: &Row) -> Result<Conflict> {
    let id = r.text(0)?;
    let record_type = r.text(3)?;
    let others: Vec<String> = serde_json::from_str(&r.text(5)?)?;
    let devices = db
        .query(
            "SELECT device_id FROM conflict_devices WHERE conflict_id = $1 ORDER BY device_id",
            params![id.as_str()],
        )?
        .iter()
        .map(|d| d.text(0))
        .collect::<Result<_>>()?;
    Ok(Conflict {
        id: id
            .parse()
            .map_err(|_| StorageError::Backend(format!("conflict id {id:?}")))?,
        kind: {
            let name = r.text(1)?;
            ConflictKind::parse(&name)
                .ok_or_else(|| StorageError::Backend(format!("unknown conflict kind {name:?}")))?
        },
        reason: r.text(2)?,
        record: record_bodies(db, &record_type, &[r.text(4)?])?
            .into_iter()
            .next(),
        others: record_bodies(db, &record_type, &others)?,
        devices,
        created_at: r.time(6)?,
        resolved_at: r.opt_time(7)?,
        resolved_by: r.opt_text(8)?,
        note: r.opt_text(9)?,
    })
}

/// Records a void of `target`, one of conflict `key`'s transactions, as the manager's
/// correction (under the push lock, in the open transaction).
fn record_correction(
    db: &mut dyn Db,
    key: &str,
    target: TxId,
    manager: &str,
    note: &str,
    now: Timestamp,
) -> Result<()> {
    let row = query_one(
        db,
        "SELECT record_type, record_id, others, resolved_by FROM conflicts WHERE id = $1",
        params![key],
    )?
    .ok_or_else(|| StorageError::UnknownConflict(key.to_string()))?;
    if let Some(by) = row.opt_text(3)? {
        return Err(StorageError::AlreadyResolved(by));
    }
    let others: Vec<String> = serde_json::from_str(&row.text(2)?)?;
    let target_text = target.to_string();
    if row.text(0)? != "transaction"
        || (row.text(1)? != target_text && !others.contains(&target_text))
    {
        return Err(StorageError::Invalid(format!(
            "transaction {target} is not one of this conflict's; void only one of its sides"
        )));
    }
    db.lock_pushes()?;
    let (orders, roots) = super::orders::chain_of(db, &target_text)?;
    let (mut ledger, _) = super::orders::replay(db, &orders, &roots)?;
    let event_id = ledger.transaction(target).and_then(|t| t.context.event_id);
    let stamp = Stamp {
        id: Uuid::now_v7(),
        at: now,
        context: SaleContext {
            device_id: SERVER_DEVICE,
            event_id,
            staff: format!("{manager} (manager)"),
        },
    };
    let facts = ledger
        .execute(
            &Command::Void {
                target,
                reason: Some(note.to_string()),
            },
            &stamp,
        )
        .map_err(|e| StorageError::Invalid(format!("the correction cannot be recorded: {e}")))?;
    for fact in facts {
        if let Fact::Recorded { tx } = fact {
            let void_id = tx.id;
            super::push::store_server_record(db, &Record::Transaction { transaction: tx }, now)?;
            audit(
                db,
                now,
                manager,
                "record_correction",
                &void_id.to_string(),
                Some(&format!(
                    "void of {target} resolving conflict {key}: {note}"
                )),
            )?;
        }
    }
    Ok(())
}

impl Storage {
    /// Adds a manager with an argon2 password hash.
    pub async fn add_manager(
        &self,
        name: String,
        password_hash: String,
        now: Timestamp,
    ) -> Result<Manager> {
        self.transact(move |db| {
            if query_one(
                db,
                "SELECT name FROM managers WHERE name = $1",
                params![&name],
            )?
            .is_some()
            {
                return Err(StorageError::ManagerExists(name));
            }
            db.execute(
                "INSERT INTO managers (name, password_hash, created_at) VALUES ($1, $2, $3)",
                params![&name, password_hash, ms(now)],
            )?;
            audit(db, now, "server console", "add_manager", &name, None)?;
            Ok(Manager {
                name,
                created_at: now,
            })
        })
        .await
    }

    /// Every manager.
    pub async fn managers(&self) -> Result<Vec<Manager>> {
        self.transact(|db| {
            db.query("SELECT name, created_at FROM managers ORDER BY name", &[])?
                .iter()
                .map(|r| {
                    Ok(Manager {
                        name: r.text(0)?,
                        created_at: r.time(1)?,
                    })
                })
                .collect()
        })
        .await
    }

    /// A manager's argon2 password hash, to check a sign-in against.
    pub async fn manager_password_hash(&self, name: String) -> Result<Option<String>> {
        self.transact(move |db| {
            query_one(
                db,
                "SELECT password_hash FROM managers WHERE name = $1",
                params![name],
            )?
            .map(|r| r.text(0))
            .transpose()
        })
        .await
    }

    /// The manager a token belongs to, if it has not expired.
    pub async fn authenticate_manager(
        &self,
        token_hash: String,
        now: Timestamp,
    ) -> Result<Option<String>> {
        self.transact(move |db| {
            query_one(
                db,
                "SELECT manager FROM manager_tokens WHERE token_hash = $1 AND expires_at > $2",
                params![token_hash, ms(now)],
            )?
            .map(|r| r.text(0))
            .transpose()
        })
        .await
    }

    /// Conflicts, newest first.
    pub async fn conflicts(&self, filter: ConflictFilter) -> Result<Vec<Conflict>> {
        self.transact(move |db| {
            let open = if filter.include_resolved {
                ""
            } else {
                " AND c.resolved_at IS NULL"
            };
            let rows = match filter.device_id {
                None => db.query(
                    &format!("SELECT {CONFLICT_COLUMNS} FROM conflicts c WHERE 1 = 1{open} ORDER BY c.created_at DESC, c.id DESC"),
                    &[],
                )?,
                Some(d) => db.query(
                    &format!(
                        "SELECT {CONFLICT_COLUMNS} FROM conflicts c
                         WHERE EXISTS (SELECT 1 FROM conflict_devices d WHERE d.conflict_id = c.id AND d.device_id = $1){open}
                         ORDER BY c.created_at DESC, c.id DESC"
                    ),
                    params![d.to_string()],
                )?,
            };
            rows.iter().map(|r| to_conflict(db, r)).collect()
        })
        .await
    }

    /// Marks a conflict resolved with the manager's note; the audit log keeps it. With `void`,
    /// the resolution also records a correction: a void of that transaction (one of the
    /// conflict's), made on the server in the manager's name and checked by the ledger's own
    /// rules (a logged sale entered twice can be voided; money handed over cannot, it is
    /// refunded). The tills of the event receive it when they next sync.
    pub async fn resolve_conflict(
        &self,
        id: Uuid,
        manager: String,
        note: String,
        void: Option<TxId>,
        now: Timestamp,
    ) -> Result<Conflict> {
        self.transact_push(move |db| {
            let note = note.trim().to_string();
            if note.is_empty() {
                return Err(StorageError::Invalid(
                    "say how the conflict was resolved (for example \"refund B reversed at the terminal\")".into(),
                ));
            }
            let key = id.to_string();
            if let Some(target) = void {
                record_correction(db, &key, target, &manager, &note, now)?;
            }
            let changed = db.execute(
                "UPDATE conflicts SET resolved_at = $1, resolved_by = $2, note = $3 WHERE id = $4 AND resolved_at IS NULL",
                params![ms(now), &manager, note.as_str(), key.as_str()],
            )?;
            let row = query_one(
                db,
                &format!("SELECT {CONFLICT_COLUMNS} FROM conflicts c WHERE c.id = $1"),
                params![key.as_str()],
            )?
            .ok_or_else(|| StorageError::UnknownConflict(key.clone()))?;
            if changed == 0 {
                return Err(StorageError::AlreadyResolved(
                    row.opt_text(8)?.unwrap_or_default(),
                ));
            }
            audit(db, now, &manager, "resolve_conflict", &key, Some(&note))?;
            to_conflict(db, &row)
        })
        .await
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.transact(move |db| {
            db.query(
                "SELECT at, actor, action, subject, note FROM audit_log ORDER BY at DESC, id DESC LIMIT $1",
                params![i64::try_from(limit.clamp(1, 10_000)).unwrap_or(1000)],
            )?
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.time(0)?,
                    actor: r.text(1)?,
                    action: r.text(2)?,
                    subject: r.text(3)?,
                    note: r.opt_text(4)?,
                })
            })
            .collect()
        })
        .await
    }
}
