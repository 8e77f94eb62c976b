//! Carrying out the ledger's charges and refunds at the processor: the one place money moves.
//!
//! A [`Charging`] runs beside the API in every server process. It wakes when a push stores a
//! charge or refund (and on a timer, which is also how it polls what waits: a lost webhook only
//! delays an answer), takes each due job by its lease, and for each try:
//!
//! 1. if an earlier try may have reached the processor (the job's committed `attempts`), asks
//!    the processor what that try made — by the stored id, or by the ledger id in metadata —
//!    and only if nothing was made, sends the request (with the ledger id as idempotency key);
//! 2. records the answer as the server's result change, or when to ask again.
//!
//! A process killed anywhere in between leaves the job leased until the lease runs out; the
//! next try finds what the processor made instead of making it again.
//!
//! Each look also makes the charges the server owes on its own (scheduled charges whose time
//! came, follow-up attempts of declined payments: `storage::follow_up`), as jobs like any other.

use std::sync::Arc;
use std::time::Duration;

use fairtill_core::ledger::{PaymentMethod, TxResult};
use fairtill_core::{SignedDuration, Timestamp};
use tokio::sync::{Notify, Semaphore};

use crate::processor::{
    Capture, CustomerRef, Payment, PaymentRequest, PaymentStatus, Processor, ProcessorError,
    Refund, RefundStatus,
};
use crate::storage::{FollowUpPolicy, Job, JobKind, JobOutcome, JobState, Storage};

/// How the server handles what it sends to the processor.
#[derive(Debug, Clone)]
pub struct ChargingConfig {
    /// How long a process holds a job it took. Longer than any processor call may take, so a
    /// slow answer is never overtaken by a second try.
    pub lease: Duration,
    /// How often to ask about what waits (offsite approval, pending refunds, a processor that
    /// could not be reached), and to look for due jobs another process queued.
    pub poll: Duration,
    /// How long a customer has to approve a payment offsite before it is abandoned (and
    /// canceled at the processor).
    pub approval_limit: Duration,
    /// Jobs worked on at once (each waits for the processor's rate limit in the adapter).
    pub concurrency: usize,
    /// How declined payments are followed up.
    pub follow_up: FollowUpPolicy,
}

impl Default for ChargingConfig {
    fn default() -> Self {
        ChargingConfig {
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(5),
            approval_limit: Duration::from_secs(15 * 60),
            concurrency: 8,
            follow_up: FollowUpPolicy::default(),
        }
    }
}

/// Test hook: `FAIRTILL_TEST_CRASH_AT=<step>` makes the process exit at once at that step of
/// its first job, as if killed (the fault test's way to stop it exactly there). Steps:
/// `claimed`, `answered` (the processor answered; nothing stored), `recorded`.
const CRASH_VAR: &str = "FAIRTILL_TEST_CRASH_AT";

fn crash_point(step: &str) {
    if std::env::var(CRASH_VAR).is_ok_and(|s| s == step) {
        tracing::warn!(step, "stopping here for a fault test ({CRASH_VAR})");
        std::process::exit(86);
    }
}

/// The job runner of one server process.
pub struct Charging {
    storage: Storage,
    processor: Arc<dyn Processor>,
    config: ChargingConfig,
    wake: Notify,
    answered: Notify,
    /// Woken when an answer is recorded: the webhooks it queued go at once.
    webhooks: std::sync::OnceLock<Arc<crate::webhooks::Deliverer>>,
    now: fn() -> Timestamp,
}

impl std::fmt::Debug for Charging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Charging")
            .field("processor", &self.processor.name())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn later(now: Timestamp, wait: Duration) -> Timestamp {
    now.saturating_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX))
        .unwrap_or(now)
}

/// The wait before try `n` after the processor could not be reached: 2 s doubling, at most 5 min.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempts.min(8)).min(300))
}

impl Charging {
    /// A runner over `storage` sending to `processor`.
    pub fn new(
        storage: Storage,
        processor: Arc<dyn Processor>,
        config: ChargingConfig,
        now: fn() -> Timestamp,
    ) -> Arc<Charging> {
        Arc::new(Charging {
            storage,
            processor,
            config,
            wake: Notify::new(),
            answered: Notify::new(),
            webhooks: std::sync::OnceLock::new(),
            now,
        })
    }

    /// Wakes `deliverer` whenever a processor's answer is recorded, so the payment's webhooks
    /// are sent at once rather than at its next look.
    pub fn announce_to(&self, deliverer: Arc<crate::webhooks::Deliverer>) {
        let _ = self.webhooks.set(deliverer);
    }

    /// The processor it sends to.
    pub fn processor(&self) -> &Arc<dyn Processor> {
        &self.processor
    }

