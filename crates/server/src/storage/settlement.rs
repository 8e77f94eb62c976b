//! Settlement imports: a processor's file stored once per content, its rows matched to the
//! tills' card and external transactions on import, and the manager's decisions on them
//! (confirm a suggestion, reject it, link by hand), each kept in the audit log.

use std::collections::{BTreeMap, HashSet};

use fairtill_core::ids::{EventId, TxId};
use fairtill_core::money::{Currency, Money};
use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::{
    ColumnMapping, LedgerEntry, MatchState, SettlementImport, SettlementKind, SettlementMatch,
    SettlementReport, SettlementRow, UNMATCHED_SHOWN,
};
use uuid::Uuid;

use super::managers::audit;
use super::{ms, query_one, time, Db, Param, Result, Row, Storage, StorageError};
use crate::params;
use crate::settlement::matching::{match_rows, Candidate};

/// A file read and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport {
    /// The file's name as the manager gave it.
    pub file_name: String,
    /// SHA-256 of its bytes, hex: the same file is imported once.
    pub file_hash: String,
    /// The format it was read as.
    pub format: String,
    /// How far apart in time a suggestion's sides may be.
    pub window_hours: u32,
    /// Only transactions of this event are candidates.
    pub event_id: Option<EventId>,
    /// Its payments and refunds.
    pub rows: Vec<SettlementRow>,
    /// Rows that moved no money.
    pub skipped: u64,
}

fn backend(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

fn currency(code: &str) -> Result<Currency> {
    Currency::from_code(code).map_err(backend)
}

/// The columns [`read_entry`] reads, from `transactions t` and `orders o`.
/// A card on file's reference is the processor's id of what the server made for it.
const ENTRY_COLUMNS: &str =
    "t.id, t.kind, t.amount_minor, t.currency, t.method,
    coalesce(t.external_reference, (SELECT j.processor_id FROM processor_jobs j WHERE j.tx_id = t.id)),
    t.card_last4, t.approval_code, o.receipt, t.created_at, t.device_id, t.staff";

/// Approved card, card-on-file and external payments and refunds, not voided.
const CANDIDATE_FROM: &str = "FROM transactions t LEFT JOIN orders o ON o.id = t.order_id
    WHERE t.result = 'approved' AND t.kind IN ('sale', 'capture', 'refund')
      AND t.method IN ('card', 'external', 'card_on_file') AND t.voided = 0";

fn read_entry(r: &Row, at: usize, names: &BTreeMap<String, String>) -> Result<LedgerEntry> {
    let device = r.text(at + 10)?;
    Ok(LedgerEntry {
        id: r.text(at)?.parse().map_err(backend)?,
        kind: r.text(at + 1)?,
        amount: Money::from_minor(r.int(at + 2)?, currency(&r.text(at + 3)?)?),
        method: r.text(at + 4)?,
        reference: r.opt_text(at + 5)?,
        last4: r.opt_text(at + 6)?,
        approval_code: r.opt_text(at + 7)?,
        receipt: r.opt_text(at + 8)?,
        created_at: r.time(at + 9)?,
        device_name: names.get(&device).cloned().unwrap_or(device),
        staff: r.text(at + 11)?,
    })
}

fn entry_kind(kind: &str) -> SettlementKind {
    match kind {
        "refund" => SettlementKind::Refund,
        _ => SettlementKind::Payment,
    }
}

/// Candidate transactions recorded between `from` and `to` (inclusive), of `event` if given.
fn candidates(
    db: &mut dyn Db,
    from: Timestamp,
    to: Timestamp,
    event: Option<&str>,
    names: &BTreeMap<String, String>,
) -> Result<Vec<LedgerEntry>> {
    let mut params: Vec<Param> = vec![ms(from).into(), ms(to).into()];
    let mut sql = format!(
        "SELECT {ENTRY_COLUMNS} {CANDIDATE_FROM} AND t.created_at >= $1 AND t.created_at <= $2"
    );
    if let Some(e) = event {
        params.push(e.into());
        sql.push_str(" AND t.event_id = $3");
    }
    sql.push_str(" ORDER BY t.created_at, t.id");
    db.query(&sql, &params)?
        .iter()
        .map(|r| read_entry(r, 0, names))
        .collect()
}

/// The span of time a file's rows and their window cover.
fn span(rows: &[SettlementRow], window: SignedDuration) -> Result<Option<(Timestamp, Timestamp)>> {
    let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.at).min(),
        rows.iter().map(|r| r.at).max(),
    ) else {
        return Ok(None);
    };
    Ok(Some((
        first.checked_sub(window).map_err(backend)?,
        last.checked_add(window).map_err(backend)?,
    )))
}

