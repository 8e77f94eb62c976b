//! What the server keeps to move money at the processor: customers and their saved cards, and
//! one job per ledger transaction to carry out there (`processor_jobs`).
//!
//! A job is made in the same database transaction that stores its ledger transaction, so a
//! charge synced from a till cannot be stored without being queued. A server process takes a
//! job by a lease (a time until which no other process touches it) and raises its `attempts`
//! in the same committed statement, *before* it sends anything: a try that finds
//! `attempts > 0` and no processor id knows an earlier try may have reached the processor and
//! looks for what it made first.

use fairtill_core::customer::{CustomerProfile, SavedCard};
use fairtill_core::event::SaleContext;
use fairtill_core::ids::{CustomerId, DeviceId, TxId};
use fairtill_core::ledger::{Command, Fact, Stamp, Transaction, TxKind, TxResult};
use fairtill_core::Timestamp;
use fairtill_protocol::{PaymentProgress, Record};
use uuid::Uuid;

use super::{ms, query_one, time, Db, Result, Storage, StorageError};
use crate::params;

/// What a job does at the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Charge a card on file (a sale).
    Charge,
    /// Hold money on a card on file, to capture later (an authorization).
    Authorize,
    /// Take (part of) what an authorization holds.
    Capture,
    /// Release an authorization (the ledger's void of it).
    Release,
    /// Refund a payment made with a card on file.
    Refund,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Charge => "charge",
            JobKind::Authorize => "authorize",
            JobKind::Capture => "capture",
            JobKind::Release => "release",
            JobKind::Refund => "refund",
        }
    }

    /// Jobs that act on a payment an earlier job made (their parent's).
    fn acts_on_parent(self) -> bool {
        match self {
            JobKind::Capture | JobKind::Release | JobKind::Refund => true,
            JobKind::Charge | JobKind::Authorize => false,
        }
    }

    fn parse(text: &str) -> Result<JobKind> {
        match text {
            "charge" => Ok(JobKind::Charge),
            "authorize" => Ok(JobKind::Authorize),
            "capture" => Ok(JobKind::Capture),
            "release" => Ok(JobKind::Release),
            "refund" => Ok(JobKind::Refund),
            other => Err(StorageError::Backend(format!("unknown job kind {other:?}"))),
        }
    }
}

/// Where a job stands (the protocol's name for it, as the tills see it).
pub use fairtill_protocol::ChargeState as JobState;

fn job_state(text: &str) -> Result<JobState> {
    JobState::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("unknown job state {text:?}")))
}

/// A job taken by this process, with what its processor call needs.
#[derive(Debug, Clone)]
pub struct Job {
    /// The ledger transaction it carries out.
    pub tx: Transaction,
    /// Charge or refund.
    pub kind: JobKind,
    /// Where it stood when taken.
    pub state: JobState,
    /// Tries so far, this one included.
    pub attempts: u32,
    /// An earlier try may have reached the processor: look before sending.
    pub tried_before: bool,
    /// The processor's id of what it made, once known.
    pub processor_id: Option<String>,
    /// The processor's id of the card's owner (charges).
    pub customer_ref: Option<String>,
    /// The processor's id of the payment a capture, release or refund acts on.
    pub parent_payment: Option<String>,
    /// Why this refund must not be sent (it would give back more than was taken).
    pub over_refund: Option<String>,
    /// When the job was made.
    pub created_at: Timestamp,
}

/// What became of a job's try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The processor's answer decides the transaction's result.
    Resolved {
        /// The result.
        result: TxResult,
        /// The processor's words.
        note: Option<String>,
        /// What the processor made, if anything.
        processor_id: Option<String>,
        /// For an authorization: when the processor lets its hold lapse.
        hold_until: Option<Timestamp>,
        /// For a capture: the processor released what it did not take (the server records
        /// that as a void of the rest).
        releases_rest: bool,
        /// A decline no retry of this card can fix (its follow-up stops).
        hard_decline: bool,
    },
    /// Not decided yet: ask again at `due_at`.
    Later {
        /// Where it stands.
        state: JobState,
        /// When to try or ask again.
        due_at: Timestamp,
        /// What the processor made, if known.
        processor_id: Option<String>,
        /// Where the customer approves it.
        approval_url: Option<String>,
        /// What the processor said, or why it could not be asked.
        message: Option<String>,
    },
}

