//! What sync brings in: records pulled from the server (other devices' orders and transactions
//! of this event, offers, the catalog, events), stored as remote so they are never pushed back;
//! the pull cursor; and the records the server refused.

use fairtill_core::catalog::Product;
use fairtill_core::customer::{CustomerProfile, SavedCard};
use fairtill_core::event::Event;
use fairtill_core::ids::{EventId, OfferId, TxId};
use fairtill_core::ledger::{ResultChange, Transaction, WriteOff};
use fairtill_core::offer::Offer;
use fairtill_core::order::Order;
use fairtill_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::catalog::apply_pulled_product;
use crate::customers::{insert_card, insert_customer, remove_card};
use crate::error::Result;
use crate::records::{insert_order_from, insert_transaction_from, load_order, ms};
use crate::till::Till;

/// A record made elsewhere, as pulled.
#[derive(Debug, Clone, PartialEq)]
pub enum Remote {
    /// Another device's order.
    Order(Box<Order>),
    /// Another device's transaction, with its first result.
    Transaction(Box<Transaction>),
    /// The `n`th result change of a transaction.
    ResultChange {
        /// The transaction.
        transaction_id: TxId,
        /// Which change (from 1).
        n: u32,
        /// The change.
        change: ResultChange,
    },
    /// An order written off elsewhere.
    WriteOff(WriteOff),
    /// A saved offer.
    Offer(Offer),
    /// An offer retired.
    OfferRetirement {
        /// The offer.
        offer_id: OfferId,
        /// When.
        retired_at: Timestamp,
        /// Who.
        staff: String,
    },
    /// A catalog product.
    Product(Product),
    /// An event.
    Event(Event),
    /// A version of a customer record.
    Customer(CustomerProfile),
    /// A card the server saved for a customer.
    CardSaved(SavedCard),
    /// A saved card removed.
    CardRemoved {
        /// The processor's id of the card.
        card_id: String,
        /// When.
        removed_at: Timestamp,
    },
}

/// What applying a page of pulled records did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Stored now.
    pub stored: u64,
    /// Already here (a re-pull).
    pub already_had: u64,
    /// Could not be stored, and why (e.g. a refund of a sale this device never received).
    pub skipped: Vec<String>,
}

