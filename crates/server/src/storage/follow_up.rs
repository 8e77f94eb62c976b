//! Charges the server makes on its own (docs/domain.md, rule 15): scheduled charges of an
//! order's balance, and the follow-up of a declined charge to a saved card (dunning).
//!
//! Both make ordinary ledger transactions: a card-on-file sale of the order's balance due,
//! recorded by the server (`DeviceId::SERVER`) as `unknown` and queued as a processor job in the
//! same database transaction, so the runner charges it like a till's, exactly once. Each step
//! is taken under the push lock with a guard on the row's state, so two server processes never
//! make the same charge twice.
//!
//! A follow-up begins when a card-on-file sale of an order is declined while the customer was
//! not there to pay another way: a scheduled charge, an attempt of a follow-up, or a till's
//! charge that reached the server well after it was recorded (made offline). It retries on the
//! policy's schedule, skips the card after a hard decline, queues a message for the customer
//! with their update-your-card link, and stops when an attempt is approved, the order is paid
//! otherwise, the schedule runs out, or a manager ends it. A new card saved for the customer
//! brings the next attempt forward to now.

use fairtill_core::ids::{CustomerId, OrderId, TxId};
use fairtill_core::ledger::{
    Command, Fact, Ledger, Payment, PaymentKind, PaymentMethod, Transaction, TxKind, TxResult,
};
use fairtill_core::money::{Currency, Money};
use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::{
    FollowUp, FollowUpAttempt, FollowUpState, Record, ScheduleState, ScheduledCharge, WebhookEvent,
};
use uuid::Uuid;

use super::{ms, query_one, time, Db, Result, Row, Storage, StorageError};
use crate::params;

/// How the server follows up declined payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpPolicy {
    /// When each attempt is made, counted from the first decline (Stripe recommends 8 tries
    /// within 2 weeks).
    pub retries: Vec<SignedDuration>,
    /// A till's charge that reached the server this long after it was recorded was made
    /// offline: the customer was not there when it was declined.
    pub offline_after: SignedDuration,
    /// The server's address as customers reach it, for the update-your-card link.
    pub public_url: String,
    /// How long the update-your-card link works.
    pub link_valid: SignedDuration,
}

impl Default for FollowUpPolicy {
    fn default() -> Self {
        FollowUpPolicy {
            retries: [1, 3, 5, 7, 9, 11, 13, 14]
                .into_iter()
                .map(|d| SignedDuration::from_hours(24 * d))
                .collect(),
            offline_after: SignedDuration::from_mins(2),
            public_url: "http://127.0.0.1:7780".into(),
            link_valid: SignedDuration::from_hours(30 * 24),
        }
    }
}

impl FollowUpPolicy {
    /// Parses a schedule such as `1d,3d,5d,7d,9d,11d,13d,14d` (or `2s,1h 30m`): the time of
    /// each attempt after the first decline, in increasing order.
    pub fn parse_retries(text: &str) -> std::result::Result<Vec<SignedDuration>, String> {
        let mut out: Vec<SignedDuration> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let span: jiff::Span = part
                .parse()
                .map_err(|e| format!("{part:?} is not a time such as 1d or 2h 30m: {e}"))?;
            let d = span
                .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .map_err(|e| format!("{part:?} is not a time such as 1d or 2h 30m: {e}"))?;
            if !d.is_positive() || out.last().is_some_and(|last| d <= *last) {
                return Err(format!(
                    "{part:?}: each attempt's time must be after the one before it"
                ));
            }
            out.push(d);
        }
        Ok(out)
    }
}

/// Who the server says made its own charges, in the ledger and on receipts.
const SCHEDULED_STAFF: &str = "scheduled charge";
const FOLLOW_UP_STAFF: &str = "follow-up of a declined payment";

/// The open states as an SQL list for `state IN (…)` (from [`FollowUpState::is_open`]).
pub(crate) fn open_states() -> String {
    fairtill_core::filter::sql_names(
        FollowUpState::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str()),
    )
}

fn uuid(row: &Row, i: usize) -> Result<Uuid> {
    row.text(i)?
        .parse()
        .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))
}

