//! Customers as a manager looks them up: a search by name, email or phone, and one customer's
//! whole record across tills.

use fairtill_core::filter::like_pattern;
use fairtill_core::ids::{CustomerId, OrderId};
use fairtill_core::ledger::OrderView;
use fairtill_core::Timestamp;
use fairtill_protocol::{CustomerMatch, CustomerRecord, Record};

use super::{query_one, Db, Result, Storage, StorageError};
use crate::params;

/// Most customers a search answers, and most orders a record shows.
const MOST: i64 = 100;

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn customer_id(text: &str) -> Result<CustomerId> {
    text.parse()
        .map(CustomerId)
        .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))
}

fn record(db: &mut dyn Db, id: CustomerId, now: Timestamp) -> Result<CustomerRecord> {
    let row = query_one(
        db,
        "SELECT updated_at, email FROM customers WHERE id = $1",
        params![id.to_string()],
    )?
    .ok_or_else(|| StorageError::NotFound(format!("customer {id}")))?;
    let (updated_at, email) = (row.int(0)?, row.opt_text(1)?);
    let body = query_one(
        db,
        "SELECT body FROM records WHERE record_type = 'customer' AND record_id = $1",
        params![format!("{id}@{updated_at}")],
    )?
    .ok_or_else(|| StorageError::Backend(format!("customer {id} has no stored version")))?;
    let Record::Customer { customer } = serde_json::from_str(&body.text(0)?)? else {
        return Err(StorageError::Backend(format!(
            "customer {id}'s record is not a customer"
        )));
    };
    let cards = super::payments::cards(db, id)?;
    let order_rows = db.query(
        "SELECT o.id FROM orders o WHERE o.id IN (
             SELECT t.order_id FROM transactions t WHERE t.customer_id = $1 AND t.order_id IS NOT NULL)
           OR ($2 <> '' AND lower(o.customer_email) = $2)
         ORDER BY o.created_at DESC, o.id LIMIT $3",
        params![
            id.to_string(),
            email.unwrap_or_default().trim().to_lowercase(),
            MOST
        ],
    )?;
    let mut orders: Vec<OrderView> = Vec::with_capacity(order_rows.len());
    for r in order_rows {
        let order: OrderId = r
            .text(0)?
            .parse()
            .map(OrderId)
            .map_err(|e: uuid::Error| StorageError::Backend(e.to_string()))?;
        let ledger = super::orders::order_ledger(db, order)?;
        orders.push(
            ledger
                .order_view(order, now)
                .map_err(|e| StorageError::Backend(e.to_string()))?,
        );
    }
    Ok(CustomerRecord {
        customer,
        cards,
        orders,
        follow_ups: super::follow_up::follow_ups_of(db, id, now)?,
    })
}

impl Storage {
    /// Customers whose name, email or phone holds `text` (any case), by name; the most
    /// recently changed when `text` is empty.
    pub async fn find_customers(&self, text: String) -> Result<Vec<CustomerMatch>> {
        self.transact(move |db| {
            let text = text.trim().to_string();
            let select = format!(
                "SELECT c.id, c.name, c.email, c.phone,
                 (SELECT count(*) FROM saved_cards s WHERE s.customer_id = c.id AND s.removed_at IS NULL),
                 (SELECT count(*) FROM follow_ups f WHERE f.customer_id = c.id
                      AND f.state IN ({}))
                 FROM customers c",
                super::follow_up::open_states()
            );
            let rows = if text.is_empty() {
                db.query(
                    &format!("{select} ORDER BY c.updated_at DESC, c.id LIMIT $1"),
                    params![MOST],
                )?
            } else {
                db.query(
                    &format!(
                        "{select} WHERE lower(coalesce(c.name, '')) LIKE $1 ESCAPE '\\'
                             OR lower(coalesce(c.email, '')) LIKE $1 ESCAPE '\\'
                             OR lower(coalesce(c.phone, '')) LIKE $1 ESCAPE '\\'
                         ORDER BY lower(coalesce(c.name, c.email, '')), c.id LIMIT $2"
                    ),
                    params![like_pattern(&text), MOST],
                )?
            };
            rows.iter()
                .map(|r| {
                    Ok(CustomerMatch {
                        id: customer_id(&r.text(0)?)?,
                        name: r.opt_text(1)?,
                        email: r.opt_text(2)?,
                        phone: r.opt_text(3)?,
                        cards: count(r.int(4)?),
                        open_follow_ups: count(r.int(5)?),
                    })
                })
                .collect()
        })
        .await
    }

    /// One customer's record: details, cards, orders and follow-ups, at `now`.
    pub async fn customer_record(&self, id: CustomerId, now: Timestamp) -> Result<CustomerRecord> {
        self.transact(move |db| record(db, id, now)).await
    }
}
