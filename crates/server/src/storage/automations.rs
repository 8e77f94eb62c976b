//! Automations as stored and run. A run is written in the database transaction that stored the
//! approved payment that set it off, with its email queued in the mail queue and its webhook in
//! the webhook outbox in the same commit: nothing is sent for a payment that was not committed,
//! and `PRIMARY KEY (automation_id, order_id)` makes it once per order, however often the
//! payment or its result is pushed again. Nothing undoes a run.

use std::collections::HashMap;

use fairtill_core::order::Order;
use fairtill_core::Timestamp;
use fairtill_protocol::{
    Automation, AutomationChange, AutomationEmail, AutomationNeed, AutomationRun,
    AutomationTrigger, NewAutomation, Record, WebhookEvent,
};
use serde_json::json;
use uuid::Uuid;

use super::webhooks::Subscribers;
use super::{ms, query_one, Db, Result, Row, Storage, StorageError};
use crate::automations::{render, Context, Item};
use crate::params;

/// An automation that is on, as the push path needs it.
#[derive(Debug, Clone)]
pub(crate) struct Armed {
    id: String,
    name: String,
    needs: Vec<AutomationNeed>,
    email: Option<AutomationEmail>,
    endpoint: Option<String>,
}

/// Every automation that is on (read once per push batch, with the webhook endpoints).
pub(crate) fn armed(db: &mut dyn Db) -> Result<Vec<Armed>> {
    let rows = db.query(
        "SELECT id, name, needs, email_subject, email_body, webhook_endpoint_id
         FROM automations WHERE enabled = 1 ORDER BY created_at, id",
        &[],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Armed {
            id: r.text(0)?,
            name: r.text(1)?,
            needs: serde_json::from_str(&r.text(2)?)?,
            email: email_of(r.opt_text(3)?, r.opt_text(4)?),
            endpoint: r.opt_text(5)?,
        });
    }
    Ok(out)
}

fn email_of(subject: Option<String>, body: Option<String>) -> Option<AutomationEmail> {
    match (subject, body) {
        (Some(subject), Some(body)) => Some(AutomationEmail { subject, body }),
        _ => None,
    }
}

/// Whether `order` holds what `needs` asks for.
fn holds(order: &Order, needs: &[AutomationNeed]) -> bool {
    let mut units: HashMap<&str, u64> = HashMap::new();
    for line in &order.draft.lines {
        *units.entry(line.sku.as_str()).or_default() += u64::from(line.quantity);
    }
    needs
        .iter()
        .all(|n| units.get(n.sku.as_str()).copied().unwrap_or(0) >= u64::from(n.quantity))
}

/// Runs, for transaction `tx` (a payment just approved), every automation its order sets off
/// that has not run for that order yet.
pub(crate) fn payment_approved(
    db: &mut dyn Db,
    subs: &Subscribers,
    tx: &str,
    now: Timestamp,
) -> Result<()> {
    let Some(order_id) = query_one(
        db,
        "SELECT order_id FROM transactions WHERE id = $1",
        params![tx],
    )?
    .map(|r| r.opt_text(0))
    .transpose()?
    .flatten() else {
        return Ok(()); // a payment for several orders names none of them here
    };
    let Some(body) = query_one(
        db,
        "SELECT body FROM records WHERE record_type = 'order' AND record_id = $1",
        params![order_id.as_str()],
    )?
    else {
        return Ok(()); // orders are pushed before their payments; a stray one sets nothing off
    };
    let Record::Order { order } = serde_json::from_str::<Record>(&body.text(0)?)? else {
        return Ok(());
    };
    for a in subs
        .automations()
        .iter()
        .filter(|a| holds(&order, &a.needs))
    {
        let written = db.execute(
            "INSERT INTO automation_runs (automation_id, order_id, transaction_id, ran_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (automation_id, order_id) DO NOTHING",
            params![a.id.as_str(), order_id.as_str(), tx, ms(now)],
        )?;
        if written == 0 {
            continue;
        }
        let mut notes = Vec::new();
        let notification = match &a.email {
            None => None,
            Some(email) => queue_email(db, a, email, &order, now).unwrap_or_else(|why| {
                notes.push(why);
                None
            }),
        };
        let message = match &a.endpoint {
            None => None,
            Some(endpoint) => {
                let data = json!({
                    "automation": { "id": a.id, "name": a.name },
                    "order": order,
                    "transaction_id": tx,
                });
                let subject = format!("{}:{}", a.id, order_id);
                super::webhooks::emit_also(
                    db,
                    subs,
                    WebhookEvent::AutomationRan,
                    &subject,
                    data,
                    now,
                    Some(endpoint),
                )?
            }
        };
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        db.execute(
            "UPDATE automation_runs SET notification_id = $1, webhook_message_id = $2, note = $3
             WHERE automation_id = $4 AND order_id = $5",
            params![
                notification,
                message,
                note,
                a.id.as_str(),
                order_id.as_str()
            ],
        )?;
    }
    Ok(())
}