/// Inserts many rows of `width` values with multi-row `INSERT … VALUES`, a hundred at a time.
fn insert_many(db: &mut dyn Db, insert: &str, width: usize, rows: &[Vec<Param>]) -> Result<()> {
    for chunk in rows.chunks(100) {
        let mut marks = Vec::with_capacity(chunk.len());
        let mut params = Vec::with_capacity(chunk.len() * width);
        for row in chunk {
            let first = params.len() + 1;
            marks.push(format!(
                "({})",
                (first..first + width)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            params.extend(row.iter().cloned());
        }
        db.execute(&format!("{insert} VALUES {}", marks.join(", ")), &params)?;
    }
    Ok(())
}

fn read_import(r: &Row) -> Result<SettlementImport> {
    Ok(SettlementImport {
        id: r.text(0)?.parse().map_err(backend)?,
        file_name: r.text(1)?,
        format: r.text(2)?,
        window_hours: u32::try_from(r.int(3)?).map_err(backend)?,
        imported_at: r.time(4)?,
        imported_by: r.text(5)?,
        rows: u64::try_from(r.int(6)?).map_err(backend)?,
        skipped: u64::try_from(r.int(7)?).map_err(backend)?,
    })
}

const IMPORT_COLUMNS: &str =
    "id, file_name, format, window_hours, imported_at, imported_by, row_count, skipped";

fn read_row(r: &Row, at: usize) -> Result<SettlementRow> {
    let kind = r.text(at + 1)?;
    Ok(SettlementRow {
        line: u64::try_from(r.int(at)?).map_err(backend)?,
        kind: SettlementKind::parse(&kind).ok_or_else(|| backend(kind))?,
        reference: r.text(at + 2)?,
        amount: Money::from_minor(r.int(at + 3)?, currency(&r.text(at + 4)?)?),
        at: r.time(at + 5)?,
        last4: r.opt_text(at + 6)?,
        approval_code: r.opt_text(at + 7)?,
    })
}

const ROW_COLUMNS: &str =
    "r.line, r.kind, r.reference, r.amount_minor, r.currency, r.at, r.last4, r.approval_code";

/// The report of an import as it stands.
fn report(db: &mut dyn Db, id: &str, already_imported: bool) -> Result<SettlementReport> {
    let import_row = query_one(
        db,
        &format!("SELECT {IMPORT_COLUMNS}, event_id FROM settlement_imports WHERE id = $1"),
        params![id],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("settlement import {id}")))?;
    let import = read_import(&import_row)?;
    let event = import_row.opt_text(8)?;
    let names = super::devices::device_names(db)?;
    let order = "CASE m.state WHEN 'amount_mismatch' THEN 0 WHEN 'suggested' THEN 1 WHEN 'matched' THEN 2 WHEN 'confirmed' THEN 3 ELSE 4 END, r.line";
    let matched = db.query(
        &format!(
            "SELECT m.state, {ROW_COLUMNS}, {ENTRY_COLUMNS}
             FROM settlement_matches m
             JOIN settlement_rows r ON r.import_id = m.import_id AND r.line = m.line
             JOIN transactions t ON t.id = m.transaction_id
             LEFT JOIN orders o ON o.id = t.order_id
             WHERE m.import_id = $1 ORDER BY {order}"
        ),
        params![id],
    )?;
    let mut matches = Vec::with_capacity(matched.len());
    let mut taken = HashSet::new();
    for r in &matched {
        let state = r.text(0)?;
        let row = read_row(r, 1)?;
        let entry = read_entry(r, 9, &names)?;
        taken.insert(entry.id);
        matches.push(SettlementMatch {
            state: MatchState::parse(&state).ok_or_else(|| backend(state))?,
            difference: row.amount.checked_sub(entry.amount).map_err(backend)?,
            row,
            entry,
        });
    }
    let unmatched_rows = db
        .query(
            &format!(
                "SELECT {ROW_COLUMNS} FROM settlement_rows r
                 WHERE r.import_id = $1
                   AND NOT EXISTS (SELECT 1 FROM settlement_matches m WHERE m.import_id = r.import_id AND m.line = r.line)
                 ORDER BY r.line"
            ),
            params![id],
        )?
        .iter()
        .map(|r| read_row(r, 0))
        .collect::<Result<Vec<_>>>()?;
    let bounds = query_one(
        db,
        "SELECT min(at), max(at) FROM settlement_rows WHERE import_id = $1",
        params![id],
    )?;
    let currencies: HashSet<String> = db
        .query(
            "SELECT DISTINCT currency FROM settlement_rows WHERE import_id = $1",
            params![id],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_>>()?;
    let window = SignedDuration::from_hours(i64::from(import.window_hours));
    let mut unmatched_entries: Vec<LedgerEntry> = match bounds.map(|b| (b.opt_int(0), b.opt_int(1)))
    {
        Some((Ok(Some(first)), Ok(Some(last)))) => candidates(
            db,
            time(first)?.checked_sub(window).map_err(backend)?,
            time(last)?.checked_add(window).map_err(backend)?,
            event.as_deref(),
            &names,
        )?
        .into_iter()
        .filter(|e| !taken.contains(&e.id) && currencies.contains(e.amount.currency().code()))
        .collect(),
        _ => Vec::new(),
    };
    let unmatched_entries_total = unmatched_entries.len() as u64;
    unmatched_entries.truncate(UNMATCHED_SHOWN);
    Ok(SettlementReport {
        import,
        already_imported,
        matches,
        unmatched_rows,
        unmatched_entries,
        unmatched_entries_total,
    })
}

/// Stores a new import, matches it, and reports; or reports the earlier import of the same file.
fn import(
    db: &mut dyn Db,
    new: NewImport,
    manager: &str,
    now: Timestamp,
) -> Result<SettlementReport> {
    if let Some(existing) = query_one(
        db,
        "SELECT id FROM settlement_imports WHERE file_hash = $1",
        params![new.file_hash.as_str()],
    )? {
        return report(db, &existing.text(0)?, true);
    }
    let id = Uuid::now_v7().to_string();
    db.execute(
        "INSERT INTO settlement_imports (id, file_hash, file_name, format, window_hours, event_id, imported_at, imported_by, row_count, skipped)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params![
            id.as_str(),
            new.file_hash.as_str(),
            new.file_name.as_str(),
            new.format.as_str(),
            i64::from(new.window_hours),
            new.event_id.map(|e| e.to_string()),
            ms(now),
            manager,
            i64::try_from(new.rows.len()).map_err(backend)?,
            i64::try_from(new.skipped).map_err(backend)?,
        ],
    )?;
    let rows: Vec<Vec<Param>> = new
        .rows
        .iter()
        .map(|r| {
            Ok(vec![
                id.as_str().into(),
                i64::try_from(r.line).map_err(backend)?.into(),
                r.kind.as_str().into(),
                r.reference.as_str().into(),
                r.amount.minor().into(),
                r.amount.currency().code().into(),
                ms(r.at).into(),
                r.last4.clone().into(),
                r.approval_code.clone().into(),
            ])
        })
        .collect::<Result<_>>()?;
    insert_many(
        db,
        "INSERT INTO settlement_rows (import_id, line, kind, reference, amount_minor, currency, at, last4, approval_code)",
        9,
        &rows,
    )?;
    let window = SignedDuration::from_hours(i64::from(new.window_hours));
    if let Some((from, to)) = span(&new.rows, window)? {
        let names = super::devices::device_names(db)?;
        let event = new.event_id.map(|e| e.to_string());
        let entries = candidates(db, from, to, event.as_deref(), &names)?;
        let cands: Vec<Candidate> = entries
            .iter()
            .map(|e| Candidate {
                kind: entry_kind(&e.kind),
                currency: e.amount.currency().code().to_string(),
                minor: e.amount.minor(),
                at: e.created_at,
                reference: e.reference.clone(),
                approval_code: e.approval_code.clone(),
                last4: e.last4.clone(),
            })
            .collect();
        let pairs = match_rows(&new.rows, &cands, window);
        let matches: Vec<Vec<Param>> = pairs
            .iter()
            .map(|&(ri, ci, state)| {
                Ok(vec![
                    id.as_str().into(),
                    i64::try_from(new.rows[ri].line).map_err(backend)?.into(),
                    entries[ci].id.to_string().into(),
                    state.as_str().into(),
                    ms(now).into(),
                    "import".into(),
                ])
            })
            .collect::<Result<_>>()?;
        insert_many(
            db,
            "INSERT INTO settlement_matches (import_id, line, transaction_id, state, decided_at, decided_by)",
            6,
            &matches,
        )?;
    }
    audit(
        db,
        now,
        manager,
        "import_settlement",
        &id,
        Some(&format!(
            "{} ({}, {} rows)",
            new.file_name,
            new.format,
            new.rows.len()
        )),
    )?;
    report(db, &id, false)
}

/// A manager's decision on one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Accept the suggested transaction.
    Confirm,
    /// Drop the suggestion or link: the row is unmatched again.
    Reject,
    /// Link the row to this transaction.
    Link(TxId),
}

