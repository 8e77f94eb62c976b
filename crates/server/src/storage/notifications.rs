//! The queue of messages for customers, as the mailer works through it. A process takes a
//! message by a lease and counts the try before it sends (as for processor jobs), so a process
//! killed mid-send leaves it to another after the lease: at most one duplicate, which the
//! message's fixed `Message-ID` lets a mail client drop.

use base64::Engine;
use fairtill_core::ids::CustomerId;
use fairtill_core::Timestamp;
use fairtill_protocol::{Notification, NotificationState};
use uuid::Uuid;

use super::{ms, Db, Result, Storage, StorageError};
use crate::params;

/// The messages whose `column` (`follow_up_id` or `order_id`) is `id`, oldest first.
pub(crate) fn messages_of(db: &mut dyn Db, column: &str, id: &str) -> Result<Vec<Notification>> {
    let uuid = |text: String| {
        text.parse::<Uuid>()
            .map_err(|e| StorageError::Backend(e.to_string()))
    };
    db.query(
        &format!(
            "SELECT id, kind, customer_id, email, subject, body, state, created_at, sent_at, attempts, error,
                    attachment_name, requested_by
             FROM notifications WHERE {column} = $1 ORDER BY created_at, id"
        ),
        params![id],
    )?
    .into_iter()
    .map(|n| {
        Ok(Notification {
            id: uuid(n.text(0)?)?,
            kind: n.text(1)?,
            customer_id: n.opt_text(2)?.map(uuid).transpose()?.map(CustomerId),
            email: n.opt_text(3)?,
            subject: n.text(4)?,
            body: n.text(5)?,
            attachment_name: n.opt_text(11)?,
            requested_by: n.opt_text(12)?,
            state: NotificationState::parse(&n.text(6)?)
                .ok_or_else(|| StorageError::Backend("unknown notification state".into()))?,
            created_at: n.time(7)?,
            sent_at: n.opt_time(8)?,
            attempts: u32::try_from(n.int(9)?).unwrap_or(u32::MAX),
            error: n.opt_text(10)?,
        })
    })
    .collect()
}

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
    /// HTML, if it has it.
    pub html: Option<String>,
    /// An attachment (file name, PDF bytes), if it has one.
    pub attachment: Option<(String, Vec<u8>)>,
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

fn insert_receipt(
    db: &mut dyn Db,
    id: Uuid,
    order: fairtill_core::ids::OrderId,
    email: &str,
    by: &str,
    m: &ReceiptMessage,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "INSERT INTO notifications (id, kind, order_id, email, subject, body, html, attachment_name, attachment,
                                    requested_by, state, created_at, next_at)
         VALUES ($1, 'receipt', $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $10)",
        params![
            id.to_string(),
            order.to_string(),
            email,
            m.subject.as_str(),
            m.text.as_str(),
            m.html.as_str(),
            m.file_name.as_str(),
            base64::engine::general_purpose::STANDARD.encode(&m.pdf),
            by,
            ms(now)
        ],
    )?;
    Ok(())
}

/// Queues the receipt a till asked to email (a pushed request), rendered now from the order
/// as the server has it. One the server cannot render (no such order here, no receipts set up,
/// a template that fails) is recorded failed with why, for the manager to see and send again.
pub(crate) fn requested_receipt(
    db: &mut dyn Db,
    request: &fairtill_core::receipt::ReceiptEmail,
    render: Option<&super::ReceiptRenderer>,
    now: i64,
) -> Result<()> {
    let at = super::time(now)?;
    let id = request.id;
    let by = format!("{} at a till", request.staff);
    let made = match render {
        None => Err("this server does not send receipts".to_string()),
        Some(render) => match super::orders::order(db, request.order_id, at) {
            Ok(o) => render(&o.view).map_err(|e| e.to_string()),
            Err(StorageError::NotFound(_)) => {
                Err("the order is not on the server (its till has not synced it)".to_string())
            }
            Err(e) => return Err(e),
        },
    };
    match made {
        Ok(m) => insert_receipt(db, id, request.order_id, &request.email, &by, &m, at),
        Err(why) => {
            db.execute(
                "INSERT INTO notifications (id, kind, order_id, email, subject, body, requested_by, state, created_at, error)
                 VALUES ($1, 'receipt', $2, $3, 'Receipt', '', $4, 'failed', $5, $6)",
                params![
                    id.to_string(),
                    request.order_id.to_string(),
                    request.email.as_str(),
                    by,
                    now,
                    why
                ],
            )?;
            Ok(())
        }
    }
}

/// A receipt email as it is queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptMessage {
    /// Subject.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: String,
    /// The PDF's file name.
    pub file_name: String,
    /// The PDF.
    pub pdf: Vec<u8>,
}

impl Storage {
    /// Queues `order`'s receipt for `email`, made by `render` from the order as the server
    /// knows it now, asked for by `by`. The message as queued (what the log shows is what is
    /// sent).
    pub async fn queue_receipt(
        &self,
        order: fairtill_core::ids::OrderId,
        email: String,
        by: String,
        render: impl FnOnce(&fairtill_core::ledger::OrderView) -> Result<ReceiptMessage>
            + Send
            + 'static,
        now: Timestamp,
    ) -> Result<Notification> {
        self.transact(move |db| {
            let view = super::orders::order(db, order, now)?.view;
            let m = render(&view)?;
            let id = Uuid::now_v7();
            insert_receipt(db, id, order, &email, &by, &m, now)?;
            messages_of(db, "order_id", &order.to_string())?
                .into_iter()
                .find(|n| n.id == id)
                .ok_or_else(|| StorageError::Backend("the receipt just queued is gone".into()))
        })
        .await
    }

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
                    "SELECT email, subject, body, attempts, html, attachment_name, attachment
                     FROM notifications WHERE id = $1",
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
                    html: m.opt_text(4)?,
                    attachment: match (m.opt_text(5)?, m.opt_text(6)?) {
                        (Some(name), Some(data)) => Some((
                            name,
                            base64::engine::general_purpose::STANDARD
                                .decode(data)
                                .map_err(|e| StorageError::Backend(e.to_string()))?,
                        )),
                        _ => None,
                    },
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