/// Queues the automation's email to the order's customer; why not, when it cannot.
fn queue_email(
    db: &mut dyn Db,
    a: &Armed,
    email: &AutomationEmail,
    order: &Order,
    now: Timestamp,
) -> std::result::Result<Option<String>, String> {
    let customer = order.draft.customer.as_ref();
    let Some(to) = customer
        .and_then(|c| c.email.clone())
        .filter(|e| !e.trim().is_empty())
    else {
        return Err("no email sent: the order has no customer email".into());
    };
    let ctx = Context {
        customer_name: customer.and_then(|c| c.name.clone()).unwrap_or_default(),
        receipt: order.receipt.clone(),
        automation: a.name.clone(),
        items: order
            .draft
            .lines
            .iter()
            .map(|l| Item {
                name: l.name.clone(),
                sku: l.sku.clone(),
                quantity: l.quantity,
            })
            .collect(),
    };
    let (subject, body) = render(email, &ctx).map_err(|e| format!("no email sent: {e}"))?;
    let id = Uuid::now_v7().to_string();
    db.execute(
        "INSERT INTO notifications (id, kind, order_id, email, subject, body, requested_by, state, created_at, next_at)
         VALUES ($1, 'automation', $2, $3, $4, $5, $6, 'queued', $7, $7)",
        params![
            id.as_str(),
            order.id.to_string(),
            to.trim(),
            subject,
            body,
            format!("automation {}", a.name),
            ms(now)
        ],
    )
    .map_err(|e| format!("no email sent: {e}"))?;
    Ok(Some(id))
}

/// The runs for order `id`, oldest first.
pub(crate) fn runs_of(db: &mut dyn Db, id: &str) -> Result<Vec<AutomationRun>> {
    let uuid = |t: String| {
        t.parse::<Uuid>()
            .map_err(|e| StorageError::Backend(e.to_string()))
    };
    db.query(
        "SELECT r.automation_id, a.name, r.order_id, r.transaction_id, r.ran_at, r.notification_id,
                r.webhook_message_id, r.note
         FROM automation_runs r JOIN automations a ON a.id = r.automation_id
         WHERE r.order_id = $1 ORDER BY r.ran_at, a.name",
        params![id],
    )?
    .into_iter()
    .map(|r| {
        Ok(AutomationRun {
            automation_id: uuid(r.text(0)?)?,
            automation: r.text(1)?,
            order_id: fairtill_core::ids::OrderId(uuid(r.text(2)?)?),
            transaction_id: fairtill_core::ids::TxId(uuid(r.text(3)?)?),
            ran_at: r.time(4)?,
            notification_id: r.opt_text(5)?.map(uuid).transpose()?,
            webhook_message_id: r.opt_text(6)?,
            note: r.opt_text(7)?,
        })
    })
    .collect()
}

const COLUMNS: &str =
    "a.id, a.name, a.trigger_kind, a.trigger_ref, a.needs, a.email_subject, a.email_body,
     a.webhook_endpoint_id, a.enabled, a.created_by, a.created_at,
     (SELECT count(*) FROM automation_runs r WHERE r.automation_id = a.id)";

fn automation(r: &Row) -> Result<Automation> {
    let bad = |e: String| StorageError::Backend(e);
    let reference = r.text(3)?;
    let trigger = match r.text(2)?.as_str() {
        "product" => AutomationTrigger::Product { sku: reference },
        _ => AutomationTrigger::Offer {
            offer_id: fairtill_core::ids::OfferId(
                reference
                    .parse()
                    .map_err(|e: uuid::Error| bad(e.to_string()))?,
            ),
        },
    };
    Ok(Automation {
        id: r
            .text(0)?
            .parse()
            .map_err(|e: uuid::Error| bad(e.to_string()))?,
        name: r.text(1)?,
        trigger,
        needs: serde_json::from_str(&r.text(4)?)?,
        email: email_of(r.opt_text(5)?, r.opt_text(6)?),
        webhook_endpoint_id: r
            .opt_text(7)?
            .map(|t| t.parse().map_err(|e: uuid::Error| bad(e.to_string())))
            .transpose()?,
        enabled: r.int(8)? == 1,
        created_by: r.text(9)?,
        created_at: r.time(10)?,
        runs: u64::try_from(r.int(11)?).unwrap_or(0),
    })
}