fn opt_uuid(row: &Row, i: usize) -> Result<Option<Uuid>> {
    row.opt_text(i)?
        .map(|t| {
            t.parse()
                .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))
        })
        .transpose()
}

fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.saturating_add(by).unwrap_or(at)
}

/// What the ledger says of an order now: its ledger (order and every chain naming it), its
/// event, and its balance due if it is open.
struct OrderNow {
    ledger: Ledger,
    currency: Currency,
    event_id: Option<fairtill_core::ids::EventId>,
    receipt: String,
    due: Option<Money>,
}

fn order_now(db: &mut dyn Db, order: OrderId, now: Timestamp) -> Result<OrderNow> {
    let ledger = super::orders::order_ledger(db, order)?;
    let view = ledger
        .order_view(order, now)
        .map_err(|e| StorageError::NotFound(format!("order {order} ({e})")))?;
    let due = (view.status.is_open() && view.balance_due.is_positive()).then_some(view.balance_due);
    Ok(OrderNow {
        currency: view.order.draft.currency,
        event_id: view.order.context.event_id,
        receipt: view.order.receipt.clone(),
        due,
        ledger,
    })
}

/// The customer's card to charge (id, brand, last four): `preferred` if it is still saved,
/// else their newest. With none left saved, `preferred` all the same: the processor then says
/// why it cannot be charged, and that decline is what the follow-up acts on.
fn card_to_charge(
    db: &mut dyn Db,
    customer: CustomerId,
    preferred: &str,
) -> Result<Option<(String, String, String)>> {
    let row = query_one(
        db,
        "SELECT id, brand, last4 FROM saved_cards WHERE customer_id = $1 AND (removed_at IS NULL OR id = $2)
         ORDER BY CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END, CASE WHEN id = $2 THEN 0 ELSE 1 END,
             saved_at DESC, id LIMIT 1",
        params![customer.to_string(), preferred],
    )?;
    row.map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
        .transpose()
}

/// Records the server's charge of the order's balance to the customer's card, `unknown` and
/// queued for the processor. None when nothing is due (or the customer never had a card).
fn make_charge(
    db: &mut dyn Db,
    order: OrderId,
    customer: CustomerId,
    card: &str,
    staff: &str,
    now: Timestamp,
) -> Result<Option<TxId>> {
    let OrderNow {
        mut ledger,
        event_id,
        due,
        ..
    } = order_now(db, order, now)?;
    let Some(amount) = due else {
        return Ok(None);
    };
    let Some((card, brand, last4)) = card_to_charge(db, customer, card)? else {
        return Ok(None);
    };
    let stamp = super::payments::server_stamp(event_id, staff.to_string(), now);
    let pay = Command::Pay(Payment {
        kind: PaymentKind::Sale,
        order_ids: vec![order],
        amount,
        method: PaymentMethod::CardOnFile {
            customer,
            card,
            brand,
            last4,
        },
        result: TxResult::Unknown,
        replaces: None,
    });
    let facts = ledger
        .execute(&pay, &stamp)
        .map_err(|e| StorageError::Invalid(format!("the order cannot be charged: {e}")))?;
    let mut made = None;
    for fact in facts {
        if let Fact::Recorded { tx } = fact {
            made = Some(tx.id);
            super::push::store_server_record(db, &Record::Transaction { transaction: tx }, now)?;
        }
    }
    Ok(made)
}

