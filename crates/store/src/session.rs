//! Where the till is and who works it ([`TillSettings`]), and cash sessions: the drawer opened
//! with a float and closed with a count, against the cash the ledger says should be there.

use fairtill_core::event::Event;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::SummaryBuilder;
use fairtill_core::money::{Currency, Money};
pub use fairtill_core::till::TillClose;
use fairtill_core::Timestamp;
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::records::{from_ms, ms};
use crate::till::{Actor, Till};

/// The till's current event and staff member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TillSettings {
    /// The event the till sells at.
    pub event: Option<Event>,
    /// Who is working the till (empty until someone signs on).
    pub staff: String,
}

impl TillSettings {
    /// The actor new records are made by.
    pub fn actor(&self) -> Actor {
        Actor {
            staff: self.staff.clone(),
            event_id: self.event.as_ref().map(|e| e.id),
        }
    }
}

/// A cash session of this till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TillSession {
    /// Identifier.
    pub id: Uuid,
    /// The event it was opened at.
    pub event_id: Option<EventId>,
    /// Cash float put in the drawer.
    pub float: Money,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// By whom.
    pub opened_by: String,
    /// Cash the drawer should hold now (open) or held at closing (closed).
    pub expected: Money,
    /// The closing, once closed.
    pub close: Option<TillClose>,
}

fn clean(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Till {
    /// The current event and staff member.
    pub fn settings(&self) -> Result<TillSettings> {
        let (event_id, staff): (Option<String>, String) = self
            .conn
            .prepare_cached("SELECT event_id, staff FROM till_settings WHERE singleton = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let event = match event_id {
            None => None,
            Some(id) => self.event(&id)?,
        };
        Ok(TillSettings { event, staff })
    }

    fn event(&self, id: &str) -> Result<Option<Event>> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM events WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        body.map(|b| serde_json::from_str(&b).map_err(StoreError::from))
            .transpose()
    }

    /// Sets the current event (`None` for none) and staff member.
    pub fn set_settings(&mut self, event: Option<EventId>, staff: &str) -> Result<TillSettings> {
        let staff = staff.trim();
        if staff.chars().count() > 60 {
            return Err(StoreError::Invalid(
                "the staff name is too long (60 characters at most)".into(),
            ));
        }
        if let Some(id) = event {
            if self.event(&id.0.to_string())?.is_none() {
                return Err(StoreError::NotFound(format!("event {id}")));
            }
        }
        self.conn.execute(
            "UPDATE till_settings SET event_id = ?1, staff = ?2 WHERE singleton = 1",
            params![event.map(|e| e.0.to_string()), staff],
        )?;
        self.settings()
    }

    /// Opens the drawer with a cash float. Only one session may be open at a time.
    pub fn open_till(&mut self, actor: &Actor, float: Money) -> Result<TillSession> {
        let staff = clean(&actor.staff).ok_or_else(|| {
            StoreError::Invalid("say who is opening the till (staff name) first".into())
        })?;
        if float.minor() < 0 {
            return Err(StoreError::Invalid("the float cannot be negative".into()));
        }
        let id = Uuid::now_v7();
        let now = self.now();
        let device = self.device().id.0.to_string();
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if open_session_id(&db, &device)?.is_some() {
            return Err(StoreError::Invalid(
                "the till is already open; close it with a count before opening it again".into(),
            ));
        }
        db.prepare_cached(
            "INSERT INTO till_sessions (id, device_id, event_id, currency, float_minor, opened_at, opened_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id.to_string(),
            device,
            actor.event_id.map(|e| e.0.to_string()),
            float.currency().code(),
            float.minor(),
            ms(now),
            staff
        ])?;
        db.commit()?;
        self.session(id)
    }

    /// Closes the open session with the cash counted; keeps expected and over/short.
    pub fn close_till(&mut self, actor: &Actor, counted: Money, note: &str) -> Result<TillSession> {
        let staff = clean(&actor.staff).ok_or_else(|| {
            StoreError::Invalid("say who is closing the till (staff name) first".into())
        })?;
        if counted.minor() < 0 {
            return Err(StoreError::Invalid("the count cannot be negative".into()));
        }
        let open = self
            .current_session()?
            .ok_or_else(|| StoreError::Invalid("the till is not open".into()))?;
        if open.float.currency() != counted.currency() {
            return Err(StoreError::Invalid(format!(
                "the till was opened in {}; count in {}",
                open.float.currency(),
                open.float.currency()
            )));
        }
        let now = self.now();
        let expected = self.expected_cash(&open, now)?;
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        db.prepare_cached(
            "INSERT INTO till_closes (session_id, closed_at, closed_by, counted_minor, expected_minor, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            open.id.to_string(),
            ms(now),
            staff,
            counted.minor(),
            expected.minor(),
            clean(note)
        ])?;
        db.commit()?;
        self.session(open.id)
    }

    /// The open session, with the cash expected now.
    pub fn current_session(&self) -> Result<Option<TillSession>> {
        open_session_id(&self.conn, &self.device().id.0.to_string())?
            .map(|id| {
                let id = Uuid::parse_str(&id).map_err(|_| StoreError::Decode(id.clone()))?;
                self.session(id)
            })
            .transpose()
    }

    /// This till's sessions, newest first.
    pub fn sessions(&self, limit: usize) -> Result<Vec<TillSession>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM till_sessions ORDER BY seq DESC LIMIT ?1")?
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| {
                let id = Uuid::parse_str(id).map_err(|_| StoreError::Decode(id.clone()))?;
                self.session(id)
            })
            .collect()
    }

    fn session(&self, id: Uuid) -> Result<TillSession> {
        let mut session = self
            .conn
            .prepare_cached(
                "SELECT s.id, s.event_id, s.currency, s.float_minor, s.opened_at, s.opened_by,
                        c.closed_at, c.closed_by, c.counted_minor, c.expected_minor, c.note
                 FROM till_sessions s LEFT JOIN till_closes c ON c.session_id = s.id WHERE s.id = ?1",
            )?
            .query_row([id.to_string()], read_session)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("till session {id}")))??;
        if session.close.is_none() {
            session.expected = self.expected_cash(&session, self.now())?;
        }
        Ok(session)
    }

    /// The float plus the net cash this device took since the session opened: approved cash
    /// sales and captures, less voided logged sales, complete refunds and credits paid in cash.
    fn expected_cash(&self, session: &TillSession, until: Timestamp) -> Result<Money> {
        let currency = session.float.currency();
        let mut builder = SummaryBuilder::default();
        self.add_grouped(
            &mut builder,
            "SELECT t.currency, t.kind, t.parent_kind, t.result, count(*), sum(t.amount_minor)
             FROM transactions t
             WHERE t.device_id = ?1 AND t.remote = 0 AND t.method = 'cash' AND t.currency = ?2
               AND t.created_at >= ?3 AND t.created_at <= ?4
             GROUP BY t.currency, t.kind, t.parent_kind, t.result",
            vec![
                Value::Text(self.device().id.0.to_string()),
                Value::Text(currency.code().to_string()),
                Value::Integer(ms(session.opened_at)),
                Value::Integer(ms(until)),
            ],
        )?;
        let net = builder
            .finish()
            .currency(currency)
            .map(|c| c.net)
            .unwrap_or_else(|| Money::zero(currency));
        Ok(session.float.checked_add(net)?)
    }
}