/// Queues the processor job a stored transaction needs, if it needs one.
pub(crate) fn queue_job(db: &mut dyn Db, t: &Transaction, now: i64) -> Result<()> {
    if !t.method.is_processor() || t.result() != TxResult::Unknown {
        return Ok(());
    }
    let kind = match t.kind {
        TxKind::Sale => JobKind::Charge,
        TxKind::Authorize => JobKind::Authorize,
        TxKind::Capture => JobKind::Capture,
        TxKind::Void if t.parent_kind == Some(TxKind::Authorize) => JobKind::Release,
        TxKind::Refund => JobKind::Refund,
        // The ledger makes no other void or credit of a card on file: nothing to send.
        TxKind::Void | TxKind::Credit => return Ok(()),
    };
    db.execute(
        "INSERT INTO processor_jobs (tx_id, kind, state, due_at, created_at) VALUES ($1, $2, 'due', $3, $3)
         ON CONFLICT (tx_id) DO NOTHING",
        params![t.id.to_string(), kind.as_str(), now],
    )?;
    Ok(())
}

/// Keeps the latest version of a customer's details for queries and processor calls.
pub(crate) fn store_customer(db: &mut dyn Db, c: &CustomerProfile) -> Result<()> {
    db.execute(
        "INSERT INTO customers (id, name, email, phone, updated_at, device_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone,
             updated_at = excluded.updated_at, device_id = excluded.device_id
         WHERE (customers.updated_at, customers.device_id) < (excluded.updated_at, excluded.device_id)",
        params![
            c.id.to_string(),
            c.details.name.clone(),
            c.details.email.clone(),
            c.details.phone.clone(),
            ms(c.updated_at),
            c.device_id.to_string()
        ],
    )?;
    Ok(())
}

/// Keeps a saved card for queries.
pub(crate) fn store_card(db: &mut dyn Db, c: &SavedCard) -> Result<()> {
    db.execute(
        "INSERT INTO saved_cards (id, customer_id, brand, last4, exp_month, exp_year, saved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        params![
            c.id.as_str(),
            c.customer_id.to_string(),
            c.brand.as_str(),
            c.last4.as_str(),
            i64::from(c.exp_month),
            i64::from(c.exp_year),
            ms(c.saved_at)
        ],
    )?;
    Ok(())
}

pub(crate) fn transaction(db: &mut dyn Db, id: &str) -> Result<Transaction> {
    let row = query_one(
        db,
        "SELECT body FROM records WHERE record_type = 'transaction' AND record_id = $1",
        params![id],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("transaction {id}")))?;
    match serde_json::from_str(&row.text(0)?)? {
        Record::Transaction { transaction } => Ok(*transaction),
        _ => Err(StorageError::Backend(format!(
            "record {id} is not a transaction"
        ))),
    }
}

/// The stamp of a transaction the server records itself, as `staff`, in the event given.
pub(crate) fn server_stamp(
    event_id: Option<fairtill_core::ids::EventId>,
    staff: String,
    now: Timestamp,
) -> Stamp {
    Stamp {
        id: Uuid::now_v7(),
        at: now,
        context: SaleContext {
            device_id: DeviceId::SERVER,
            event_id,
            staff,
        },
    }
}

/// After the processor captured part of an authorization and released the rest, records that
/// release as the server's void of the rest (rule 14), so every summary counts it as released.
fn record_release(
    db: &mut dyn Db,
    ledger: &mut fairtill_core::ledger::Ledger,
    capture: TxId,
    stamp: &Stamp,
    now: Timestamp,
) -> Result<()> {
    let Some(auth) = ledger.transaction(capture).and_then(|c| c.parent) else {
        return Ok(());
    };
    let captured = ledger.transaction(capture).map(|c| c.amount);
    let void = Command::Void {
        target: auth,
        reason: captured
            .map(|c| format!("released by the card processor when {c} of it was captured")),
    };
    let stamp = Stamp {
        id: Uuid::now_v7(),
        ..stamp.clone()
    };
    match ledger.execute(&void, &stamp) {
        Ok(facts) => {
            for fact in facts {
                if let Fact::Recorded { tx } = fact {
                    let record = Record::Transaction { transaction: tx };
                    super::push::store_server_record(db, &record, now)?;
                }
            }
        }
        // Captured in full: nothing was left to release.
        Err(fairtill_core::ledger::LedgerError::NothingToVoid) => {}
        Err(e) => tracing::warn!(%auth, error = %e, "the processor's release not recorded"),
    }
    Ok(())
}