fn one(db: &mut dyn Db, id: Uuid) -> Result<Automation> {
    let row = query_one(
        db,
        &format!("SELECT {COLUMNS} FROM automations a WHERE a.id = $1"),
        params![id.to_string()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("automation {id}")))?;
    automation(&row)
}

/// What an offer's automation needs: every line's SKU, at the units the offer sells.
pub(crate) fn offer_needs(db: &mut dyn Db, id: &str) -> Result<Vec<AutomationNeed>> {
    let Some(row) = query_one(
        db,
        "SELECT body FROM records WHERE record_type = 'offer' AND record_id = $1",
        params![id],
    )?
    else {
        return Err(StorageError::Invalid(format!(
            "no offer {id} has reached the server: sync the till that saved it first"
        )));
    };
    let Record::Offer { offer } = serde_json::from_str::<Record>(&row.text(0)?)? else {
        return Err(StorageError::Backend(format!(
            "record {id} is not an offer"
        )));
    };
    let mut needs: Vec<AutomationNeed> = Vec::new();
    for line in offer.lines() {
        match needs.iter_mut().find(|n| n.sku == line.sku) {
            Some(n) => n.quantity += line.quantity,
            None => needs.push(AutomationNeed {
                sku: line.sku.clone(),
                quantity: line.quantity,
            }),
        }
    }
    Ok(needs)
}

impl Storage {
    /// Every automation, newest first, with the orders it ran for counted.
    pub async fn automations(&self) -> Result<Vec<Automation>> {
        self.transact(|db| {
            db.query(
                &format!("SELECT {COLUMNS} FROM automations a ORDER BY a.created_at DESC, a.id"),
                &[],
            )?
            .iter()
            .map(automation)
            .collect()
        })
        .await
    }

    /// Saves a new automation (its email already checked to render). Refused: no name, no
    /// email and no webhook, an offer or endpoint the server does not have.
    pub async fn add_automation(
        &self,
        new: NewAutomation,
        manager: String,
        now: Timestamp,
    ) -> Result<Automation> {
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(StorageError::Invalid(
                "give the automation a name (80 characters at most)".into(),
            ));
        }
        if new.email.is_none() && new.webhook_endpoint_id.is_none() {
            return Err(StorageError::Invalid(
                "an automation sends an email, calls a webhook, or both: choose at least one"
                    .into(),
            ));
        }
        self.transact(move |db| {
            let (kind, reference, needs) = match &new.trigger {
                AutomationTrigger::Product { sku } => {
                    let sku = sku.trim();
                    if sku.is_empty() {
                        return Err(StorageError::Invalid("enter the product's SKU".into()));
                    }
                    ("product", sku.to_string(), vec![AutomationNeed { sku: sku.to_string(), quantity: 1 }])
                }
                AutomationTrigger::Offer { offer_id } => {
                    let id = offer_id.0.to_string();
                    let needs = offer_needs(db, &id)?;
                    ("offer", id, needs)
                }
            };
            if let Some(endpoint) = new.webhook_endpoint_id {
                if query_one(db, "SELECT 1 FROM webhook_endpoints WHERE id = $1", params![endpoint.to_string()])?.is_none() {
                    return Err(StorageError::Invalid(format!(
                        "no webhook endpoint {endpoint}: register it under Webhooks first"
                    )));
                }
            }
            let id = Uuid::now_v7();
            db.execute(
                "INSERT INTO automations (id, name, trigger_kind, trigger_ref, needs, email_subject, email_body,
                                          webhook_endpoint_id, enabled, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)",
                params![
                    id.to_string(),
                    name.as_str(),
                    kind,
                    reference.as_str(),
                    serde_json::to_string(&needs)?,
                    new.email.as_ref().map(|e| e.subject.clone()),
                    new.email.as_ref().map(|e| e.body.clone()),
                    new.webhook_endpoint_id.map(|e| e.to_string()),
                    manager.as_str(),
                    ms(now)
                ],
            )?;
            super::managers::audit(db, now, &manager, "automation_added", &id.to_string(), Some(&name))?;
            one(db, id)
        })
        .await
    }

    /// Turns an automation off or on.
    pub async fn change_automation(
        &self,
        id: Uuid,
        change: AutomationChange,
        manager: String,
        now: Timestamp,
    ) -> Result<Automation> {
        self.transact(move |db| {
            one(db, id)?;
            db.execute(
                "UPDATE automations SET enabled = $1 WHERE id = $2",
                params![i64::from(change.enabled), id.to_string()],
            )?;
            let action = if change.enabled {
                "automation_enabled"
            } else {
                "automation_disabled"
            };
            super::managers::audit(db, now, &manager, action, &id.to_string(), None)?;
            one(db, id)
        })
        .await
    }
}
