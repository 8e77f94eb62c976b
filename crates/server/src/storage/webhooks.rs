//! The webhook outbox. An event is written in the database transaction that recorded what it
//! tells of (a push, the processor's answer, a follow-up's step), with one delivery per
//! endpoint that receives it, so nothing is sent for what was not committed and nothing
//! committed goes unsent. The server's deliverer takes due deliveries by a lease and counts
//! the attempt before it sends (as for mail and processor jobs): a process killed mid-send
//! leaves the delivery to another after the lease, at most one duplicate, with the same
//! `webhook-id` for the receiver to drop.

use std::collections::HashMap;

use fairtill_core::Timestamp;
use fairtill_protocol::{
    DeliveryState, Record, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEndpointChange,
    WebhookEvent, WebhookSecret,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{ms, query_one, Db, Result, Row, Storage, StorageError};
use crate::params;

/// The endpoints and the events each receives, and the automations that are on, read once per
/// database transaction that may emit events (a push reads it once per batch). An endpoint that
/// is off still gets its deliveries, stopped, so turning it on again sends everything it missed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subscribers(Vec<Subscriber>, Vec<super::automations::Armed>);

#[derive(Debug, Clone)]
struct Subscriber {
    id: String,
    events: Vec<WebhookEvent>,
    enabled: bool,
}

impl Subscribers {
    /// Every endpoint now.
    pub(crate) fn load(db: &mut dyn Db) -> Result<Subscribers> {
        let rows = db.query("SELECT id, events, enabled FROM webhook_endpoints", &[])?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Subscriber {
                id: r.text(0)?,
                events: events_of(&r.text(1)?),
                enabled: r.int(2)? == 1,
            });
        }
        Ok(Subscribers(out, super::automations::armed(db)?))
    }

    /// The automations that are on.
    pub(crate) fn automations(&self) -> &[super::automations::Armed] {
        &self.1
    }

    fn wants(&self, event: WebhookEvent) -> bool {
        self.0.iter().any(|s| s.events.contains(&event))
    }

    fn wants_any(&self, events: &[WebhookEvent]) -> bool {
        events.iter().any(|e| self.wants(*e))
    }
}

/// The stored list of event names.
fn events_of(text: &str) -> Vec<WebhookEvent> {
    text.split_whitespace()
        .filter_map(WebhookEvent::parse)
        .collect()
}