fn decide(
    db: &mut dyn Db,
    id: &str,
    line: u64,
    decision: Decision,
    manager: &str,
    now: Timestamp,
) -> Result<SettlementReport> {
    let line_n = i64::try_from(line).map_err(backend)?;
    let row = query_one(
        db,
        &format!(
            "SELECT {ROW_COLUMNS} FROM settlement_rows r WHERE r.import_id = $1 AND r.line = $2"
        ),
        params![id, line_n],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("line {line} of settlement import {id}")))?;
    let row = read_row(&row, 0)?;
    let current = query_one(
        db,
        "SELECT state, transaction_id FROM settlement_matches WHERE import_id = $1 AND line = $2",
        params![id, line_n],
    )?
    .map(|r| Ok::<_, StorageError>((r.text(0)?, r.text(1)?)))
    .transpose()?;
    let (action, subject) = match (decision, current) {
        (Decision::Confirm, Some((state, tx))) if state == "suggested" => {
            db.execute(
                "UPDATE settlement_matches SET state = 'confirmed', decided_at = $1, decided_by = $2
                 WHERE import_id = $3 AND line = $4",
                params![ms(now), manager, id, line_n],
            )?;
            ("confirm_settlement_match", tx)
        }
        (Decision::Confirm, Some((state, _))) => {
            return Err(StorageError::Invalid(format!(
                "line {line} is {}, not a suggestion; there is nothing to confirm",
                state.replace('_', " ")
            )))
        }
        (Decision::Confirm, None) => {
            return Err(StorageError::Invalid(format!(
                "line {line} has no suggested transaction; link one by hand"
            )))
        }
        (Decision::Reject, Some((_, tx))) => {
            db.execute(
                "DELETE FROM settlement_matches WHERE import_id = $1 AND line = $2",
                params![id, line_n],
            )?;
            ("reject_settlement_match", tx)
        }
        (Decision::Reject, None) => {
            return Err(StorageError::Invalid(format!(
                "line {line} is not matched to anything"
            )))
        }
        (Decision::Link(tx), current) => {
            let tx_id = tx.to_string();
            let target = query_one(
                db,
                &format!("SELECT t.kind, t.currency {CANDIDATE_FROM} AND t.id = $1"),
                params![tx_id.as_str()],
            )?
            .ok_or_else(|| {
                StorageError::Invalid(format!(
                    "transaction {tx} is not an approved card or external payment or refund"
                ))
            })?;
            if entry_kind(&target.text(0)?) != row.kind {
                return Err(StorageError::Invalid(format!(
                    "line {line} is a {} but transaction {tx} is a {}",
                    row.kind.as_str(),
                    target.text(0)?
                )));
            }
            if target.text(1)? != row.amount.currency().code() {
                return Err(StorageError::Invalid(format!(
                    "line {line} is in {} but transaction {tx} is in {}",
                    row.amount.currency(),
                    target.text(1)?
                )));
            }
            if let Some(other) = query_one(
                db,
                "SELECT line FROM settlement_matches WHERE import_id = $1 AND transaction_id = $2 AND line <> $3",
                params![id, tx_id.as_str(), line_n],
            )? {
                return Err(StorageError::Invalid(format!(
                    "transaction {tx} already goes with line {} of this file; unlink it there first",
                    other.int(0)?
                )));
            }
            if current.is_some() {
                db.execute(
                    "DELETE FROM settlement_matches WHERE import_id = $1 AND line = $2",
                    params![id, line_n],
                )?;
            }
            db.execute(
                "INSERT INTO settlement_matches (import_id, line, transaction_id, state, decided_at, decided_by)
                 VALUES ($1, $2, $3, 'linked', $4, $5)",
                params![id, line_n, tx_id.as_str(), ms(now), manager],
            )?;
            ("link_settlement_match", tx_id)
        }
    };
    audit(
        db,
        now,
        manager,
        action,
        &format!("{id}#{line}"),
        Some(&format!("transaction {subject}")),
    )?;
    report(db, id, false)
}