/// The id of this device's open session, if any.
fn open_session_id(conn: &rusqlite::Connection, device: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT s.id FROM till_sessions s WHERE s.device_id = ?1
             AND NOT EXISTS (SELECT 1 FROM till_closes c WHERE c.session_id = s.id)",
        )?
        .query_row([device], |r| r.get(0))
        .optional()?)
}

fn read_session(r: &Row<'_>) -> rusqlite::Result<Result<TillSession>> {
    let parse = || -> Result<TillSession> {
        let id: String = r.get(0)?;
        let event: Option<String> = r.get(1)?;
        let currency = Currency::from_code(&r.get::<_, String>(2)?)?;
        let m = |minor: i64| Money::from_minor(minor, currency);
        let closed_at: Option<i64> = r.get(6)?;
        let close = match closed_at {
            None => None,
            Some(at) => {
                let counted = m(r.get(8)?);
                let expected = m(r.get(9)?);
                Some(TillClose {
                    closed_at: from_ms(at)?,
                    closed_by: r.get(7)?,
                    counted,
                    expected,
                    over_short: counted.checked_sub(expected)?,
                    note: r.get(10)?,
                })
            }
        };
        Ok(TillSession {
            id: Uuid::parse_str(&id).map_err(|_| StoreError::Decode(id.clone()))?,
            event_id: event
                .map(|e| e.parse().map_err(|_| StoreError::Decode(e.clone())))
                .transpose()?,
            float: m(r.get(3)?),
            opened_at: from_ms(r.get(4)?)?,
            opened_by: r.get(5)?,
            expected: close.as_ref().map(|c| c.expected).unwrap_or(m(0)),
            close,
        })
    };
    Ok(parse())
}