fn exists(conn: &Connection, sql: &str, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores one pulled record: true if stored, false if it was already here; an error string
/// if something it refers to is missing.
fn apply_one(conn: &Connection, record: &Remote, now: i64) -> Result<Result<bool, String>> {
    match record {
        Remote::Order(order) => {
            let id = order.id.0.to_string();
            if exists(conn, "SELECT 1 FROM orders WHERE id = ?1", &id)? {
                return Ok(Ok(false));
            }
            insert_order_from(conn, order, true)?;
        }
        Remote::Transaction(tx) => {
            let id = tx.id.0.to_string();
            if exists(conn, "SELECT 1 FROM transactions WHERE id = ?1", &id)? {
                return Ok(Ok(false));
            }
            if let Some(parent) = tx.parent {
                let p = parent.0.to_string();
                if !exists(conn, "SELECT 1 FROM transactions WHERE id = ?1", &p)? {
                    return Ok(Err(format!(
                        "transaction {id} operates on {p}, which this device does not have"
                    )));
                }
            }
            let mut order = None;
            for o in &tx.order_ids {
                match load_order(conn, &o.0.to_string())? {
                    Some((found, _)) => {
                        order.get_or_insert(found);
                    }
                    None => {
                        return Ok(Err(format!(
                            "transaction {id} pays order {o}, which this device does not have"
                        )))
                    }
                }
            }
            insert_transaction_from(conn, tx, order.as_ref(), true)?;
        }
        Remote::ResultChange {
            transaction_id,
            n,
            change,
        } => {
            let id = transaction_id.0.to_string();
            if !exists(conn, "SELECT 1 FROM transactions WHERE id = ?1", &id)? {
                return Ok(Err(format!(
                    "a result change of transaction {id}, which this device does not have"
                )));
            }
            let changed = conn
                .prepare_cached(
                    "INSERT INTO result_changes (transaction_id, n, result, at, note, expires_at, remote) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
                     ON CONFLICT (transaction_id, n) DO NOTHING",
                )?
                .execute(params![id, n, change.result.as_str(), ms(change.at), change.note, change.expires_at.map(ms)])?;
            if changed > 0 {
                crate::records::hold_until(conn, *transaction_id, change)?;
            }
            return Ok(Ok(changed > 0));
        }
        Remote::WriteOff(w) => {
            let order = w.order_id.0.to_string();
            if exists(conn, "SELECT 1 FROM write_offs WHERE order_id = ?1", &order)? {
                return Ok(Ok(false));
            }
            if !exists(conn, "SELECT 1 FROM orders WHERE id = ?1", &order)? {
                return Ok(Err(format!(
                    "a write-off of order {order}, which this device does not have"
                )));
            }
            conn.prepare_cached(
                "INSERT INTO write_offs (order_id, amount_minor, currency, at, body, remote) VALUES (?1, ?2, ?3, ?4, ?5, 1)",
            )?
            .execute(params![
                order,
                w.amount.minor(),
                w.amount.currency().code(),
                ms(w.at),
                serde_json::to_string(w)?,
            ])?;
        }
        Remote::Offer(offer) => {
            let id = offer.id().0.to_string();
            if exists(conn, "SELECT 1 FROM offers WHERE id = ?1", &id)? {
                return Ok(Ok(false));
            }
            conn.prepare_cached(
                "INSERT INTO offers (id, name, currency, body, created_at, remote) VALUES (?1, ?2, ?3, ?4, ?5, 1)",
            )?
            .execute(params![
                id,
                offer.name(),
                offer.currency().code(),
                serde_json::to_string(offer)?,
                ms(offer.created_at()),
            ])?;
        }
        Remote::OfferRetirement {
            offer_id,
            retired_at,
            staff,
        } => {
            let id = offer_id.0.to_string();
            if exists(
                conn,
                "SELECT 1 FROM offer_retirements WHERE offer_id = ?1",
                &id,
            )? {
                return Ok(Ok(false));
            }
            if !exists(conn, "SELECT 1 FROM offers WHERE id = ?1", &id)? {
                return Ok(Err(format!(
                    "the retirement of offer {id}, which this device does not have"
                )));
            }
            conn.prepare_cached(
                "INSERT INTO offer_retirements (offer_id, retired_at, staff, remote) VALUES (?1, ?2, ?3, 1)",
            )?
            .execute(params![id, ms(*retired_at), staff])?;
        }
        Remote::Product(p) => return Ok(Ok(apply_pulled_product(conn, p, now)?)),
        Remote::Customer(c) => return Ok(Ok(insert_customer(conn, c, true)?)),
        Remote::CardSaved(c) => return Ok(Ok(insert_card(conn, c)?)),
        Remote::CardRemoved {
            card_id,
            removed_at,
        } => return Ok(Ok(remove_card(conn, card_id, *removed_at)?)),
        Remote::Event(e) => {
            conn.prepare_cached(
                "INSERT INTO events (id, name, currency, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, body = excluded.body",
            )?
            .execute(params![
                e.id.0.to_string(),
                e.name,
                e.currency.code(),
                serde_json::to_string(e)?,
                now
            ])?;
        }
    }
    Ok(Ok(true))
}

impl Till {
    /// Stores a page of pulled records in one transaction, with the cursor that follows them,
    /// so a page is either wholly applied (and not asked for again) or not at all.
    pub fn apply_remote(
        &mut self,
        records: &[Remote],
        event: Option<EventId>,
        cursor: &str,
    ) -> Result<Applied> {
        let now = ms(self.now());
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut applied = Applied::default();
        for record in records {
            match apply_one(&db, record, now)? {
                Ok(true) => applied.stored += 1,
                Ok(false) => applied.already_had += 1,
                Err(reason) => applied.skipped.push(reason),
            }
        }
        db.execute(
            "INSERT INTO pull_state (singleton, event_id, cursor) VALUES (1, ?1, ?2)
             ON CONFLICT (singleton) DO UPDATE SET event_id = excluded.event_id, cursor = excluded.cursor",
            params![event.map(|e| e.0.to_string()), cursor],
        )?;
        db.commit()?;
        Ok(applied)
    }

    /// Where pulling stands for `event`: the cursor to send, or none to start from the
    /// beginning (first pull, or the device moved to another event).
    pub fn pull_cursor(&self, event: Option<EventId>) -> Result<Option<String>> {
        let row: Option<(Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT event_id, cursor FROM pull_state WHERE singleton = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row
            .filter(|(e, _)| *e == event.map(|e| e.0.to_string()))
            .map(|(_, c)| c))
    }

    /// Keeps a record the server refused, with its reason (the record itself stays).
    pub fn note_rejection(
        &mut self,
        record_type: &str,
        record_id: &str,
        reason: &str,
    ) -> Result<()> {
        let now = ms(self.now());
        self.conn.execute(
            "INSERT INTO sync_rejections (record_type, record_id, reason, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (record_type, record_id) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            params![record_type, record_id, reason, now],
        )?;
        Ok(())
    }

    /// Records the server refused: (type, id, reason).
    pub fn rejections(&self) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record_type, record_id, reason FROM sync_rejections ORDER BY at",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The server this device syncs with: its address and the device's name there.
    pub fn sync_server(&self) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, name FROM sync_server WHERE singleton = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Remembers the server after enrolling (the token goes to the OS keyring, not here).
    pub fn set_sync_server(&mut self, url: &str, name: &str) -> Result<()> {
        let now = ms(self.now());
        self.conn.execute(
            "INSERT INTO sync_server (singleton, url, name, enrolled_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (singleton) DO UPDATE SET url = excluded.url, name = excluded.name, enrolled_at = excluded.enrolled_at",
            params![url, name, now],
        )?;
        Ok(())
    }

    /// Forgets the server (nothing recorded is touched; the outbox keeps waiting).
    pub fn clear_sync_server(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM sync_server", [])?;
        Ok(())
    }
}