    /// How declined payments are followed up.
    pub fn follow_up_policy(&self) -> &FollowUpPolicy {
        &self.config.follow_up
    }

    /// Asks the runner to look for due jobs now (after a push stored a charge or refund, or a
    /// webhook said something changed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Returns when this process next records a processor's answer.
    pub async fn answered(&self) {
        self.answered.notified().await;
    }

    /// Runs until the process ends: due jobs as they come, and a look every poll interval.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match me.run_due().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "looking for processor jobs failed"),
                }
                tokio::select! {
                    () = me.wake.notified() => {}
                    () = tokio::time::sleep(me.config.poll) => {}
                }
            }
        })
    }

    /// Takes and carries out every job due now, several at once; how many it took.
    pub async fn run_due(self: &Arc<Self>) -> Result<usize, crate::storage::StorageError> {
        let now = (self.now)();
        let made = self.storage.make_due_charges(now).await?;
        if made > 0 {
            tracing::info!(made, "charges made on schedule or in follow-up");
        }
        let due = self.storage.due_jobs(now, 500).await?;
        let gate = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut running = tokio::task::JoinSet::new();
        let mut taken = 0;
        for tx in due {
            let Ok(permit) = Arc::clone(&gate).acquire_owned().await else {
                break;
            };
            let now = (self.now)();
            let lease = later(now, self.config.lease);
            let Some(job) = self.storage.claim_job(tx, now, lease).await? else {
                continue; // another process took it
            };
            taken += 1;
            let me = Arc::clone(self);
            running.spawn(async move {
                let _permit = permit;
                if let Err(e) = me.carry_out(job).await {
                    tracing::warn!(%tx, error = %e, "a processor job could not be recorded");
                }
            });
        }
        while running.join_next().await.is_some() {}
        Ok(taken)
    }

    async fn carry_out(&self, job: Job) -> Result<(), crate::storage::StorageError> {
        crash_point("claimed");
        let tx = job.tx.id;
        let outcome = match job.kind {
            JobKind::Charge => self.charge(&job, Capture::Now).await,
            JobKind::Authorize => self.charge(&job, Capture::Later).await,
            JobKind::Capture => self.capture(&job).await,
            JobKind::Release => self.release(&job).await,
            JobKind::Refund => self.refund(&job).await,
        };
        let now = (self.now)();
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::info!(%tx, error = %e, "processor not reached; trying again later");
                JobOutcome::Later {
                    state: job.state,
                    due_at: later(now, backoff(job.attempts)),
                    processor_id: job.processor_id.clone(),
                    approval_url: None,
                    message: Some(e.to_string()),
                }
            }
        };
        crash_point("answered");
        let resolved = matches!(outcome, JobOutcome::Resolved { .. });
        self.storage
            .finish_job(
                tx,
                outcome,
                self.processor.name(),
                self.config.follow_up.clone(),
                now,
            )
            .await?;
        if resolved {
            tracing::info!(%tx, kind = ?job.kind, "processor answer recorded");
            if let Some(d) = self.webhooks.get() {
                d.wake();
            }
        }
        self.answered.notify_waiters();
        crash_point("recorded");
        Ok(())
    }

    /// What was made at the processor for this job by an earlier try, if one may have been.
    async fn earlier_payment(&self, job: &Job) -> Result<Option<Payment>, ProcessorError> {
        match (&job.processor_id, job.tried_before) {
            (Some(id), _) => self.processor.payment(id).await.map(Some),
            (None, true) => self.processor.find_payment(job.tx.id).await,
            (None, false) => Ok(None),
        }
    }

    async fn charge(&self, job: &Job, capture: Capture) -> Result<JobOutcome, ProcessorError> {
        let now = (self.now)();
        let PaymentMethod::CardOnFile { card, .. } = &job.tx.method else {
            return Ok(refused(
                "this transaction is not a charge to a card on file",
            ));
        };
        let payment = match self.earlier_payment(job).await? {
            Some(p) => p,
            None => {
                let Some(customer) = &job.customer_ref else {
                    return Ok(refused(
                        "the customer has no account at the card processor; save their card again",
                    ));
                };
                let request = PaymentRequest {
                    ledger_tx: job.tx.id,
                    amount: job.tx.amount,
                    customer: CustomerRef(customer.clone()),
                    card: card.clone(),
                    capture,
                    description: format!("Fairtill {}", job.tx.id),
                };
                match self.processor.pay(&request).await {
                    Ok(p) => p,
                    // The processor refused the request itself (a removed card, a closed
                    // account, a bad amount): nothing was charged, and retrying will not
                    // change that — as hard as a decline gets.
                    Err(ProcessorError::Refused(words)) => {
                        return Ok(decline(
                            format!("the card processor refused the charge: {words}"),
                            None,
                            true,
                        ))
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        Ok(self.charge_outcome(job, payment, now).await)
    }

    async fn charge_outcome(&self, job: &Job, payment: Payment, now: Timestamp) -> JobOutcome {
        let id = Some(payment.id.clone());
        match payment.status {
            PaymentStatus::Approved => answer(TxResult::Approved, None, id),
            PaymentStatus::Declined { reason, hard } => decline(
                if hard {
                    format!("{reason} (the card cannot be charged again)")
                } else {
                    reason
                },
                id,
                hard,
            ),
            PaymentStatus::Canceled => answer(
                TxResult::Canceled,
                Some("the customer did not approve the payment".into()),
                id,
            ),
            PaymentStatus::NeedsApproval { url } => {
                let waited = now.duration_since(job.created_at);
                let limit = SignedDuration::try_from(self.config.approval_limit)
                    .unwrap_or(SignedDuration::MAX);
                if waited >= limit {
                    // Give it up at the processor first, so it can never be approved late.
                    match self.processor.cancel(&payment.id).await {
                        Ok(_) => answer(
                            TxResult::Abandoned,
                            Some(
                                "the customer did not approve the payment in time; it was canceled"
                                    .into(),
                            ),
                            id,
                        ),
                        Err(e) => JobOutcome::Later {
                            state: JobState::Approval,
                            due_at: later(now, self.config.poll),
                            processor_id: id,
                            approval_url: None,
                            message: Some(format!("could not cancel it yet: {e}")),
                        },
                    }
                } else {
                    JobOutcome::Later {
                        state: JobState::Approval,
                        due_at: later(now, self.config.poll),
                        processor_id: id,
                        approval_url: url,
                        message: Some("waiting for the customer's approval".into()),
                    }
                }
            }
            // An authorization is approved once the processor holds the money, until its
            // `capture_before` (which the ledger's expiry then follows).
            PaymentStatus::Authorized { capture_before } if job.kind == JobKind::Authorize => {
                JobOutcome::Resolved {
                    result: TxResult::Approved,
                    note: None,
                    processor_id: id,
                    hold_until: capture_before,
                    releases_rest: false,
                    hard_decline: false,
                }
            }
            PaymentStatus::Processing | PaymentStatus::Authorized { .. } => {
                self.ask_again(now, id, "the card processor has not decided yet")
            }
        }
    }

    /// The payment a capture or release acts on, read afresh when an earlier try may have
    /// changed it.
    async fn intent_if_tried(
        &self,
        job: &Job,
        payment: &str,
    ) -> Result<Option<Payment>, ProcessorError> {
        if job.tried_before {
            self.processor.payment(payment).await.map(Some)
        } else {
            Ok(None)
        }
    }

    /// Not decided yet at the processor: ask again at the next poll.
    fn ask_again(&self, now: Timestamp, id: Option<String>, message: &str) -> JobOutcome {
        JobOutcome::Later {
            state: JobState::Due,
            due_at: later(now, self.config.poll),
            processor_id: id,
            approval_url: None,
            message: Some(message.into()),
        }
    }

    /// Captures an authorization at the processor. The ledger allows one capture per
    /// authorization to a card on file, so an earlier try that went through shows as the
    /// payment having taken its money.
    async fn capture(&self, job: &Job) -> Result<JobOutcome, ProcessorError> {
        let now = (self.now)();
        let Some(payment) = &job.parent_payment else {
            return Ok(refused(
                "the authorization it captures was never made at the card processor",
            ));
        };
        let earlier = self.intent_if_tried(job, payment).await?;
        let answer_now = match earlier {
            Some(p) if p.status == PaymentStatus::Approved => p,
            Some(_) | None => {
                match self
                    .processor
                    .capture(payment, job.tx.amount, job.tx.id)
                    .await
                {
                    Ok(p) => p,
                    // Refused: released, lapsed or already captured there; nothing was taken.
                    Err(ProcessorError::Refused(words)) => {
                        return Ok(answer(
                            TxResult::Declined,
                            Some(format!("the card processor refused the capture: {words}")),
                            Some(payment.clone()),
                        ))
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let id = Some(answer_now.id.clone());
        Ok(match answer_now.status {
            // The processor releases what one capture leaves unless it captures several times:
            // the server then records that release as a void of the rest.
            PaymentStatus::Approved => JobOutcome::Resolved {
                result: TxResult::Approved,
                note: None,
                processor_id: id,
                hold_until: None,
                releases_rest: !self.processor.capabilities().multiple_captures,
                hard_decline: false,
            },
            PaymentStatus::Declined { reason, .. } => answer(TxResult::Declined, Some(reason), id),
            PaymentStatus::Canceled => answer(
                TxResult::Declined,
                Some(
                    "the authorization was released at the card processor before it was captured"
                        .into(),
                ),
                id,
            ),
            PaymentStatus::Authorized { .. }
            | PaymentStatus::Processing
            | PaymentStatus::NeedsApproval { .. } => {
                self.ask_again(now, id, "the card processor has not captured it yet")
            }
        })
    }

    /// Releases an authorization at the processor (the ledger's void of it).
    async fn release(&self, job: &Job) -> Result<JobOutcome, ProcessorError> {
        let now = (self.now)();
        let Some(payment) = &job.parent_payment else {
            return Ok(refused(
                "the authorization it voids was never made at the card processor",
            ));
        };
        let earlier = self.intent_if_tried(job, payment).await?;
        let released = match earlier {
            Some(p) if p.status == PaymentStatus::Canceled => p,
            Some(_) | None => match self.processor.cancel(payment).await {
                Ok(p) => p,
                Err(ProcessorError::Refused(words)) => {
                    return Ok(answer(
                        TxResult::Declined,
                        Some(format!("the card processor could not release it: {words}")),
                        Some(payment.clone()),
                    ))
                }
                Err(e) => return Err(e),
            },
        };
        let id = Some(released.id.clone());
        Ok(match released.status {
            PaymentStatus::Canceled => answer(TxResult::Approved, None, id),
            PaymentStatus::Approved => answer(
                TxResult::Declined,
                Some("the card processor had already captured it".into()),
                id,
            ),
            PaymentStatus::Declined { reason, .. } => answer(TxResult::Declined, Some(reason), id),
            PaymentStatus::Authorized { .. }
            | PaymentStatus::Processing
            | PaymentStatus::NeedsApproval { .. } => {
                self.ask_again(now, id, "the card processor has not released it yet")
            }
        })
    }

    async fn refund(&self, job: &Job) -> Result<JobOutcome, ProcessorError> {
        let now = (self.now)();
        let earlier = match (&job.processor_id, job.tried_before) {
            (Some(id), _) => Some(self.processor.refund_status(id).await?),
            (None, true) => self.processor.find_refund(job.tx.id).await?,
            (None, false) => None,
        };
        let refund = match earlier {
            Some(r) => r,
            None => {
                if let Some(why) = &job.over_refund {
                    return Ok(answer(TxResult::Declined, Some(why.clone()), None));
                }
                let Some(payment) = &job.parent_payment else {
                    return Ok(refused(
                        "the payment it refunds was never charged at the card processor",
                    ));
                };
                match self
                    .processor
                    .refund(payment, job.tx.amount, job.tx.id)
                    .await
                {
                    Ok(r) => r,
                    Err(ProcessorError::Refused(words)) => {
                        return Ok(answer(
                            TxResult::Declined,
                            Some(format!("the card processor refused the refund: {words}")),
                            None,
                        ))
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        Ok(refund_outcome(refund, now, self.config.poll))
    }
}

/// The processor's answer, as a job outcome that decides the transaction's result.
fn answer(result: TxResult, note: Option<String>, processor_id: Option<String>) -> JobOutcome {
    JobOutcome::Resolved {
        result,
        note,
        processor_id,
        hold_until: None,
        releases_rest: false,
        hard_decline: false,
    }
}

/// A decline of a charge; `hard` when no retry of the card can succeed.
fn decline(reason: String, processor_id: Option<String>, hard: bool) -> JobOutcome {
    JobOutcome::Resolved {
        result: TxResult::Declined,
        note: Some(reason),
        processor_id,
        hold_until: None,
        releases_rest: false,
        hard_decline: hard,
    }
}

fn refused(why: &str) -> JobOutcome {
    answer(TxResult::Declined, Some(why.to_string()), None)
}

fn refund_outcome(refund: Refund, now: Timestamp, poll: Duration) -> JobOutcome {
    let id = Some(refund.id);
    match refund.status {
        RefundStatus::Complete => answer(TxResult::Approved, None, id),
        RefundStatus::Failed => answer(
            TxResult::Declined,
            Some("the card processor could not return the money".into()),
            id,
        ),
        RefundStatus::Canceled => answer(
            TxResult::Canceled,
            Some("the refund was canceled at the card processor".into()),
            id,
        ),
        RefundStatus::Pending => JobOutcome::Later {
            state: JobState::Pending,
            due_at: later(now, poll),
            processor_id: id,
            approval_url: None,
            message: Some("sent; the card processor has not finished it".into()),
        },
    }
}
