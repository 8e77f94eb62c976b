//! The background task: sync whenever a connection is there, back off (exponentially, with
//! jitter) while the server is unreachable, sync at once on "Sync now", and publish a status the
//! UI reads without ever waiting on the network.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fairtill_core::ids::EventId;
use fairtill_core::Timestamp;
use fairtill_store::Till;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};

use crate::client::{ClientError, SyncClient};
use crate::round::{sync_once, Progress, SyncError};

/// What the UI shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncStatus {
    /// The last attempt reached the server.
    pub online: bool,
    /// A round is running now.
    pub syncing: bool,
    /// Records waiting to be pushed.
    #[ts(type = "number")]
    pub waiting: u64,
    /// The last round that finished.
    #[ts(type = "string | null")]
    pub last_success: Option<Timestamp>,
    /// What went wrong last (cleared by a successful round).
    pub last_error: Option<SyncFailure>,
    /// Open conflicts on the server that involve this device.
    pub open_conflicts: u32,
    /// Records the server refused as malformed.
    #[ts(type = "number")]
    pub rejected: u64,
    /// Progress of the running round's push.
    pub progress: Option<Progress>,
}

/// Why the last round stopped: what kind of failure, and its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncFailure {
    /// What the sync panel does about it.
    pub kind: Failure,
    /// What happened and what to do.
    pub message: String,
}

/// What kind of failure stopped the last round: what the sync panel does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The server cannot be reached: sales wait on the till.
    Offline,
    /// The server does not accept this till (revoked): enroll again.
    NotAccepted,
    /// This app is too old for the server: update Fairtill.
    UpdateApp,
    /// The server is too old for this app: update the server.
    UpdateServer,
    /// The server (or the till's database) was busy or failed: tried again by itself.
    Busy,
    /// The server refused what was sent.
    Refused,
    /// The disk is full.
    DiskFull,
    /// The till's database could not be used.
    Storage,
}

impl SyncError {
    /// What kind of failure this is.
    pub fn failure(&self) -> Failure {
        let store = |e: &fairtill_store::StoreError| match e.storage_problem() {
            Some(fairtill_store::StorageProblem::Busy) => Failure::Busy,
            Some(fairtill_store::StorageProblem::DiskFull) => Failure::DiskFull,
            Some(fairtill_store::StorageProblem::Failed) | None => Failure::Storage,
        };
        match self {
            SyncError::Client(e) => match e {
                ClientError::Offline(_) => Failure::Offline,
                ClientError::Unauthorized(_)
                | ClientError::SignIn(_)
                | ClientError::NotAllowed(_) => Failure::NotAccepted,
                ClientError::UpdateApp(_) => Failure::UpdateApp,
                ClientError::UpdateServer(_) => Failure::UpdateServer,
                ClientError::Busy(_) | ClientError::ServerFailed(_) => Failure::Busy,
                ClientError::Conflict(_)
                | ClientError::NotFound(_)
                | ClientError::TooLarge(_)
                | ClientError::Refused(_)
                | ClientError::Protocol(_) => Failure::Refused,
            },
            SyncError::Store(e) => store(e),
            SyncError::Outbox(crate::outbox::OutboxError::Store(e)) => store(e),
            SyncError::Outbox(_) | SyncError::Poisoned => Failure::Storage,
        }
    }
}

/// How often to sync and how to back off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Between successful rounds.
    pub interval: Duration,
    /// First wait after a failure.
    pub backoff_base: Duration,
    /// Longest wait after failures.
    pub backoff_max: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            interval: Duration::from_secs(15),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

impl Schedule {
    /// The wait after `failures` failures in a row: doubling from the base up to the maximum,
    /// then a random point in its upper half, so many tills do not retry in step.
    pub fn backoff(&self, failures: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)));
        let cap = exp.min(self.backoff_max);
        let half = cap / 2;
        half + rand::rng().random_range(Duration::ZERO..=half)
    }
}

/// A running background sync: ask it to sync now, read its status, stop it.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    wake: Arc<Notify>,
    status: watch::Receiver<SyncStatus>,
    stop: Arc<watch::Sender<bool>>,
}

impl SyncHandle {
    /// Sync as soon as possible (ends any wait or backoff).
    pub fn sync_now(&self) {
        self.wake.notify_one();
    }

    /// The current status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// A receiver that changes with the status.
    pub fn watch(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Stops the task after its current step.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

fn waiting(till: &Mutex<Till>) -> u64 {
    till.lock()
        .ok()
        .and_then(|t| t.outbox().ok())
        .map(|o| o.total)
        .unwrap_or(0)
}

/// Starts syncing `till` with `client` on the current tokio runtime. `event` says which event
/// the device is at now (its records from other devices are pulled).
pub fn spawn(
    till: Arc<Mutex<Till>>,
    client: SyncClient,
    event: Arc<dyn Fn() -> Option<EventId> + Send + Sync>,
    schedule: Schedule,
) -> SyncHandle {
    let wake = Arc::new(Notify::new());
    let (status_tx, status_rx) = watch::channel(SyncStatus {
        waiting: waiting(&till),
        ..SyncStatus::default()
    });
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let handle = SyncHandle {
        wake: wake.clone(),
        status: status_rx,
        stop: Arc::new(stop_tx),
    };
    let status_tx = Arc::new(status_tx);
    tokio::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            if *stop_rx.borrow() {
                return;
            }
            status_tx.send_modify(|s| s.syncing = true);
            let progress_tx = status_tx.clone();
            let progress = move |p: Progress| progress_tx.send_modify(|s| s.progress = Some(p));
            let outcome: Result<_, SyncError> = async {
                let report = sync_once(&till, &client, event(), &progress).await?;
                let remote = client.status().await?;
                Ok((report, remote))
            }
            .await;
            let left = waiting(&till);
            let rejected = till
                .lock()
                .ok()
                .and_then(|t| t.rejections().ok())
                .map(|r| r.len() as u64)
                .unwrap_or(0);
            let wait = match outcome {
                Ok((_, remote)) => {
                    failures = 0;
                    status_tx.send_modify(|s| {
                        s.online = true;
                        s.last_success = Some(Timestamp::now());
                        s.last_error = None;
                        s.open_conflicts = remote.open_conflicts;
                    });
                    schedule.interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let kind = e.failure();
                    tracing::info!(failure = ?kind, failures, "sync round failed");
                    status_tx.send_modify(|s| {
                        s.online = kind != Failure::Offline;
                        s.last_error = Some(SyncFailure {
                            kind,
                            message: e.to_string(),
                        });
                    });
                    schedule.backoff(failures)
                }
            };
            status_tx.send_modify(|s| {
                s.syncing = false;
                s.progress = None;
                s.waiting = left;
                s.rejected = rejected;
            });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
                _ = stop_rx.changed() => {}
            }
        }
    });
    handle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let s = Schedule::default();
        for (failures, full) in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)] {
            for _ in 0..50 {
                let d = s.backoff(failures);
                let full = Duration::from_secs(full);
                assert!(d >= full / 2 && d <= full, "{failures}: {d:?}");
            }
        }
        let spread: std::collections::HashSet<Duration> = (0..20).map(|_| s.backoff(5)).collect();
        assert!(spread.len() > 1, "jitter spreads retries");
    }
}