fn events_text(events: &[WebhookEvent]) -> String {
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes `event` about `subject` to the outbox, for every endpoint of `subs` that receives
/// it; nothing when none does, or when this event about this subject was written before.
pub(crate) fn emit(
    db: &mut dyn Db,
    subs: &Subscribers,
    event: WebhookEvent,
    subject: &str,
    data: Value,
    now: Timestamp,
) -> Result<()> {
    emit_also(db, subs, event, subject, data, now, None).map(|_| ())
}

/// Like [`emit`], and to the endpoint `also` as well (an automation's own) whatever events it
/// receives. The message's id (`webhook-id`) when one was written.
pub(crate) fn emit_also(
    db: &mut dyn Db,
    subs: &Subscribers,
    event: WebhookEvent,
    subject: &str,
    data: Value,
    now: Timestamp,
    also: Option<&str>,
) -> Result<Option<String>> {
    let to: Vec<&Subscriber> = subs
        .0
        .iter()
        .filter(|s| s.events.contains(&event) || also == Some(s.id.as_str()))
        .collect();
    if to.is_empty() {
        return Ok(None);
    }
    let id = format!("msg_{}", Uuid::now_v7().simple());
    let payload = json!({ "type": event.as_str(), "timestamp": now.to_string(), "data": data });
    let written = db.execute(
        "INSERT INTO webhook_messages (id, event, subject, payload, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event, subject) DO NOTHING",
        params![
            id.as_str(),
            event.as_str(),
            subject,
            payload.to_string(),
            ms(now)
        ],
    )?;
    if written == 0 {
        return Ok(None);
    }
    for sub in to {
        let state = if sub.enabled {
            DeliveryState::Pending
        } else {
            DeliveryState::Stopped
        };
        db.execute(
            "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, state, next_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
            params![
                Uuid::now_v7().to_string(),
                id.as_str(),
                sub.id.as_str(),
                state.as_str(),
                ms(now)
            ],
        )?;
    }
    Ok(Some(id))
}

/// Like [`emit`], reading the subscribers first: for the one event of a step outside a push.
pub(crate) fn emit_now(
    db: &mut dyn Db,
    event: WebhookEvent,
    subject: &str,
    data: Value,
    now: Timestamp,
) -> Result<()> {
    let subs = Subscribers::load(db)?;
    emit(db, &subs, event, subject, data, now)
}

/// The events a record just stored tells of. A transaction's result is read back as stored
/// (a result change may have arrived before it), so a payment that went from unknown to
/// approved is announced once, when it was approved.
pub(crate) fn record_stored(
    db: &mut dyn Db,
    subs: &Subscribers,
    record: &Record,
    now: Timestamp,
) -> Result<()> {
    const MONEY: [WebhookEvent; 3] = [
        WebhookEvent::PaymentApproved,
        WebhookEvent::PaymentDeclined,
        WebhookEvent::RefundCompleted,
    ];
    match record {
        Record::Order { order } => emit(
            db,
            subs,
            WebhookEvent::SaleRecorded,
            &order.id.to_string(),
            serde_json::to_value(order)?,
            now,
        ),
        Record::WriteOff { write_off } => emit(
            db,
            subs,
            WebhookEvent::OrderWrittenOff,
            &record.key().id,
            serde_json::to_value(write_off)?,
            now,
        ),
        Record::Transaction { transaction }
            if subs.wants_any(&MONEY) || !subs.automations().is_empty() =>
        {
            money_moved(db, subs, &transaction.id.to_string(), now)
        }
        Record::ResultChange { transaction_id, .. }
            if subs.wants_any(&MONEY) || !subs.automations().is_empty() =>
        {
            money_moved(db, subs, &transaction_id.to_string(), now)
        }
        Record::Transaction { .. }
        | Record::ResultChange { .. }
        | Record::Offer { .. }
        | Record::OfferRetirement { .. }
        | Record::Product { .. }
        | Record::Event { .. }
        | Record::TillOpened { .. }
        | Record::TillClosed { .. }
        | Record::Customer { .. }
        | Record::CardSaved { .. }
        | Record::CardRemoved { .. }
        | Record::ReceiptEmail { .. } => Ok(()),
    }
}

/// A payment approved or declined, or a refund completed, by transaction `id`'s stored kind
/// and result; an approved payment also runs the automations its order sets off.
fn money_moved(db: &mut dyn Db, subs: &Subscribers, id: &str, now: Timestamp) -> Result<()> {
    let Some(row) = query_one(
        db,
        "SELECT t.kind, t.result, r.body FROM transactions t
         JOIN records r ON r.record_type = 'transaction' AND r.record_id = t.id
         WHERE t.id = $1",
        params![id],
    )?
    else {
        return Ok(()); // a result change that came before its transaction
    };
    let event = match (row.text(0)?.as_str(), row.text(1)?.as_str()) {
        ("sale" | "capture", "approved") => WebhookEvent::PaymentApproved,
        ("sale" | "capture" | "authorize", "declined") => WebhookEvent::PaymentDeclined,
        ("refund", "approved") => WebhookEvent::RefundCompleted,
        _ => return Ok(()),
    };
    if event == WebhookEvent::PaymentApproved && !subs.automations().is_empty() {
        super::automations::payment_approved(db, subs, id, now)?;
    }
    if !subs.wants(event) {
        return Ok(());
    }
    let transaction = match serde_json::from_str::<Record>(&row.text(2)?)? {
        Record::Transaction { transaction } => serde_json::to_value(transaction)?,
        other => serde_json::to_value(other)?,
    };
    let data = json!({ "transaction": transaction, "result": row.text(1)? });
    emit(db, subs, event, id, data, now)
}

/// A delivery taken to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingWebhook {
    /// The delivery.
    pub delivery_id: Uuid,
    /// The `webhook-id`.
    pub message_id: String,
    /// Where to.
    pub url: String,
    /// The secrets to sign with: the endpoint's, and the one before a rotation while it is
    /// still valid.
    pub secrets: Vec<String>,
    /// The body.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempt: u32,
    /// Attempts in this round (since it was first queued, sent again, or its endpoint turned
    /// on again), this one included: where it is in the retry schedule.
    pub round_attempt: u32,
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Not taken: try again at this time.
    Retry(Timestamp),
    /// Not taken, and the schedule is used up.
    Failed,
    /// The receiver answered 410 Gone: turn its endpoint off.
    Gone,
}