/// Makes the charges due at `now`: scheduled charges whose time came and follow-up attempts
/// whose turn came. How many it made.
pub(crate) fn make_due_charges(db: &mut dyn Db, now: Timestamp) -> Result<usize> {
    let mut made = 0;
    let plans = db.query(
        "SELECT id, order_id, customer_id, card_id, created_by FROM scheduled_charges
         WHERE state = 'scheduled' AND charge_at <= $1 ORDER BY charge_at LIMIT 200",
        params![ms(now)],
    )?;
    for plan in plans {
        let (id, order) = (plan.text(0)?, OrderId(uuid(&plan, 1)?));
        let customer = CustomerId(uuid(&plan, 2)?);
        let staff = format!("{SCHEDULED_STAFF} (set by {})", plan.text(4)?);
        let tx = make_charge(db, order, customer, &plan.text(3)?, &staff, now)?;
        let state = match tx {
            Some(_) => "charged",
            None => "nothing_due",
        };
        db.execute(
            "UPDATE scheduled_charges SET state = $1, tx_id = $2, updated_at = $3 WHERE id = $4 AND state = 'scheduled'",
            params![state, tx.map(|t| t.to_string()), ms(now), id.as_str()],
        )?;
        made += usize::from(tx.is_some());
    }
    let due = db.query(
        "SELECT f.id, f.order_id, f.customer_id, a.n, a.tx_id FROM follow_ups f
         JOIN follow_up_attempts a ON a.follow_up_id = f.id
              AND a.n = (SELECT max(b.n) FROM follow_up_attempts b WHERE b.follow_up_id = f.id) WHERE f.state = 'retrying' AND f.next_at <= $1 ORDER BY f.next_at LIMIT 200",
        params![ms(now)],
    )?;
    for f in due {
        let id = f.text(0)?;
        let (order, customer) = (OrderId(uuid(&f, 1)?), CustomerId(uuid(&f, 2)?));
        let n = f.int(3)? + 1;
        // The card the last attempt charged (the customer's newest is charged if it went).
        let last_card = match super::payments::transaction(db, &f.text(4)?)?.method {
            PaymentMethod::CardOnFile { card, .. } => card,
            _ => String::new(),
        };
        match make_charge(db, order, customer, &last_card, FOLLOW_UP_STAFF, now)? {
            Some(tx) => {
                db.execute(
                    "INSERT INTO follow_up_attempts (follow_up_id, n, tx_id, made_at) VALUES ($1, $2, $3, $4)",
                    params![id.as_str(), n, tx.to_string(), ms(now)],
                )?;
                db.execute(
                    "UPDATE follow_ups SET state = 'charging', next_at = NULL WHERE id = $1",
                    params![id.as_str()],
                )?;
                made += 1;
            }
            None => end(db, &id, FollowUpState::Paid, None, now)?,
        }
    }
    Ok(made)
}

fn end(
    db: &mut dyn Db,
    id: &str,
    state: FollowUpState,
    by: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "UPDATE follow_ups SET state = $1, next_at = NULL, ended_at = $2, ended_by = $3 WHERE id = $4",
        params![state.as_str(), ms(now), by, id],
    )?;
    // What was not sent yet is no longer true: it is not sent.
    db.execute(
        "UPDATE notifications SET state = 'withdrawn' WHERE follow_up_id = $1 AND state = 'queued'",
        params![id],
    )?;
    announce(db, id, WebhookEvent::FollowUpEnded, now)
}

/// Tells the webhook endpoints that follow-up `id` began or stopped trying, as it stands now.
/// A follow-up brought back by a new card can stop again: each stop is its own event.
fn announce(db: &mut dyn Db, id: &str, event: WebhookEvent, now: Timestamp) -> Result<()> {
    let Some(r) = query_one(
        db,
        "SELECT order_id, customer_id, first_tx, state, last_reason, started_at, ended_by FROM follow_ups WHERE id = $1",
        params![id],
    )?
    else {
        return Ok(());
    };
    let data = serde_json::json!({
        "id": id,
        "order_id": r.text(0)?,
        "customer_id": r.text(1)?,
        "first_transaction_id": r.text(2)?,
        "state": r.text(3)?,
        "last_reason": r.opt_text(4)?,
        "started_at": r.time(5)?.to_string(),
        "ended_by": r.opt_text(6)?,
    });
    let subject = match event {
        WebhookEvent::FollowUpEnded => format!("{id}@{}", ms(now)),
        _ => id.to_string(),
    };
    super::webhooks::emit_now(db, event, &subject, data, now)
}

/// What the processor said of a card-on-file sale, for the follow-up of its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChargeAnswer<'a> {
    /// The result recorded.
    pub result: TxResult,
    /// The processor's words.
    pub note: Option<&'a str>,
    /// No retry of this card can succeed.
    pub hard: bool,
    /// When the charge reached the server.
    pub arrived_at: Timestamp,
}

