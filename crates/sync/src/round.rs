//! One sync round: push everything waiting, in batches, then pull every page of changes.
//! The till is locked only for the moment of each database step, never across the network.

use std::collections::BTreeMap;
use std::sync::Mutex;

use fairtill_core::ids::EventId;
use fairtill_protocol::{PushOutcome, Record, MAX_BATCH};
use fairtill_store::{Remote, StoreError, Till};
use serde::{Deserialize, Serialize};

use crate::client::{ClientError, SyncClient};
use crate::outbox::{pending, OutboxError};

/// Records per pull page.
pub const PULL_PAGE: u32 = 500;

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Talking to the server failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The device store failed.
    #[error("the till's database: {0}")]
    Store(#[from] StoreError),
    /// The outbox could not be read.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The till's lock was poisoned by a crash elsewhere.
    #[error("the till is unavailable after an earlier failure; restart the app")]
    Poisoned,
}

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundReport {
    /// Records the server stored now.
    pub pushed: u64,
    /// Records it already had (re-sent after a lost answer).
    pub already_had: u64,
    /// Stored and raised as a conflict for a manager.
    pub conflicts: u64,
    /// Refused as malformed (kept on the device with the reason).
    pub rejected: u64,
    /// Pulled records stored now.
    pub pulled: u64,
    /// Pulled records that could not be stored, and why.
    pub pull_skipped: Vec<String>,
}

/// How far a round is, for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Progress {
    /// Records pushed so far this round.
    #[ts(type = "number")]
    pub pushed: u64,
    /// Records that were waiting when the round began.
    #[ts(type = "number")]
    pub total: u64,
}

fn lock(till: &Mutex<Till>) -> Result<std::sync::MutexGuard<'_, Till>, SyncError> {
    till.lock().map_err(|_| SyncError::Poisoned)
}

/// A pulled wire record as the store takes it. Cash sessions belong to their own till and
/// the manager: a till keeps no copy of another's (the server does not send them).
pub fn to_remote(record: Record) -> Option<Remote> {
    Some(match record {
        Record::Order { order } => Remote::Order(order),
        Record::Transaction { transaction } => Remote::Transaction(transaction),
        Record::ResultChange {
            transaction_id,
            n,
            change,
        } => Remote::ResultChange {
            transaction_id,
            n,
            change,
        },
        Record::WriteOff { write_off } => Remote::WriteOff(write_off),
        Record::Offer { offer } => Remote::Offer(offer),
        Record::OfferRetirement {
            offer_id,
            retired_at,
            staff,
        } => Remote::OfferRetirement {
            offer_id,
            retired_at,
            staff,
        },
        Record::Product { product } => Remote::Product(product),
        Record::Event { event } => Remote::Event(event),
        Record::Customer { customer } => Remote::Customer(customer),
        Record::CardSaved { card } => Remote::CardSaved(card),
        Record::CardRemoved {
            card_id,
            removed_at,
            ..
        } => Remote::CardRemoved {
            card_id,
            removed_at,
        },
        Record::TillOpened { .. } | Record::TillClosed { .. } | Record::ReceiptEmail { .. } => {
            return None
        }
    })
}

/// Pushes everything waiting, a batch at a time. Each batch is acknowledged only after the
/// server answered it, so a cut connection means the batch is sent again (and answered
/// "already had"). A batch the server finds too large is sent again in halves (records with
/// long notes can make [`MAX_BATCH`] records larger than the server reads at once).
pub async fn push_all(
    till: &Mutex<Till>,
    client: &SyncClient,
    report: &mut RoundReport,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(), SyncError> {
    let total = lock(till)?.outbox()?.total;
    let mut done = Progress { pushed: 0, total };
    progress(done);
    let mut size = MAX_BATCH;
    loop {
        let batch = pending(&*lock(till)?, size)?;
        if batch.is_empty() {
            return Ok(());
        }
        let records: Vec<Record> = batch.iter().map(|p| p.record.clone()).collect();
        let results = match client.push(records).await {
            Err(ClientError::TooLarge(_)) if batch.len() > 1 => {
                size = batch.len() / 2;
                tracing::info!(size, "batch too large for the server; sending smaller ones");
                continue;
            }
            other => other?,
        };
        let mut guard = lock(till)?;
        let mut acked: BTreeMap<&'static str, i64> = BTreeMap::new();
        for (sent, answer) in batch.iter().zip(&results) {
            if answer.key != sent.record.key() {
                return Err(ClientError::Protocol(format!(
                    "the server answered for {:?} where {:?} was sent",
                    answer.key,
                    sent.record.key()
                ))
                .into());
            }
            match &answer.outcome {
                PushOutcome::Stored => report.pushed += 1,
                PushOutcome::StoredWithConflict { .. } => {
                    report.pushed += 1;
                    report.conflicts += 1;
                }
                PushOutcome::AlreadyHad => report.already_had += 1,
                PushOutcome::Invalid { reason } => {
                    report.rejected += 1;
                    guard.note_rejection(sent.store_type, &answer.key.id, reason)?;
                }
            }
            let seq = acked.entry(sent.store_type).or_insert(sent.seq);
            *seq = (*seq).max(sent.seq);
        }
        for (store_type, seq) in acked {
            guard.outbox_ack(store_type, seq)?;
        }
        drop(guard);
        done.pushed += batch.len() as u64;
        done.total = done.total.max(done.pushed);
        progress(done);
    }
}

/// Pulls every page of changes for `event` and applies each page with its cursor.
pub async fn pull_all(
    till: &Mutex<Till>,
    client: &SyncClient,
    event: Option<EventId>,
    report: &mut RoundReport,
) -> Result<(), SyncError> {
    loop {
        let cursor = lock(till)?.pull_cursor(event)?;
        let page = client.pull(event, cursor, PULL_PAGE).await?;
        let remotes: Vec<Remote> = page.records.into_iter().filter_map(to_remote).collect();
        let applied = lock(till)?.apply_remote(&remotes, event, &page.cursor)?;
        report.pulled += applied.stored;
        report.pull_skipped.extend(applied.skipped);
        if !page.more {
            return Ok(());
        }
    }
}

/// One whole round: push, then pull.
pub async fn sync_once(
    till: &Mutex<Till>,
    client: &SyncClient,
    event: Option<EventId>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<RoundReport, SyncError> {
    let mut report = RoundReport::default();
    push_all(till, client, &mut report, progress).await?;
    pull_all(till, client, event, &mut report).await?;
    Ok(report)
}
