//! Customers on the till: found by name, email or phone with no network, made and changed
//! here (each change a new version that syncs), and their saved cards as the server recorded
//! them. The till keeps the processor's id, brand, last four and expiry of a card: what it needs
//! to ask the server to charge it, and nothing more.

use fairtill_core::customer::{Customer, CustomerProfile, SavedCard};
use fairtill_core::ids::CustomerId;
use fairtill_core::ledger::{Fact, PaymentMethod, TxKind};
use fairtill_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::records::ms;
use crate::till::{Actor, Till};

/// Most customers one search returns.
pub const MAX_FOUND: u32 = 50;

/// A customer as the till shows them: their latest details and the cards they can be charged
/// on, newest (the default) first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomerView {
    /// The latest version of their record.
    pub profile: CustomerProfile,
    /// Saved cards not removed, the default first.
    pub cards: Vec<SavedCard>,
}

/// The text a customer is found by: lower case, with the phone's digits alone as well.
fn search_text(c: &Customer) -> String {
    let mut parts: Vec<String> = [&c.name, &c.email, &c.phone]
        .into_iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect();
    if let Some(p) = &c.phone {
        parts.push(p.chars().filter(char::is_ascii_digit).collect());
    }
    parts.join(" ")
}

/// Stores a version of a customer (made here, or pulled when `remote`); true if it was new.
pub(crate) fn insert_customer(
    conn: &Connection,
    profile: &CustomerProfile,
    remote: bool,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO customers (id, updated_at, device_id, name, email, phone, search_text, body, remote)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id, updated_at, device_id) DO NOTHING",
        )?
        .execute(params![
            profile.id.0.to_string(),
            ms(profile.updated_at),
            profile.device_id.0.to_string(),
            profile.details.name,
            profile.details.email,
            profile.details.phone,
            search_text(&profile.details),
            serde_json::to_string(profile)?,
            remote,
        ])?;
    Ok(changed > 0)
}

/// Stores a card the server saved; true if it was new.
pub(crate) fn insert_card(conn: &Connection, card: &SavedCard) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO saved_cards (id, customer_id, brand, last4, exp_month, exp_year, saved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            card.id,
            card.customer_id.0.to_string(),
            card.brand,
            card.last4,
            card.exp_month,
            card.exp_year,
            ms(card.saved_at),
        ])?;
    Ok(changed > 0)
}

/// Marks a card removed; true if it was on file.
pub(crate) fn remove_card(conn: &Connection, card: &str, at: Timestamp) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE saved_cards SET removed_at = ?1 WHERE id = ?2 AND removed_at IS NULL",
        )?
        .execute(params![ms(at), card])?;
    Ok(changed > 0)
}

/// The latest version of each customer among `ids`' rows, as the `customers` rows select.
const LATEST: &str = "SELECT c.body FROM customers c
     WHERE NOT EXISTS (SELECT 1 FROM customers n WHERE n.id = c.id
         AND (n.updated_at, n.device_id) > (c.updated_at, c.device_id))";

fn profile(conn: &Connection, id: CustomerId) -> Result<Option<CustomerProfile>> {
    let body: Option<String> = conn
        .prepare_cached(&format!("{LATEST} AND c.id = ?1"))?
        .query_row([id.0.to_string()], |r| r.get(0))
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(StoreError::from))
        .transpose()
}

fn cards(conn: &Connection, id: CustomerId) -> Result<Vec<SavedCard>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, brand, last4, exp_month, exp_year, saved_at FROM saved_cards
         WHERE customer_id = ?1 AND removed_at IS NULL ORDER BY saved_at DESC, id",
    )?;
    let rows = stmt.query_map([id.0.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, u8>(3)?,
            r.get::<_, u16>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (card, brand, last4, exp_month, exp_year, saved_at) = row?;
        out.push(SavedCard {
            id: card,
            customer_id: id,
            brand,
            last4,
            exp_month,
            exp_year,
            saved_at: Timestamp::from_millisecond(saved_at)
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        });
    }
    Ok(out)
}