/// Moves the follow-up of the order of card-on-file sale `tx` on after the processor's
/// answer, or begins one for a decline made while the customer was not there.
pub(crate) fn after_charge(
    db: &mut dyn Db,
    tx: &Transaction,
    answer: ChargeAnswer<'_>,
    policy: &FollowUpPolicy,
    now: Timestamp,
) -> Result<()> {
    let PaymentMethod::CardOnFile { customer, .. } = &tx.method else {
        return Ok(());
    };
    if tx.kind != TxKind::Sale {
        return Ok(());
    }
    let id = tx.id.to_string();
    let declined = match answer.result {
        TxResult::Approved => false,
        TxResult::Declined | TxResult::Canceled | TxResult::Abandoned => true,
        TxResult::Unknown => return Ok(()),
    };
    if let Some(row) = query_one(
        db,
        "SELECT f.id, a.n, f.started_at FROM follow_up_attempts a JOIN follow_ups f ON f.id = a.follow_up_id
         WHERE a.tx_id = $1 AND f.state = 'charging'",
        params![id.as_str()],
    )? {
        let (follow_up, n, started) = (row.text(0)?, row.int(1)?, time(row.int(2)?)?);
        if !declined {
            return end(db, &follow_up, FollowUpState::Recovered, None, now);
        }
        let next = usize::try_from(n)
            .ok()
            .and_then(|n| policy.retries.get(n))
            .map(|d| later(started, *d).max(now));
        let (state, next_at) = match (answer.hard, next) {
            (true, _) => (FollowUpState::HardDecline, None),
            (false, Some(at)) => (FollowUpState::Retrying, Some(ms(at))),
            (false, None) => (FollowUpState::Exhausted, None),
        };
        db.execute(
            "UPDATE follow_ups SET state = $1, next_at = $2, last_reason = $3 WHERE id = $4",
            params![state.as_str(), next_at, answer.note, follow_up.as_str()],
        )?;
        if state != FollowUpState::Retrying {
            announce(db, &follow_up, WebhookEvent::FollowUpEnded, now)?;
        }
        return Ok(());
    }
    if !declined {
        return Ok(());
    }
    let Some(order) = tx.order_ids.first().copied() else {
        return Ok(());
    };
    let scheduled = query_one(
        db,
        "SELECT 1 FROM scheduled_charges WHERE tx_id = $1",
        params![id.as_str()],
    )?
    .is_some();
    let offline = answer.arrived_at.duration_since(tx.created_at) >= policy.offline_after;
    if !scheduled && !offline {
        return Ok(()); // declined at the till, with the customer there to pay another way
    }
    let open = query_one(
        db,
        &format!(
            "SELECT 1 FROM follow_ups WHERE order_id = $1 AND state IN ({})",
            open_states()
        ),
        params![order.to_string()],
    )?;
    if open.is_some() {
        return Ok(()); // the order's follow-up is already under way
    }
    let next = policy.retries.first().map(|d| later(now, *d));
    let state = match (answer.hard, next) {
        (true, _) => FollowUpState::HardDecline,
        (false, Some(_)) => FollowUpState::Retrying,
        (false, None) => FollowUpState::Exhausted,
    };
    let follow_up = Uuid::now_v7().to_string();
    let token = crate::auth::new_token();
    db.execute(
        "INSERT INTO follow_ups (id, order_id, customer_id, first_tx, state, next_at, card_token, last_reason, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            follow_up.as_str(),
            order.to_string(),
            customer.to_string(),
            id.as_str(),
            state.as_str(),
            next.filter(|_| state == FollowUpState::Retrying).map(ms),
            token.as_str(),
            answer.note,
            ms(now)
        ],
    )?;
    db.execute(
        "INSERT INTO follow_up_attempts (follow_up_id, n, tx_id, made_at) VALUES ($1, 0, $2, $3)",
        params![follow_up.as_str(), id.as_str(), ms(tx.created_at)],
    )?;
    announce(db, &follow_up, WebhookEvent::FollowUpStarted, now)?;
    if state != FollowUpState::Retrying {
        announce(db, &follow_up, WebhookEvent::FollowUpEnded, now)?;
    }
    let receipt = query_one(
        db,
        "SELECT receipt FROM orders WHERE id = $1",
        params![order.to_string()],
    )?
    .map(|r| r.text(0))
    .transpose()?
    .unwrap_or_default();
    queue_declined_notice(
        db, &follow_up, *customer, order, &receipt, tx.amount, &token, next, policy, now,
    )
}