/// An attempt as it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    /// The delivery.
    pub delivery_id: Uuid,
    /// The attempt's number.
    pub n: u32,
    /// When it was sent.
    pub at: Timestamp,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
    /// Milliseconds it took.
    pub took_ms: u32,
    /// What follows.
    pub outcome: WebhookOutcome,
}

fn uuid(text: &str) -> Result<Uuid> {
    text.parse()
        .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))
}

fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn delivery_state(text: &str) -> Result<DeliveryState> {
    DeliveryState::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("unknown delivery state {text:?}")))
}

fn event_of(text: &str) -> Result<WebhookEvent> {
    WebhookEvent::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("unknown webhook event {text:?}")))
}

const ENDPOINT_COLUMNS: &str = "e.id, e.url, e.description, e.events, e.enabled, e.disabled_reason, e.created_by, e.created_at, e.previous_until,
     (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending'),
     (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'failed'),
     (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'delivered'),
     (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'stopped')";

fn endpoint(row: &Row, now: Timestamp) -> Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: uuid(&row.text(0)?)?,
        url: row.text(1)?,
        description: row.text(2)?,
        events: events_of(&row.text(3)?),
        enabled: row.int(4)? == 1,
        disabled_reason: row.opt_text(5)?,
        created_by: row.text(6)?,
        created_at: row.time(7)?,
        previous_secret_until: row.opt_time(8)?.filter(|until| *until > now),
        pending: count(row.int(9)?),
        failed: count(row.int(10)?),
        delivered: count(row.int(11)?),
        stopped: count(row.int(12)?),
    })
}

fn one_endpoint(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<WebhookEndpoint> {
    let row = query_one(
        db,
        &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints e WHERE e.id = $1"),
        params![id.to_string()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("webhook endpoint {id}")))?;
    endpoint(&row, now)
}

fn one_delivery(db: &mut dyn Db, id: &str) -> Result<WebhookDelivery> {
    let row = query_one(
        db,
        "SELECT d.id, d.endpoint_id, d.message_id, m.event, m.subject, d.state, d.created_at,
                d.next_at, d.delivered_at, m.payload
         FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
         WHERE d.id = $1",
        params![id],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("webhook delivery {id}")))?;
    delivery(db, &row)
}