/// Imports the processor's balance entries not imported before, like a file of them.
fn import_balance(
    db: &mut dyn Db,
    processor: &str,
    mut entries: Vec<crate::processor::Settled>,
    window_hours: u32,
    event_id: Option<EventId>,
    manager: &str,
    now: Timestamp,
) -> Result<SettlementReport> {
    let mut fresh = Vec::with_capacity(entries.len());
    entries.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    for e in entries {
        let seen = query_one(
            db,
            "SELECT 1 FROM processor_settled WHERE balance_id = $1",
            params![e.id.as_str()],
        )?;
        if seen.is_none() {
            fresh.push(e);
        }
    }
    let (Some(first), Some(last)) = (fresh.first(), fresh.last()) else {
        return Err(StorageError::Invalid(format!(
            "nothing new at the card processor ({processor}) since the last fetch"
        )));
    };
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    let mut name = processor.chars();
    let name: String = name
        .next()
        .map(|c| c.to_uppercase().chain(name).collect())
        .unwrap_or_default();
    let ids: Vec<&str> = fresh.iter().map(|e| e.id.as_str()).collect();
    let new = NewImport {
        file_name: format!("{name} balance, {} to {}", day(first.at), day(last.at)),
        file_hash: crate::auth::hex(&<sha2::Sha256 as sha2::Digest>::digest(ids.join("\n"))),
        format: format!("{name} API"),
        window_hours,
        event_id,
        rows: fresh
            .iter()
            .enumerate()
            .map(|(i, e)| SettlementRow {
                line: u64::try_from(i + 1).unwrap_or(u64::MAX),
                kind: e.kind,
                reference: e.reference.clone(),
                amount: e.amount,
                at: e.at,
                last4: None,
                approval_code: None,
            })
            .collect(),
        skipped: 0,
    };
    let report = import(db, new, manager, now)?;
    let import_id = report.import.id.to_string();
    for e in &fresh {
        db.execute(
            "INSERT INTO processor_settled (balance_id, import_id, at) VALUES ($1, $2, $3)",
            params![e.id.as_str(), import_id.as_str(), ms(e.at)],
        )?;
    }
    Ok(report)
}