/// Queues the message that tells the customer their payment was declined, with their
/// update-your-card link.
#[allow(clippy::too_many_arguments)]
fn queue_declined_notice(
    db: &mut dyn Db,
    follow_up: &str,
    customer: CustomerId,
    order: OrderId,
    receipt: &str,
    amount: Money,
    token: &str,
    next: Option<Timestamp>,
    policy: &FollowUpPolicy,
    now: Timestamp,
) -> Result<()> {
    let who = query_one(
        db,
        "SELECT name, email FROM customers WHERE id = $1",
        params![customer.to_string()],
    )?;
    let (name, email) = match who {
        Some(r) => (r.opt_text(0)?, r.opt_text(1)?),
        None => (None, None),
    };
    let greeting = name.map_or_else(|| "Hello,".to_string(), |n| format!("Hello {n},"));
    let when = match next {
        Some(at) => format!(
            "We will try your card again on {}.",
            at.strftime("%Y-%m-%d")
        ),
        None => "Your card cannot be charged again.".to_string(),
    };
    let link = format!(
        "{}/update-card/{token}",
        policy.public_url.trim_end_matches('/')
    );
    let body = format!(
        "{greeting}\n\nyour payment of {amount} for order {receipt} could not be taken from your saved card. \
         {when} To pay with another card, save it here:\n\n{link}\n"
    );
    db.execute(
        "INSERT INTO notifications (id, kind, customer_id, order_id, follow_up_id, email, subject, body, state, created_at, next_at)
         VALUES ($1, 'payment_declined', $2, $3, $4, $5, $6, $7, 'queued', $8, $8)",
        params![
            Uuid::now_v7().to_string(),
            customer.to_string(),
            order.to_string(),
            follow_up,
            email,
            format!("Your payment for order {receipt} was declined"),
            body,
            ms(now)
        ],
    )?;
    Ok(())
}

/// After a new card was saved for `customer`: their open follow-ups try again now.
pub(crate) fn card_saved(db: &mut dyn Db, customer: CustomerId, now: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE follow_ups SET state = 'retrying', next_at = $1
         WHERE customer_id = $2 AND state IN ('retrying', 'hard_decline', 'exhausted')",
        params![ms(now), customer.to_string()],
    )?;
    Ok(())
}

fn schedule_state(text: &str) -> Result<ScheduleState> {
    ScheduleState::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("unknown schedule state {text:?}")))
}

fn follow_up_state(text: &str) -> Result<FollowUpState> {
    FollowUpState::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("unknown follow-up state {text:?}")))
}

fn tx_result(text: &str) -> Result<TxResult> {
    TxResult::parse(text).ok_or_else(|| StorageError::Backend(format!("unknown result {text:?}")))
}

fn balance(db: &mut dyn Db, order: OrderId, now: Timestamp) -> Result<Money> {
    let order = order_now(db, order, now)?;
    Ok(order.due.unwrap_or_else(|| Money::zero(order.currency)))
}

fn scheduled_charge(db: &mut dyn Db, row: &Row, now: Timestamp) -> Result<ScheduledCharge> {
    let order = OrderId(uuid(row, 1)?);
    Ok(ScheduledCharge {
        id: uuid(row, 0)?,
        order_id: order,
        receipt: row.text(9)?,
        customer_id: CustomerId(uuid(row, 2)?),
        customer_name: row.opt_text(10)?,
        card_id: row.text(3)?,
        charge_at: time(row.int(4)?)?,
        state: schedule_state(&row.text(5)?)?,
        transaction_id: opt_uuid(row, 6)?.map(TxId),
        result: row.opt_text(7)?.as_deref().map(tx_result).transpose()?,
        created_by: row.text(8)?,
        balance_due: balance(db, order, now)?,
    })
}