/// Refuses a charge to a card that is not on file for its customer here (removed, replaced,
/// or never saved).
pub(crate) fn check_card_on_file(conn: &Connection, facts: &[Fact]) -> Result<()> {
    for fact in facts {
        let Fact::Recorded { tx } = fact else {
            continue;
        };
        let (TxKind::Sale, PaymentMethod::CardOnFile { customer, card, .. }) =
            (tx.kind, &tx.method)
        else {
            continue;
        };
        let on_file = conn
            .prepare_cached(
                "SELECT 1 FROM saved_cards WHERE id = ?1 AND customer_id = ?2 AND removed_at IS NULL",
            )?
            .query_row(params![card, customer.0.to_string()], |_| Ok(()))
            .optional()?
            .is_some();
        if !on_file {
            return Err(StoreError::Invalid(
                "that card is no longer on file for this customer (it was replaced or removed); \
                 choose another card or save a new one"
                    .into(),
            ));
        }
    }
    Ok(())
}

impl Till {
    /// Charges to cards on file made here that still wait for the processor's answer, in
    /// `currency`: their total and when the oldest was made.
    pub fn waiting_card_charges(
        &self,
        currency: fairtill_core::money::Currency,
    ) -> Result<(fairtill_core::money::Money, Option<Timestamp>)> {
        let (total, oldest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT coalesce(sum(amount_minor), 0), min(created_at) FROM transactions
             WHERE method = 'card_on_file' AND kind IN ('sale', 'authorize') AND result = 'unknown' AND remote = 0
               AND currency = ?1",
            [currency.code()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let oldest = oldest
            .map(Timestamp::from_millisecond)
            .transpose()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok((
            fairtill_core::money::Money::from_minor(total, currency),
            oldest,
        ))
    }

    /// Saves a customer's details: a new customer when `id` is none, else a new version of
    /// theirs. The details are checked (email, phone, country) and trimmed.
    pub fn save_customer(
        &mut self,
        actor: &Actor,
        id: Option<CustomerId>,
        details: &Customer,
    ) -> Result<CustomerView> {
        let staff = actor.staff.trim();
        if staff.is_empty() {
            return Err(StoreError::Invalid(
                "say who is at the till (staff name)".into(),
            ));
        }
        let details = details
            .validated()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut updated_at = self.now();
        let device_id = self.device().id;
        let db = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id = match id {
            Some(id) => {
                let Some(before) = profile(&db, id)? else {
                    return Err(StoreError::NotFound(format!("customer {id}")));
                };
                // A change is always later than the version it changes, even within a
                // millisecond or behind a clock that was set back.
                if updated_at <= before.updated_at {
                    updated_at = before
                        .updated_at
                        .checked_add(fairtill_core::SignedDuration::from_millis(1))
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                }
                id
            }
            None => CustomerId(Uuid::now_v7()),
        };
        let profile_now = CustomerProfile {
            id,
            details,
            updated_at,
            device_id,
            staff: staff.to_string(),
        };
        insert_customer(&db, &profile_now, false)?;
        let view = CustomerView {
            cards: cards(&db, id)?,
            profile: profile_now,
        };
        db.commit()?;
        Ok(view)
    }

    /// A customer with their cards.
    pub fn customer(&self, id: CustomerId) -> Result<CustomerView> {
        let profile = profile(&self.conn, id)?
            .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
        Ok(CustomerView {
            cards: cards(&self.conn, id)?,
            profile,
        })
    }

    /// Customers whose name, email or phone holds `text` (any case; a phone by its digits
    /// too), by name; at most [`MAX_FOUND`].
    pub fn find_customers(&self, text: &str) -> Result<Vec<CustomerView>> {
        let text = text.trim().to_lowercase();
        if text.chars().count() < 2 {
            return Err(StoreError::Invalid(
                "type at least two letters or digits of the customer's name, email or phone".into(),
            ));
        }
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut stmt = self.conn.prepare_cached(&format!(
            "{LATEST} AND c.search_text LIKE ?1 ESCAPE '\\' ORDER BY lower(coalesce(c.name, c.email, c.phone)), c.id LIMIT ?2"
        ))?;
        let bodies = stmt
            .query_map(params![format!("%{escaped}%"), MAX_FOUND], |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        bodies
            .into_iter()
            .map(|b| {
                let profile: CustomerProfile = serde_json::from_str(&b)?;
                Ok(CustomerView {
                    cards: cards(&self.conn, profile.id)?,
                    profile,
                })
            })
            .collect()
    }
}