impl Storage {
    /// When the newest balance entry imported from the processor was recorded: a fetch need
    /// look no further back than shortly before it.
    pub async fn last_settled_at(&self) -> Result<Option<Timestamp>> {
        self.transact(|db| super::time_of(db, "SELECT max(at) FROM processor_settled"))
            .await
    }

    /// Imports the processor's balance entries that are new, and matches them like a file's
    /// rows: payments and refunds made through Fairtill match by the processor's id.
    pub async fn import_processor_balance(
        &self,
        processor: &'static str,
        entries: Vec<crate::processor::Settled>,
        window_hours: u32,
        event_id: Option<EventId>,
        manager: String,
        now: Timestamp,
    ) -> Result<SettlementReport> {
        self.transact(move |db| {
            import_balance(
                db,
                processor,
                entries,
                window_hours,
                event_id,
                &manager,
                now,
            )
        })
        .await
    }

    /// Imports a settlement file (once per content) and matches its rows.
    pub async fn import_settlement(
        &self,
        new: NewImport,
        manager: String,
        now: Timestamp,
    ) -> Result<SettlementReport> {
        self.transact(move |db| import(db, new, &manager, now))
            .await
    }

    /// An import's report as it stands.
    pub async fn settlement_report(&self, id: Uuid) -> Result<SettlementReport> {
        self.transact(move |db| report(db, &id.to_string(), false))
            .await
    }