const SCHEDULE_COLUMNS: &str =
    "s.id, s.order_id, s.customer_id, s.card_id, s.charge_at, s.state, s.tx_id,
     (SELECT t.result FROM transactions t WHERE t.id = s.tx_id), s.created_by, o.receipt,
     (SELECT c.name FROM customers c WHERE c.id = s.customer_id)
     FROM scheduled_charges s JOIN orders o ON o.id = s.order_id";

fn one_schedule(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<ScheduledCharge> {
    let row = query_one(
        db,
        &format!("SELECT {SCHEDULE_COLUMNS} WHERE s.id = $1"),
        params![id.to_string()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("scheduled charge {id}")))?;
    scheduled_charge(db, &row, now)
}

fn follow_up(db: &mut dyn Db, row: &Row, now: Timestamp) -> Result<FollowUp> {
    let id = uuid(row, 0)?;
    let order = OrderId(uuid(row, 1)?);
    let attempts = db
        .query(
            "SELECT a.n, a.tx_id, a.made_at, t.amount_minor, t.currency, t.result,
                 (SELECT j.message FROM processor_jobs j WHERE j.tx_id = t.id)
             FROM follow_up_attempts a JOIN transactions t ON t.id = a.tx_id
             WHERE a.follow_up_id = $1 ORDER BY a.n",
            params![id.to_string()],
        )?
        .iter()
        .map(|a| {
            let currency = Currency::from_code(&a.text(4)?)
                .map_err(|e| StorageError::Backend(e.to_string()))?;
            Ok(FollowUpAttempt {
                n: u32::try_from(a.int(0)?).unwrap_or(u32::MAX),
                transaction_id: TxId(uuid(a, 1)?),
                made_at: time(a.int(2)?)?,
                amount: Money::from_minor(a.int(3)?, currency),
                result: tx_result(&a.text(5)?)?,
                note: a.opt_text(6)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let notifications = super::notifications::messages_of(db, "follow_up_id", &id.to_string())?;
    Ok(FollowUp {
        id,
        order_id: order,
        receipt: row.text(9)?,
        customer_id: CustomerId(uuid(row, 2)?),
        customer_name: row.opt_text(10)?,
        state: follow_up_state(&row.text(3)?)?,
        next_at: row.opt_int(4)?.map(time).transpose()?,
        last_reason: row.opt_text(5)?,
        started_at: time(row.int(6)?)?,
        ended_at: row.opt_int(7)?.map(time).transpose()?,
        ended_by: row.opt_text(8)?,
        balance_due: balance(db, order, now)?,
        attempts,
        notifications,
    })
}

const FOLLOW_UP_COLUMNS: &str =
    "f.id, f.order_id, f.customer_id, f.state, f.next_at, f.last_reason, f.started_at,
     f.ended_at, f.ended_by, o.receipt, (SELECT c.name FROM customers c WHERE c.id = f.customer_id)
     FROM follow_ups f JOIN orders o ON o.id = f.order_id";

/// The follow-ups of `customer`, newest first.
pub(crate) fn follow_ups_of(
    db: &mut dyn Db,
    customer: CustomerId,
    now: Timestamp,
) -> Result<Vec<FollowUp>> {
    let rows = db.query(
        &format!(
            "SELECT {FOLLOW_UP_COLUMNS} WHERE f.customer_id = $1 ORDER BY f.started_at DESC, f.id"
        ),
        params![customer.to_string()],
    )?;
    rows.iter().map(|r| follow_up(db, r, now)).collect()
}

fn one_follow_up(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<FollowUp> {
    let row = query_one(
        db,
        &format!("SELECT {FOLLOW_UP_COLUMNS} WHERE f.id = $1"),
        params![id.to_string()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("follow-up {id}")))?;
    follow_up(db, &row, now)
}

/// Whose card an update-your-card link replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardUpdate {
    /// The follow-up it belongs to.
    pub follow_up: Uuid,
    /// The customer.
    pub customer: CustomerId,
    /// What is due on the order (for the page).
    pub due: Option<Money>,
    /// The order's receipt number.
    pub receipt: String,
}

impl Storage {
    /// Makes the charges due at `now` (scheduled charges and follow-up attempts), each queued
    /// for the processor; how many.
    pub async fn make_due_charges(&self, now: Timestamp) -> Result<usize> {
        // Every look of the runner asks; the push lock is taken only when something is due.
        let due = self
            .transact(move |db| {
                query_one(
                    db,
                    "SELECT 1 FROM scheduled_charges WHERE state = 'scheduled' AND charge_at <= $1
                     UNION ALL SELECT 1 FROM follow_ups WHERE state = 'retrying' AND next_at <= $1",
                    params![ms(now)],
                )
            })
            .await?;
        if due.is_none() {
            return Ok(0);
        }
        self.transact_push(move |db| {
            db.lock_pushes()?;
            make_due_charges(db, now)
        })
        .await
    }

    /// Schedules the balance of `order` to be charged to the customer's card at `charge_at`.
    pub async fn schedule_charge(
        &self,
        order: OrderId,
        customer: CustomerId,
        card: Option<String>,
        charge_at: Timestamp,
        manager: String,
        now: Timestamp,
    ) -> Result<ScheduledCharge> {
        self.transact(move |db| {
            let OrderNow { due, .. } = order_now(db, order, now)?;
            if due.is_none() {
                return Err(StorageError::Invalid(
                    "this order has nothing due: there is nothing to schedule".into(),
                ));
            }
            let card = match card {
                Some(card) => card,
                None => card_to_charge(db, customer, "")?
                    .map(|(id, ..)| id)
                    .ok_or_else(|| {
                        StorageError::Invalid(
                            "this customer has no saved card: save one first".into(),
                        )
                    })?,
            };
            let saved = query_one(
                db,
                "SELECT 1 FROM saved_cards WHERE id = $1 AND customer_id = $2 AND removed_at IS NULL",
                params![card.as_str(), customer.to_string()],
            )?;
            if saved.is_none() {
                return Err(StorageError::Invalid(
                    "that card is not one of this customer's saved cards".into(),
                ));
            }
            let waiting = query_one(
                db,
                "SELECT 1 FROM scheduled_charges WHERE order_id = $1 AND state = 'scheduled'",
                params![order.to_string()],
            )?;
            if waiting.is_some() {
                return Err(StorageError::Invalid(
                    "this order already has a scheduled charge: change its date or cancel it".into(),
                ));
            }
            let id = Uuid::now_v7();
            db.execute(
                "INSERT INTO scheduled_charges (id, order_id, customer_id, card_id, charge_at, state, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'scheduled', $6, $7, $7)",
                params![
                    id.to_string(),
                    order.to_string(),
                    customer.to_string(),
                    card.as_str(),
                    ms(charge_at),
                    manager.as_str(),
                    ms(now)
                ],
            )?;
            super::managers::audit(
                db,
                now,
                &manager,
                "schedule_charge",
                &order.to_string(),
                Some(&format!("to charge at {charge_at}")),
            )?;
            one_schedule(db, id, now)
        })
        .await
    }

    /// Moves a scheduled charge to `charge_at`, or cancels it (`None`), while it waits.
    pub async fn change_schedule(
        &self,
        id: Uuid,
        charge_at: Option<Timestamp>,
        manager: String,
        now: Timestamp,
    ) -> Result<ScheduledCharge> {
        self.transact(move |db| {
            let (changed, action, note) = match charge_at {
                Some(at) => (
                    db.execute(
                        "UPDATE scheduled_charges SET charge_at = $1, updated_at = $2 WHERE id = $3 AND state = 'scheduled'",
                        params![ms(at), ms(now), id.to_string()],
                    )?,
                    "reschedule_charge",
                    Some(format!("to charge at {at}")),
                ),
                None => (
                    db.execute(
                        "UPDATE scheduled_charges SET state = 'canceled', updated_at = $1 WHERE id = $2 AND state = 'scheduled'",
                        params![ms(now), id.to_string()],
                    )?,
                    "cancel_scheduled_charge",
                    None,
                ),
            };
            let current = one_schedule(db, id, now)?;
            if changed == 0 {
                return Err(StorageError::Invalid(format!(
                    "this scheduled charge is {} and can no longer be changed",
                    current.state.as_str().replace('_', " ")
                )));
            }
            super::managers::audit(db, now, &manager, action, &id.to_string(), note.as_deref())?;
            Ok(current)
        })
        .await
    }

    /// Scheduled charges, soonest first: those still waiting, or every one.
    pub async fn scheduled_charges(
        &self,
        all: bool,
        now: Timestamp,
    ) -> Result<Vec<ScheduledCharge>> {
        self.transact(move |db| {
            let filter = if all {
                ""
            } else {
                " WHERE s.state = 'scheduled'"
            };
            let rows = db.query(
                &format!(
                    "SELECT {SCHEDULE_COLUMNS}{filter} ORDER BY s.charge_at DESC, s.id LIMIT 500"
                ),
                &[],
            )?;
            rows.iter().map(|r| scheduled_charge(db, r, now)).collect()
        })
        .await
    }

    /// Follow-ups of declined payments, newest first: those still open, or every one.
    pub async fn follow_ups(&self, all: bool, now: Timestamp) -> Result<Vec<FollowUp>> {
        self.transact(move |db| {
            let filter = if all {
                String::new()
            } else {
                format!(" WHERE f.state IN ({})", open_states())
            };
            let rows = db.query(
                &format!(
                    "SELECT {FOLLOW_UP_COLUMNS}{filter} ORDER BY f.started_at DESC, f.id LIMIT 500"
                ),
                &[],
            )?;
            rows.iter().map(|r| follow_up(db, r, now)).collect()
        })
        .await
    }

    /// One follow-up with its attempts and notifications.
    pub async fn follow_up(&self, id: Uuid, now: Timestamp) -> Result<FollowUp> {
        self.transact(move |db| one_follow_up(db, id, now)).await
    }

    /// A manager ends a follow-up: no more attempts (one waiting for the processor still
    /// gets its answer recorded).
    pub async fn end_follow_up(
        &self,
        id: Uuid,
        manager: String,
        now: Timestamp,
    ) -> Result<FollowUp> {
        self.transact(move |db| {
            let current = one_follow_up(db, id, now)?;
            if !current.state.is_open() {
                return Err(StorageError::Invalid(format!(
                    "this follow-up has already ended ({})",
                    current.state.as_str().replace('_', " ")
                )));
            }
            end(
                db,
                &id.to_string(),
                FollowUpState::Ended,
                Some(&manager),
                now,
            )?;
            db.execute(
                "UPDATE follow_ups SET card_token = NULL WHERE id = $1",
                params![id.to_string()],
            )?;
            super::managers::audit(
                db,
                now,
                &manager,
                "end_follow_up",
                &current.order_id.to_string(),
                None,
            )?;
            one_follow_up(db, id, now)
        })
        .await
    }

    /// Whose card the update-your-card link `token` replaces, while it works.
    pub async fn card_update(
        &self,
        token: String,
        valid: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<CardUpdate>> {
        self.transact(move |db| {
            let Some(row) = query_one(
                db,
                &format!(
                    "SELECT id, customer_id, order_id, started_at FROM follow_ups WHERE card_token = $1
                     AND state IN ({})",
                    open_states()
                ),
                params![token.as_str()],
            )?
            else {
                return Ok(None);
            };
            if later(time(row.int(3)?)?, valid) < now {
                return Ok(None);
            }
            let order = OrderId(uuid(&row, 2)?);
            let now_order = order_now(db, order, now)?;
            Ok(Some(CardUpdate {
                follow_up: uuid(&row, 0)?,
                customer: CustomerId(uuid(&row, 1)?),
                due: now_order.due,
                receipt: now_order.receipt,
            }))
        })
        .await
    }
}