/// The customer's cards not removed, newest (the default) first.
pub(crate) fn cards(db: &mut dyn Db, customer: CustomerId) -> Result<Vec<SavedCard>> {
    db.query(
        "SELECT id, brand, last4, exp_month, exp_year, saved_at FROM saved_cards
         WHERE customer_id = $1 AND removed_at IS NULL ORDER BY saved_at DESC, id",
        params![customer.to_string()],
    )?
    .iter()
    .map(|r| {
        Ok(SavedCard {
            id: r.text(0)?,
            customer_id: customer,
            brand: r.text(1)?,
            last4: r.text(2)?,
            exp_month: u8::try_from(r.int(3)?).unwrap_or(0),
            exp_year: u16::try_from(r.int(4)?).unwrap_or(0),
            saved_at: time(r.int(5)?)?,
        })
    })
    .collect()
}

/// A payment waiting for the customer's approval offsite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Its ledger transaction.
    pub tx: TxId,
    /// The processor's id of the payment.
    pub processor_id: Option<String>,
    /// How much.
    pub amount: fairtill_core::money::Money,
}

/// The customer's details and the processor's id of them, if one was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAccount {
    /// The customer.
    pub id: CustomerId,
    /// Name, for the processor's records.
    pub name: Option<String>,
    /// Email, for the processor's records.
    pub email: Option<String>,
    /// The processor's id of this customer.
    pub processor_ref: Option<String>,
}

impl Storage {
    /// Processor jobs that are due now and held by no process, oldest first.
    pub async fn due_jobs(&self, now: Timestamp, limit: u32) -> Result<Vec<TxId>> {
        self.transact(move |db| {
            db.query(
                "SELECT tx_id FROM processor_jobs WHERE state <> 'done' AND due_at <= $1 AND lease_until < $1
                 ORDER BY due_at LIMIT $2",
                params![ms(now), i64::from(limit)],
            )?
            .iter()
            .map(|r| {
                r.text(0)?
                    .parse()
                    .map(TxId)
                    .map_err(|e| StorageError::Backend(e.to_string()))
            })
            .collect()
        })
        .await
    }

    /// When the next job falls due, if any waits.
    pub async fn next_job_at(&self) -> Result<Option<Timestamp>> {
        self.transact(|db| {
            super::time_of(
                db,
                "SELECT min(due_at) FROM processor_jobs WHERE state <> 'done'",
            )
        })
        .await
    }