    /// Every import, newest first.
    pub async fn settlement_imports(&self) -> Result<Vec<SettlementImport>> {
        self.transact(|db| {
            db.query(
                &format!("SELECT {IMPORT_COLUMNS} FROM settlement_imports ORDER BY imported_at DESC, id DESC"),
                &[],
            )?
            .iter()
            .map(read_import)
            .collect()
        })
        .await
    }

    /// A manager's decision on one row of an import; the report after it.
    pub async fn decide_settlement(
        &self,
        id: Uuid,
        line: u64,
        decision: Decision,
        manager: String,
        now: Timestamp,
    ) -> Result<SettlementReport> {
        self.transact(move |db| decide(db, &id.to_string(), line, decision, &manager, now))
            .await
    }

    /// Saves a column mapping under its name (a new one replaces the old).
    pub async fn save_mapping(
        &self,
        mapping: ColumnMapping,
        manager: String,
        now: Timestamp,
    ) -> Result<()> {
        self.transact(move |db| {
            let body = serde_json::to_string(&mapping)?;
            db.execute(
                "INSERT INTO settlement_formats (name, mapping, saved_at, saved_by) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET mapping = excluded.mapping, saved_at = excluded.saved_at, saved_by = excluded.saved_by",
                params![mapping.name.as_str(), body.as_str(), ms(now), manager.as_str()],
            )?;
            audit(db, now, &manager, "save_settlement_format", &mapping.name, Some(&body))?;
            Ok(())
        })
        .await
    }

    /// The mappings managers saved, by name.
    pub async fn mappings(&self) -> Result<Vec<ColumnMapping>> {
        self.transact(|db| {
            db.query("SELECT mapping FROM settlement_formats ORDER BY name", &[])?
                .iter()
                .map(|r| Ok(serde_json::from_str(&r.text(0)?)?))
                .collect()
        })
        .await
    }
}
