//! The queue of messages for customers, as the mailer works through it. A process takes a
//! message by a lease and counts the try before it sends (as for processor jobs), so a process
//! killed mid-send leaves it to another after the lease: at most one duplicate, which the
//! message's fixed `Message-ID` lets a mail client drop.

use fairtill_core::Timestamp;
use uuid::Uuid;

use super::{ms, Result, Storage, StorageError};
use crate::params;

/// A message taken to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Its id (also its `Message-ID`).
    pub id: Uuid,
    /// The customer's address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain text.
    pub body: String,
    /// Tries so far, this one included.
    pub attempts: u32,
}

/// What became of a try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// The mail server took it.
    Sent,
    /// Not taken this time: try again at `retry_at`.
    Retry {
        /// Why, in the mail server's words.
        error: String,
        /// When.
        retry_at: Timestamp,
    },
    /// Refused for good (a bad address, a mail server that says no), or out of tries.
    Failed {
        /// Why.
        error: String,
    },
}

impl Storage {
    /// Takes up to `limit` queued messages that are due and held by no process, until
    /// `lease_until`, counting the try. Messages with no address wait for one.
    pub async fn take_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutgoingMail>> {
        self.transact(move |db| {
            let due = db.query(
                "SELECT id FROM notifications WHERE state = 'queued' AND email IS NOT NULL
                     AND next_at <= $1 AND lease_until < $1
                 ORDER BY next_at, id LIMIT $2",
                params![ms(now), i64::from(limit)],
            )?;
            let mut taken = Vec::with_capacity(due.len());
            for row in due {
                let id = row.text(0)?;
                let claimed = db.execute(
                    "UPDATE notifications SET lease_until = $1, attempts = attempts + 1
                     WHERE id = $2 AND state = 'queued' AND lease_until < $3",
                    params![ms(lease_until), id.as_str(), ms(now)],
                )?;
                if claimed == 0 {
                    continue;
                }
                let Some(m) = super::query_one(
                    db,
                    "SELECT email, subject, body, attempts FROM notifications WHERE id = $1",
                    params![id.as_str()],
                )?
                else {
                    continue;
                };
                taken.push(OutgoingMail {
                    id: id
                        .parse()
                        .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))?,
                    to: m.text(0)?,
                    subject: m.text(1)?,
                    body: m.text(2)?,
                    attempts: u32::try_from(m.int(3)?).unwrap_or(u32::MAX),
                });
            }
            Ok(taken)
        })
        .await
    }

    /// Records what became of a try and lets the message go.
    pub async fn mail_done(&self, id: Uuid, outcome: MailOutcome, now: Timestamp) -> Result<()> {
        self.transact(move |db| {
            let id = id.to_string();
            match outcome {
                MailOutcome::Sent => db.execute(
                    "UPDATE notifications SET state = 'sent', sent_at = $1, lease_until = 0, error = NULL
                     WHERE id = $2",
                    params![ms(now), id.as_str()],
                ),
                MailOutcome::Retry { error, retry_at } => db.execute(
                    "UPDATE notifications SET next_at = $1, lease_until = 0, error = $2
                     WHERE id = $3 AND state = 'queued'",
                    params![ms(retry_at), error, id.as_str()],
                ),
                MailOutcome::Failed { error } => db.execute(
                    "UPDATE notifications SET state = 'failed', lease_until = 0, error = $1
                     WHERE id = $2 AND state = 'queued'",
                    params![error, id.as_str()],
                ),
            }?;
            Ok(())
        })
        .await
    }
}