    /// Takes job `tx` until `lease_until` if it is due and no other process holds it, counting
    /// the try (committed before the caller sends anything).
    pub async fn claim_job(
        &self,
        tx: TxId,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Job>> {
        self.transact(move |db| {
            let id = tx.to_string();
            let taken = db.execute(
                "UPDATE processor_jobs SET lease_until = $1, attempts = attempts + 1
                 WHERE tx_id = $2 AND state <> 'done' AND due_at <= $3 AND lease_until < $3",
                params![ms(lease_until), id.as_str(), ms(now)],
            )?;
            if taken == 0 {
                return Ok(None);
            }
            let row = query_one(
                db,
                "SELECT kind, state, attempts, processor_id, created_at FROM processor_jobs WHERE tx_id = $1",
                params![id.as_str()],
            )?
            .ok_or_else(|| StorageError::NotFound(format!("job {id}")))?;
            let kind = JobKind::parse(&row.text(0)?)?;
            let transaction = transaction(db, &id)?;
            let mut job = Job {
                kind,
                state: job_state(&row.text(1)?)?,
                attempts: u32::try_from(row.int(2)?).unwrap_or(u32::MAX),
                tried_before: row.int(2)? > 1,
                processor_id: row.opt_text(3)?,
                created_at: time(row.int(4)?)?,
                customer_ref: None,
                parent_payment: None,
                over_refund: None,
                tx: transaction,
            };
            if let fairtill_core::ledger::PaymentMethod::CardOnFile { customer, .. } =
                &job.tx.method
            {
                job.customer_ref = query_one(
                    db,
                    "SELECT processor_ref FROM customers WHERE id = $1",
                    params![customer.to_string()],
                )?
                .map(|r| r.opt_text(0))
                .transpose()?
                .flatten();
            }
            if let (true, Some(parent)) = (kind.acts_on_parent(), job.tx.parent) {
                let parent = parent.to_string();
                job.parent_payment = query_one(
                    db,
                    "SELECT processor_id FROM processor_jobs WHERE tx_id = $1 AND state = 'done'",
                    params![parent.as_str()],
                )?
                .map(|r| r.opt_text(0))
                .transpose()?
                .flatten();
            }
            if let (JobKind::Refund, Some(parent)) = (kind, job.tx.parent) {
                let parent = parent.to_string();
                // localstripe caps nothing and two tills may each refund while offline: this
                // refund goes only if it fits with the refunds recorded before it.
                let row = query_one(
                    db,
                    "SELECT p.amount_minor,
                        (SELECT CAST(coalesce(sum(r.amount_minor), 0) AS BIGINT) FROM transactions r
                         WHERE r.parent_id = p.id AND r.kind = 'refund' AND r.id <= $2
                           AND r.result IN ('approved', 'unknown'))
                     FROM transactions p WHERE p.id = $1",
                    params![parent.as_str(), id.as_str()],
                )?
                .ok_or_else(|| StorageError::NotFound(format!("transaction {parent}")))?;
                let (taken, refunded) = (row.int(0)?, row.int(1)?);
                if refunded > taken {
                    job.over_refund = Some(format!(
                        "not sent to the card processor: with the refunds recorded before it, it \
                         would give back more than the {} taken",
                        fairtill_core::money::Money::from_minor(taken, job.tx.amount.currency())
                    ));
                }
            }
            Ok(Some(job))
        })
        .await
    }

    /// Records what became of a try and lets the job go. A resolved job's result is recorded
    /// as the server's result change (pulled by the tills) in the same database transaction,
    /// under the push lock so its position follows every push before it, and so is what it
    /// means for the follow-up of a charge's order (`policy`). True when a result was recorded.
    pub async fn finish_job(
        &self,
        tx: TxId,
        outcome: JobOutcome,
        processor_name: &'static str,
        policy: super::FollowUpPolicy,
        now: Timestamp,
    ) -> Result<bool> {
        self.transact_push(move |db| {
            db.lock_pushes()?;
            let id = tx.to_string();
            match outcome {
                JobOutcome::Later {
                    state,
                    due_at,
                    processor_id,
                    approval_url,
                    message,
                } => {
                    // A payment waiting for the customer gets its approval link: the processor's,
                    // or else the server's own page (an off-session payment has none).
                    let token = crate::auth::new_token();
                    db.execute(
                        "UPDATE processor_jobs SET state = $1, due_at = $2, lease_until = 0,
                             processor_id = coalesce($3, processor_id), message = $4,
                             approval_token = CASE WHEN $1 = 'approval' THEN coalesce(approval_token, $5) END,
                             approval_url = CASE WHEN $1 = 'approval'
                                 THEN coalesce($7, '/approve/' || coalesce(approval_token, $5)) END
                         WHERE tx_id = $6",
                        params![state.as_str(), ms(due_at), processor_id, message, token, id.as_str(), approval_url],
                    )?;
                    Ok(false)
                }
                JobOutcome::Resolved {
                    result,
                    note,
                    processor_id,
                    hold_until,
                    releases_rest,
                    hard_decline,
                } => {
                    let (orders, roots) = super::orders::chain_of(db, &id)?;
                    let (mut ledger, _) = super::orders::replay(db, &orders, &roots)?;
                    let event_id = ledger.transaction(tx).and_then(|t| t.context.event_id);
                    let stamp =
                        server_stamp(event_id, format!("card processor ({processor_name})"), now);
                    let command = Command::ResolveResult {
                        tx,
                        result,
                        note: note.clone(),
                    };
                    let recorded = match ledger.execute(&command, &stamp) {
                        Ok(facts) => {
                            let n = query_one(
                                db,
                                "SELECT count(*) FROM result_changes WHERE transaction_id = $1",
                                params![id.as_str()],
                            )?
                            .map(|r| r.int(0))
                            .transpose()?
                            .unwrap_or(0);
                            for fact in facts {
                                if let Fact::ResultChanged { tx, mut change } = fact {
                                    change.expires_at = hold_until;
                                    let record = Record::ResultChange {
                                        transaction_id: tx,
                                        n: u32::try_from(n + 1).unwrap_or(u32::MAX),
                                        change,
                                    };
                                    super::push::store_server_record(db, &record, now)?;
                                }
                            }
                            if releases_rest && result == TxResult::Approved {
                                record_release(db, &mut ledger, tx, &stamp, now)?;
                            }
                            true
                        }
                        // Already decided (a result the ledger will not change): keep it.
                        Err(e) => {
                            tracing::warn!(tx = %id, error = %e, "processor answer not recorded");
                            false
                        }
                    };
                    db.execute(
                        "UPDATE processor_jobs SET state = 'done', lease_until = 0, finished_at = $1,
                             processor_id = coalesce($2, processor_id), approval_url = NULL,
                             approval_token = NULL, message = $3
                         WHERE tx_id = $4",
                        params![ms(now), processor_id, note.clone(), id.as_str()],
                    )?;
                    let charged = query_one(
                        db,
                        "SELECT created_at FROM processor_jobs WHERE tx_id = $1 AND kind = 'charge'",
                        params![id.as_str()],
                    )?;
                    if let (true, Some(job), Some(t)) = (recorded, charged, ledger.transaction(tx)) {
                        let answer = super::follow_up::ChargeAnswer {
                            result,
                            note: note.as_deref(),
                            hard: hard_decline,
                            arrived_at: time(job.int(0)?)?,
                        };
                        super::follow_up::after_charge(db, t, answer, &policy, now)?;
                    }
                    Ok(recorded)
                }
            }
        })
        .await
    }

    /// Where a charge or refund made on `device` stands.
    pub async fn payment_progress(&self, device: DeviceId, tx: TxId) -> Result<PaymentProgress> {
        self.transact(move |db| {
            let row = query_one(
                db,
                "SELECT j.state, t.result, j.message, j.approval_url FROM processor_jobs j
                 JOIN transactions t ON t.id = j.tx_id WHERE j.tx_id = $1 AND t.device_id = $2",
                params![tx.to_string(), device.to_string()],
            )?
            .ok_or_else(|| {
                StorageError::NotFound(format!("a charge or refund {tx} made on this till"))
            })?;
            Ok(PaymentProgress {
                transaction_id: tx,
                state: job_state(&row.text(0)?)?,
                result: TxResult::parse(&row.text(1)?)
                    .ok_or_else(|| StorageError::Backend("unknown result".into()))?,
                message: row.opt_text(2)?,
                approval_url: row.opt_text(3)?,
            })
        })
        .await
    }

    /// The payment waiting for the customer's approval under `token`: its ledger transaction,
    /// the processor's id and the amount.
    pub async fn approval(&self, token: String) -> Result<Option<Approval>> {
        self.transact(move |db| {
            let Some(row) = query_one(
                db,
                "SELECT j.tx_id, j.processor_id, t.amount_minor, t.currency FROM processor_jobs j
                 JOIN transactions t ON t.id = j.tx_id
                 WHERE j.approval_token = $1 AND j.state = 'approval'",
                params![token.as_str()],
            )?
            else {
                return Ok(None);
            };
            let currency = fairtill_core::money::Currency::from_code(&row.text(3)?)
                .map_err(|e| StorageError::Backend(e.to_string()))?;
            Ok(Some(Approval {
                tx: row
                    .text(0)?
                    .parse()
                    .map(TxId)
                    .map_err(|e| StorageError::Backend(e.to_string()))?,
                processor_id: row.opt_text(1)?,
                amount: fairtill_core::money::Money::from_minor(row.int(2)?, currency),
            }))
        })
        .await
    }

    /// Asks for job `tx` to be looked at now (the customer finished offsite).
    pub async fn job_due_now(&self, tx: TxId, now: Timestamp) -> Result<()> {
        self.transact(move |db| {
            db.execute(
                "UPDATE processor_jobs SET due_at = $1 WHERE tx_id = $2 AND state <> 'done'",
                params![ms(now), tx.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    /// A customer's processor account, as the server knows it.
    pub async fn customer_account(&self, id: CustomerId) -> Result<CustomerAccount> {
        self.transact(move |db| {
            let row = query_one(
                db,
                "SELECT name, email, processor_ref FROM customers WHERE id = $1",
                params![id.to_string()],
            )?
            .ok_or_else(|| {
                StorageError::NotFound(format!(
                    "customer {id} (sync the till first: the server has not received them)"
                ))
            })?;
            Ok(CustomerAccount {
                id,
                name: row.opt_text(0)?,
                email: row.opt_text(1)?,
                processor_ref: row.opt_text(2)?,
            })
        })
        .await
    }

    /// Keeps the processor's id of a customer (the first one made wins).
    pub async fn set_processor_ref(&self, id: CustomerId, processor_ref: String) -> Result<String> {
        self.transact(move |db| {
            db.execute(
                "UPDATE customers SET processor_ref = $1 WHERE id = $2 AND processor_ref IS NULL",
                params![processor_ref, id.to_string()],
            )?;
            query_one(
                db,
                "SELECT processor_ref FROM customers WHERE id = $1",
                params![id.to_string()],
            )?
            .and_then(|r| r.opt_text(0).transpose())
            .transpose()?
            .ok_or_else(|| StorageError::NotFound(format!("customer {id}")))
        })
        .await
    }

    /// Notes a card setup begun for a customer.
    pub async fn add_card_setup(
        &self,
        setup: String,
        customer: CustomerId,
        now: Timestamp,
    ) -> Result<()> {
        self.transact(move |db| {
            db.execute(
                "INSERT INTO card_setups (id, customer_id, created_at) VALUES ($1, $2, $3)",
                params![setup, customer.to_string(), ms(now)],
            )?;
            Ok(())
        })
        .await
    }

    /// The customer a card setup was begun for.
    pub async fn card_setup_customer(&self, setup: String) -> Result<CustomerId> {
        self.transact(move |db| {
            let row = query_one(
                db,
                "SELECT customer_id FROM card_setups WHERE id = $1",
                params![setup.as_str()],
            )?
            .ok_or_else(|| StorageError::NotFound(format!("card setup {setup}")))?;
            row.text(0)?
                .parse()
                .map(CustomerId)
                .map_err(|e| StorageError::Backend(e.to_string()))
        })
        .await
    }

    /// The customer's cards not removed, newest first.
    pub async fn cards_of(&self, customer: CustomerId) -> Result<Vec<SavedCard>> {
        self.transact(move |db| cards(db, customer)).await
    }

    /// Records a card saved by setup `setup` as the customer's default (the newest), and the
    /// cards it replaces as removed: records the tills pull. Saving the same card twice
    /// records it once.
    pub async fn save_card(
        &self,
        setup: String,
        card: SavedCard,
        replaced: Vec<String>,
        now: Timestamp,
    ) -> Result<()> {
        self.transact_push(move |db| {
            db.lock_pushes()?;
            db.execute(
                "UPDATE card_setups SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL",
                params![ms(now), setup.as_str()],
            )?;
            let known = query_one(
                db,
                "SELECT id FROM saved_cards WHERE id = $1",
                params![card.id.as_str()],
            )?
            .is_some();
            if !known {
                super::push::store_server_record(db, &Record::CardSaved { card: card.clone() }, now)?;
            }
            for old in replaced {
                let live = query_one(
                    db,
                    "SELECT id FROM saved_cards WHERE id = $1 AND removed_at IS NULL",
                    params![old.as_str()],
                )?
                .is_some();
                if live {
                    let record = Record::CardRemoved {
                        card_id: old.clone(),
                        customer_id: card.customer_id,
                        removed_at: now,
                    };
                    // A removed card's record has the card's id as key: store it once.
                    if query_one(
                        db,
                        "SELECT seq FROM records WHERE record_type = 'card_removed' AND record_id = $1",
                        params![old.as_str()],
                    )?
                    .is_none()
                    {
                        super::push::store_server_record(db, &record, now)?;
                    }
                }
            }
            super::follow_up::card_saved(db, card.customer_id, now)
        })
        .await
    }
}