fn delivery(db: &mut dyn Db, row: &Row) -> Result<WebhookDelivery> {
    let id = row.text(0)?;
    let state = delivery_state(&row.text(5)?)?;
    let attempts = db
        .query(
            "SELECT n, at, status, error, took_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY n",
            params![id.as_str()],
        )?
        .iter()
        .map(|a| {
            Ok(WebhookAttempt {
                n: count(a.int(0)?),
                at: a.time(1)?,
                status: a.opt_int(2)?.and_then(|s| u16::try_from(s).ok()),
                error: a.opt_text(3)?,
                took_ms: count(a.int(4)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(WebhookDelivery {
        id: uuid(&id)?,
        endpoint_id: uuid(&row.text(1)?)?,
        message_id: row.text(2)?,
        event: event_of(&row.text(3)?)?,
        subject: row.text(4)?,
        state,
        created_at: row.time(6)?,
        next_at: match state {
            DeliveryState::Pending => Some(row.time(7)?),
            DeliveryState::Delivered | DeliveryState::Failed | DeliveryState::Stopped => None,
        },
        delivered_at: row.opt_time(8)?,
        payload: row.text(9)?,
        attempts,
    })
}

/// A checked endpoint, ready to store (the API checks the address and the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    /// Where to post.
    pub url: String,
    /// What it is.
    pub description: String,
    /// What it receives; at least one.
    pub events: Vec<WebhookEvent>,
    /// Its signing secret.
    pub secret: String,
}

impl Storage {
    /// Registers an endpoint; it receives the events that happen from now on.
    pub async fn add_webhook(
        &self,
        new: NewEndpoint,
        manager: String,
        now: Timestamp,
    ) -> Result<WebhookSecret> {
        if new.events.is_empty() {
            return Err(StorageError::Invalid(
                "choose at least one event to send to this endpoint".into(),
            ));
        }
        self.transact(move |db| {
            let id = Uuid::now_v7();
            db.execute(
                "INSERT INTO webhook_endpoints (id, url, description, events, secret, enabled, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
                params![
                    id.to_string(),
                    new.url.as_str(),
                    new.description.as_str(),
                    events_text(&new.events),
                    new.secret.as_str(),
                    manager.as_str(),
                    ms(now)
                ],
            )?;
            super::managers::audit(db, now, &manager, "webhook_added", &id.to_string(), Some(&new.url))?;
            Ok(WebhookSecret {
                endpoint: one_endpoint(db, id, now)?,
                secret: new.secret,
            })
        })
        .await
    }

    /// Changes an endpoint. Turned off, its waiting deliveries stop; turned on again, what was
    /// stopped is sent, from the start of the retry schedule.
    pub async fn change_webhook(
        &self,
        id: Uuid,
        change: WebhookEndpointChange,
        manager: String,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        if change.events.as_ref().is_some_and(Vec::is_empty) {
            return Err(StorageError::Invalid(
                "choose at least one event to send to this endpoint".into(),
            ));
        }
        self.transact(move |db| {
            let before = one_endpoint(db, id, now)?;
            let key = id.to_string();
            let mut said = Vec::new();
            if let Some(url) = &change.url {
                db.execute("UPDATE webhook_endpoints SET url = $1 WHERE id = $2", params![url, key.as_str()])?;
                said.push(format!("url {url}"));
            }
            if let Some(description) = &change.description {
                db.execute(
                    "UPDATE webhook_endpoints SET description = $1 WHERE id = $2",
                    params![description.trim(), key.as_str()],
                )?;
                said.push("description".to_string());
            }
            if let Some(events) = &change.events {
                db.execute(
                    "UPDATE webhook_endpoints SET events = $1 WHERE id = $2",
                    params![events_text(events), key.as_str()],
                )?;
                said.push(format!("events {}", events_text(events)));
            }
            match change.enabled {
                Some(true) if !before.enabled => {
                    db.execute(
                        "UPDATE webhook_endpoints SET enabled = 1, disabled_reason = NULL WHERE id = $1",
                        params![key.as_str()],
                    )?;
                    db.execute(
                        "UPDATE webhook_deliveries SET state = 'pending', next_at = $1, lease_until = 0, round_start = attempts
                         WHERE endpoint_id = $2 AND state = 'stopped'",
                        params![ms(now), key.as_str()],
                    )?;
                    said.push("turned on".to_string());
                }
                Some(false) if before.enabled => {
                    disable(db, &key, &format!("turned off by {manager}"))?;
                    said.push("turned off".to_string());
                }
                Some(_) | None => {}
            }
            super::managers::audit(db, now, &manager, "webhook_changed", &key, Some(&said.join(", ")))?;
            one_endpoint(db, id, now)
        })
        .await
    }

    /// Gives an endpoint a new secret; deliveries are signed with the old one as well until
    /// `keep_old_until`, so its receiver can switch without refusing any.
    pub async fn rotate_webhook_secret(
        &self,
        id: Uuid,
        secret: String,
        keep_old_until: Timestamp,
        manager: String,
        now: Timestamp,
    ) -> Result<WebhookSecret> {
        self.transact(move |db| {
            let changed = db.execute(
                "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $1, secret = $2 WHERE id = $3",
                params![ms(keep_old_until), secret.as_str(), id.to_string()],
            )?;
            if changed == 0 {
                return Err(StorageError::NotFound(format!("webhook endpoint {id}")));
            }
            super::managers::audit(db, now, &manager, "webhook_secret_rotated", &id.to_string(), None)?;
            Ok(WebhookSecret {
                endpoint: one_endpoint(db, id, now)?,
                secret,
            })
        })
        .await
    }

    /// Every endpoint, oldest first, with its deliveries counted by state.
    pub async fn webhooks(&self, now: Timestamp) -> Result<Vec<WebhookEndpoint>> {
        self.transact(move |db| {
            db.query(
                &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints e ORDER BY e.created_at, e.id"),
                &[],
            )?
            .iter()
            .map(|r| endpoint(r, now))
            .collect()
        })
        .await
    }

    /// An endpoint's latest deliveries (`limit` of them, in `state` if given), newest first,
    /// each with every attempt.
    pub async fn webhook_deliveries(
        &self,
        endpoint: Uuid,
        state: Option<DeliveryState>,
        limit: u32,
        now: Timestamp,
    ) -> Result<Vec<WebhookDelivery>> {
        self.transact(move |db| {
            one_endpoint(db, endpoint, now)?;
            let rows = db.query(
                "SELECT d.id, d.endpoint_id, d.message_id, m.event, m.subject, d.state, d.created_at,
                        d.next_at, d.delivered_at, m.payload
                 FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
                 WHERE d.endpoint_id = $1 AND d.state = coalesce($2, d.state)
                 ORDER BY d.created_at DESC, d.id DESC LIMIT $3",
                params![
                    endpoint.to_string(),
                    state.map(DeliveryState::as_str),
                    i64::from(limit.clamp(1, 1000))
                ],
            )?;
            rows.iter().map(|r| delivery(db, r)).collect()
        })
        .await
    }

    /// Sends a delivery again now, with the same `webhook-id`, from the start of the retry
    /// schedule: a receiver that lost it, or one fixed after every attempt failed.
    pub async fn resend_webhook(
        &self,
        id: Uuid,
        manager: String,
        now: Timestamp,
    ) -> Result<WebhookDelivery> {
        self.transact(move |db| {
            let key = id.to_string();
            let found = query_one(
                db,
                "SELECT e.enabled, e.url FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.id = $1",
                params![key.as_str()],
            )?
            .ok_or_else(|| StorageError::NotFound(format!("webhook delivery {id}")))?;
            if found.int(0)? != 1 {
                return Err(StorageError::Invalid(format!(
                    "the endpoint {} is turned off: turn it on to send to it again",
                    found.text(1)?
                )));
            }
            db.execute(
                "UPDATE webhook_deliveries SET state = 'pending', next_at = $1, lease_until = 0, round_start = attempts,
                     delivered_at = NULL
                 WHERE id = $2",
                params![ms(now), key.as_str()],
            )?;
            super::managers::audit(db, now, &manager, "webhook_sent_again", &key, None)?;
            one_delivery(db, &key)
        })
        .await
    }

    /// Takes up to `limit` due deliveries held by no process, until `lease_until`, counting
    /// the attempt.
    pub async fn take_webhooks(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutgoingWebhook>> {
        self.transact(move |db| {
            // The outer conditions are checked again on each row as it is updated, so two
            // processes never take the same delivery.
            let taken = db.query(
                "UPDATE webhook_deliveries SET lease_until = $1, attempts = attempts + 1
                 WHERE id IN (SELECT id FROM webhook_deliveries
                              WHERE state = 'pending' AND next_at <= $2 AND lease_until < $2
                              ORDER BY next_at, id LIMIT $3)
                   AND state = 'pending' AND lease_until < $2
                 RETURNING id, message_id, endpoint_id, attempts, round_start",
                params![ms(lease_until), ms(now), i64::from(limit)],
            )?;
            let mut payloads: HashMap<String, String> = HashMap::new();
            let mut endpoints: HashMap<String, (String, Vec<String>)> = HashMap::new();
            let mut out = Vec::with_capacity(taken.len());
            for row in taken {
                let message_id = row.text(1)?;
                let endpoint_id = row.text(2)?;
                if !payloads.contains_key(&message_id) {
                    let payload = query_one(
                        db,
                        "SELECT payload FROM webhook_messages WHERE id = $1",
                        params![message_id.as_str()],
                    )?
                    .map(|r| r.text(0))
                    .transpose()?
                    .unwrap_or_default();
                    payloads.insert(message_id.clone(), payload);
                }
                if !endpoints.contains_key(&endpoint_id) {
                    let e = query_one(
                        db,
                        "SELECT url, secret, previous_secret, previous_until FROM webhook_endpoints WHERE id = $1",
                        params![endpoint_id.as_str()],
                    )?
                    .ok_or_else(|| StorageError::Backend(format!("no endpoint {endpoint_id}")))?;
                    let mut secrets = vec![e.text(1)?];
                    if let (Some(old), Some(until)) = (e.opt_text(2)?, e.opt_time(3)?) {
                        if until > now {
                            secrets.push(old);
                        }
                    }
                    endpoints.insert(endpoint_id.clone(), (e.text(0)?, secrets));
                }
                let (url, secrets) = endpoints.get(&endpoint_id).cloned().unwrap_or_default();
                let attempts = row.int(3)?;
                out.push(OutgoingWebhook {
                    delivery_id: uuid(&row.text(0)?)?,
                    payload: payloads.get(&message_id).cloned().unwrap_or_default(),
                    message_id,
                    url,
                    secrets,
                    attempt: count(attempts),
                    round_attempt: count(attempts - row.int(4)?),
                });
            }
            Ok(out)
        })
        .await
    }

    /// Records a batch of attempts and lets their deliveries go.
    pub async fn webhooks_done(&self, results: Vec<AttemptResult>, now: Timestamp) -> Result<()> {
        self.transact(move |db| {
            for r in results {
                let id = r.delivery_id.to_string();
                db.execute(
                    "INSERT INTO webhook_attempts (delivery_id, n, at, status, error, took_ms)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, n) DO NOTHING",
                    params![
                        id.as_str(),
                        i64::from(r.n),
                        ms(r.at),
                        r.status.map(i64::from),
                        r.error.clone(),
                        i64::from(r.took_ms)
                    ],
                )?;
                match r.outcome {
                    WebhookOutcome::Delivered => db.execute(
                        // Delivered wins over an endpoint turned off while it was on its way.
                        "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $1, lease_until = 0
                         WHERE id = $2 AND state IN ('pending', 'stopped')",
                        params![ms(now), id.as_str()],
                    )?,
                    WebhookOutcome::Retry(at) => db.execute(
                        "UPDATE webhook_deliveries SET next_at = $1, lease_until = 0 WHERE id = $2 AND state = 'pending'",
                        params![ms(at), id.as_str()],
                    )?,
                    WebhookOutcome::Failed => db.execute(
                        "UPDATE webhook_deliveries SET state = 'failed', lease_until = 0 WHERE id = $1 AND state = 'pending'",
                        params![id.as_str()],
                    )?,
                    WebhookOutcome::Gone => {
                        let endpoint = query_one(
                            db,
                            "SELECT endpoint_id FROM webhook_deliveries WHERE id = $1",
                            params![id.as_str()],
                        )?
                        .map(|r| r.text(0))
                        .transpose()?
                        .unwrap_or_default();
                        disable(db, &endpoint, "the receiver answered 410 Gone")?
                    }
                };
            }
            Ok(())
        })
        .await
    }

    /// When the earliest pending delivery is due, if any.
    pub async fn next_webhook_at(&self) -> Result<Option<Timestamp>> {
        self.transact(|db| {
            super::time_of(
                db,
                "SELECT min(next_at) FROM webhook_deliveries WHERE state = 'pending'",
            )
        })
        .await
    }
}

/// Turns an endpoint off: its pending deliveries stop (one in flight is recorded, then stays
/// stopped).
fn disable(db: &mut dyn Db, endpoint: &str, reason: &str) -> Result<u64> {
    db.execute(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1 WHERE id = $2",
        params![reason, endpoint],
    )?;
    db.execute(
        "UPDATE webhook_deliveries SET state = 'stopped', lease_until = 0 WHERE endpoint_id = $1 AND state = 'pending'",
        params![endpoint],
    )
}
