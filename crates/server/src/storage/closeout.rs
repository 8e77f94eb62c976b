//! An event's close-out: its figures for the whole event, each device and each staff member
//! (per currency and per payment method), discounts given, cash sessions with over/short, and
//! the authorizations still holding money.
//!
//! The figures come from one grouped scan of the event's transactions, folded in Rust into
//! every part, so a 50,000-transaction event is read once, not once per device.

use std::collections::BTreeMap;

use fairtill_core::filter::TxFilter;
use fairtill_core::ids::{DeviceId, EventId};
use fairtill_core::ledger::{SummaryBuilder, SummaryRow};
use fairtill_core::money::{Currency, Money};
use fairtill_core::till::TillClose;
use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::Record;
use fairtill_protocol::{
    CashSession, CloseOut, CloseOutPart, EventSummary, HourlySales, MethodSummary,
    OpenAuthorization, EXPIRES_SOON_HOURS,
};

use super::queries::{filter_sql, grouped_summary_rows, ServerFilter};
use super::{ms, Db, Param, Result, Row, Storage, StorageError};
use crate::params;

/// Which part of an event to close out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseOutFilter {
    /// The event.
    pub event_id: EventId,
    /// Only this device.
    pub device_id: Option<DeviceId>,
    /// Only this staff member.
    pub staff: Option<String>,
}

impl CloseOutFilter {
    /// The same part of the event as a filter of the transaction list.
    fn transactions(&self) -> ServerFilter {
        ServerFilter {
            base: TxFilter {
                event_id: Some(self.event_id),
                staff: self.staff.clone(),
                ..TxFilter::default()
            },
            device_id: self.device_id,
        }
    }
}

fn currency(code: &str) -> Result<Currency> {
    Currency::from_code(code).map_err(|e| StorageError::Backend(e.to_string()))
}

fn parse<T: std::str::FromStr>(text: String) -> Result<T> {
    text.parse()
        .map_err(|_| StorageError::Backend(format!("stored id {text:?} is not valid")))
}

/// Figures of one part while they are added up.
#[derive(Default)]
struct PartAcc {
    summary: SummaryBuilder,
    by_method: BTreeMap<String, SummaryBuilder>,
    discounts: BTreeMap<Currency, i64>,
    discounted_orders: u64,
    over_short: BTreeMap<Currency, i64>,
}

impl PartAcc {
    fn add(&mut self, method: &str, row: SummaryRow) {
        self.summary.add(row);
        self.by_method
            .entry(method.to_string())
            .or_default()
            .add(row);
    }

    fn finish(self, key: String, label: String) -> CloseOutPart {
        let money = |m: BTreeMap<Currency, i64>| {
            m.into_iter()
                .map(|(c, minor)| Money::from_minor(minor, c))
                .collect()
        };
        CloseOutPart {
            key,
            label,
            summary: self.summary.finish(),
            by_method: self
                .by_method
                .into_iter()
                .map(|(method, b)| MethodSummary {
                    method,
                    currencies: b.finish().currencies,
                })
                .collect(),
            discounts: money(self.discounts),
            discounted_orders: self.discounted_orders,
            over_short: money(self.over_short),
        }
    }
}

/// Every part being added up: the whole, each device, each staff member.
#[derive(Default)]
struct Parts {
    whole: PartAcc,
    devices: BTreeMap<String, PartAcc>,
    staff: BTreeMap<String, PartAcc>,
}

impl Parts {
    fn each(&mut self, device: &str, staff: &str, mut f: impl FnMut(&mut PartAcc)) {
        f(&mut self.whole);
        f(self.devices.entry(device.to_string()).or_default());
        f(self.staff.entry(staff.to_string()).or_default());
    }
}

/// The close-out, read in the open transaction.
fn close_out(db: &mut dyn Db, filter: &CloseOutFilter, now: Timestamp) -> Result<CloseOut> {
    let names = super::devices::device_names(db)?;
    let mut parts = Parts::default();

    // Transactions: one grouped scan.
    let tx_filter = filter.transactions();
    for (key, row) in
        grouped_summary_rows(db, &tx_filter, &["t.device_id", "t.staff", "t.method"], now)?
    {
        let [device, staff, method] = key.as_slice() else {
            return Err(StorageError::Backend("grouping keys missing".into()));
        };
        parts.each(device, staff, |p| p.add(method, row));
    }

    // Discounts on orders that were paid (an approved sale or authorization).
    let (order_sql, order_params) = order_conditions(filter);
    for r in db.query(
        &format!(
            "SELECT o.device_id, o.staff, o.currency, count(*), CAST(sum(o.discount_minor) AS BIGINT)
             FROM orders o
             WHERE {order_sql} AND o.discount_minor > 0
               AND EXISTS (SELECT 1 FROM transactions t WHERE t.order_id = o.id
                           AND t.kind IN ('sale', 'authorize') AND t.result = 'approved')
             GROUP BY o.device_id, o.staff, o.currency"
        ),
        &order_params,
    )? {
        let (device, staff, c) = (r.text(0)?, r.text(1)?, currency(&r.text(2)?)?);
        let (count, minor) = (u64::try_from(r.int(3)?).unwrap_or(0), r.int(4)?);
        parts.each(&device, &staff, |p| {
            *p.discounts.entry(c).or_default() += minor;
            p.discounted_orders += count;
        });
    }

    // Cash sessions; a closed one's over/short counts for its till and whoever closed it.
    let sessions = cash_sessions(db, filter, &names)?;
    for s in &sessions {
        if let Some(close) = &s.close {
            let (c, minor) = (close.over_short.currency(), close.over_short.minor());
            parts.each(&s.device_id.to_string(), &close.closed_by, |p| {
                *p.over_short.entry(c).or_default() += minor;
            });
        }
    }

    let open_authorizations = open_authorizations(db, &tx_filter, &names, now)?;
    let label = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut devices: Vec<CloseOutPart> = parts
        .devices
        .into_iter()
        .map(|(id, p)| {
            let name = label(&id);
            p.finish(id, name)
        })
        .collect();
    devices.sort_by_key(|p| p.label.to_lowercase());
    let staff = parts
        .staff
        .into_iter()
        .map(|(name, p)| p.finish(name.clone(), name))
        .collect();
    Ok(CloseOut {
        event_id: filter.event_id,
        generated_at: now,
        whole: parts.whole.finish(String::new(), "Whole event".into()),
        devices,
        staff,
        sessions,
        open_authorizations,
    })
}

/// Conditions on `orders o` for the filter, numbered from `$1`.
fn order_conditions(filter: &CloseOutFilter) -> (String, Vec<Param>) {
    let mut sql = vec!["o.event_id = $1".to_string()];
    let mut params: Vec<Param> = vec![filter.event_id.to_string().into()];
    if let Some(d) = filter.device_id {
        params.push(d.to_string().into());
        sql.push(format!("o.device_id = ${}", params.len()));
    }
    if let Some(s) = &filter.staff {
        params.push(s.clone().into());
        sql.push(format!("o.staff = ${}", params.len()));
    }
    (sql.join(" AND "), params)
}

fn cash_sessions(
    db: &mut dyn Db,
    filter: &CloseOutFilter,
    names: &BTreeMap<String, String>,
) -> Result<Vec<CashSession>> {
    let mut sql = "s.event_id = $1".to_string();
    let mut params: Vec<Param> = vec![filter.event_id.to_string().into()];
    if let Some(d) = filter.device_id {
        params.push(d.to_string().into());
        sql.push_str(&format!(" AND s.device_id = ${}", params.len()));
    }
    if let Some(s) = &filter.staff {
        params.push(s.clone().into());
        let n = params.len();
        sql.push_str(&format!(" AND (s.opened_by = ${n} OR c.closed_by = ${n})"));
    }
    db.query(
        &format!(
            "SELECT s.id, s.device_id, s.currency, s.float_minor, s.opened_at, s.opened_by,
                    c.closed_at, c.closed_by, c.counted_minor, c.expected_minor, c.note
             FROM till_sessions s LEFT JOIN till_closes c ON c.session_id = s.id
             WHERE {sql} ORDER BY s.opened_at, s.id"
        ),
        &params,
    )?
    .iter()
    .map(|r| read_session(r, names))
    .collect()
}

fn read_session(r: &Row, names: &BTreeMap<String, String>) -> Result<CashSession> {
    let device = r.text(1)?;
    let c = currency(&r.text(2)?)?;
    let m = |minor: i64| Money::from_minor(minor, c);
    let close = match r.opt_time(6)? {
        None => None,
        Some(closed_at) => {
            let (counted, expected) = (m(r.int(8)?), m(r.int(9)?));
            Some(TillClose {
                closed_at,
                closed_by: r.text(7)?,
                counted,
                expected,
                over_short: counted
                    .checked_sub(expected)
                    .map_err(|e| StorageError::Backend(e.to_string()))?,
                note: r.opt_text(10)?,
            })
        }
    };
    Ok(CashSession {
        id: parse(r.text(0)?)?,
        device_name: names
            .get(&device)
            .cloned()
            .unwrap_or_else(|| device.clone()),
        device_id: parse(device)?,
        float: m(r.int(3)?),
        opened_at: r.time(4)?,
        opened_by: r.text(5)?,
        close,
    })
}

/// Most open authorizations listed.
const OPEN_AUTHORIZATIONS: i64 = 1000;

fn open_authorizations(
    db: &mut dyn Db,
    filter: &ServerFilter,
    names: &BTreeMap<String, String>,
    now: Timestamp,
) -> Result<Vec<OpenAuthorization>> {
    let (sql, mut params) = filter_sql(db, filter)?;
    params.push(ms(now).into());
    let now_n = params.len();
    params.push(OPEN_AUTHORIZATIONS.into());
    let rows = db.query(
        &format!(
            "SELECT t.id, o.receipt, t.device_id, t.staff, t.currency, t.amount_minor, t.captured_minor, t.expires_at
             FROM transactions t LEFT JOIN orders o ON o.id = t.order_id
             WHERE {sql} AND t.kind = 'authorize' AND t.result = 'approved' AND t.voided = 0
               AND t.amount_minor > t.captured_minor AND t.expires_at > ${now_n}
             ORDER BY t.expires_at, t.id LIMIT ${}",
            params.len()
        ),
        &params,
    )?;
    let soon = now
        .checked_add(SignedDuration::from_hours(EXPIRES_SOON_HOURS))
        .map_err(|e| StorageError::Backend(e.to_string()))?;
    rows.iter()
        .map(|r| {
            let c = currency(&r.text(4)?)?;
            let (amount, captured) = (r.int(5)?, r.int(6)?);
            let device = r.text(2)?;
            let expires_at = r.time(7)?;
            Ok(OpenAuthorization {
                transaction_id: parse(r.text(0)?)?,
                receipt: r.opt_text(1)?,
                device_name: names
                    .get(&device)
                    .cloned()
                    .unwrap_or_else(|| device.clone()),
                device_id: parse(device)?,
                staff: r.text(3)?,
                amount: Money::from_minor(amount, c),
                captured: Money::from_minor(captured, c),
                remaining: Money::from_minor(amount - captured, c),
                expires_at,
                expires_soon: expires_at <= soon,
            })
        })
        .collect()
}

/// Fills the currency and discount of orders stored before the server kept them (version 2
/// of the schema), from their records. Does nothing once every order has them.
pub(crate) fn backfill_orders(db: &mut dyn Db) -> Result<u64> {
    let rows = db.query(
        "SELECT o.id, r.body FROM orders o JOIN records r ON r.record_type = 'order' AND r.record_id = o.id
         WHERE o.currency IS NULL",
        &[],
    )?;
    let mut filled = 0;
    for r in &rows {
        let Record::Order { order } = serde_json::from_str::<Record>(&r.text(1)?)? else {
            continue;
        };
        filled += db.execute(
            "UPDATE orders SET currency = $1, discount_minor = $2 WHERE id = $3",
            params![
                order.currency().code(),
                super::push::discount_minor(&order),
                r.text(0)?
            ],
        )?;
    }
    Ok(filled)
}

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

/// Sales and refunds per hour, till, staff member, method and currency. A logged sale voided
/// since (entered by mistake) is left out: it never took money.
fn sales_by_hour(db: &mut dyn Db, filter: &CloseOutFilter) -> Result<Vec<HourlySales>> {
    let names = super::devices::device_names(db)?;
    let tx_filter = filter.transactions();
    let (sql, params) = filter_sql(db, &tx_filter)?;
    let rows = db.query(
        &format!(
            "SELECT t.created_at / {HOUR_MS} AS hour, t.device_id, t.staff, t.method, t.currency,
                    CAST(sum(CASE WHEN t.kind IN ('sale', 'capture') THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(sum(CASE WHEN t.kind IN ('sale', 'capture') THEN t.amount_minor ELSE 0 END) AS BIGINT),
                    CAST(sum(CASE WHEN t.kind = 'refund' THEN t.amount_minor ELSE 0 END) AS BIGINT)
             FROM transactions t
             WHERE {sql} AND t.result = 'approved' AND t.kind IN ('sale', 'capture', 'refund')
               AND t.voided = 0
             GROUP BY t.created_at / {HOUR_MS}, t.device_id, t.staff, t.method, t.currency
             ORDER BY hour, t.device_id, t.staff, t.method, t.currency"
        ),
        &params,
    )?;
    rows.iter()
        .map(|r| {
            let device = r.text(1)?;
            let c = currency(&r.text(4)?)?;
            Ok(HourlySales {
                hour: super::time(r.int(0)? * HOUR_MS)?,
                device_name: names
                    .get(&device)
                    .cloned()
                    .unwrap_or_else(|| device.clone()),
                device_id: parse(device)?,
                staff: r.text(2)?,
                method: r.text(3)?,
                sales: u64::try_from(r.int(5)?).unwrap_or(0),
                gross: Money::from_minor(r.int(6)?, c),
                refunded: Money::from_minor(r.int(7)?, c),
            })
        })
        .collect()
}

/// The events transactions were recorded at, newest first, named where the server has them.
fn events(db: &mut dyn Db) -> Result<Vec<EventSummary>> {
    let mut names = BTreeMap::new();
    for r in db.query("SELECT body FROM records WHERE record_type = 'event'", &[])? {
        if let Record::Event { event } = serde_json::from_str(&r.text(0)?)? {
            names.insert(event.id.to_string(), event.name);
        }
    }
    db.query(
        "SELECT event_id, count(*), min(created_at), max(created_at) FROM transactions
         WHERE event_id IS NOT NULL GROUP BY event_id ORDER BY max(created_at) DESC",
        &[],
    )?
    .iter()
    .map(|r| {
        let id = r.text(0)?;
        Ok(EventSummary {
            name: names.get(&id).cloned(),
            id: parse(id)?,
            transactions: u64::try_from(r.int(1)?).unwrap_or(0),
            first_at: r.time(2)?,
            last_at: r.time(3)?,
        })
    })
    .collect()
}

impl Storage {
    /// The close-out of an event (or of one device or staff member at it), at `now`.
    pub async fn close_out(&self, filter: CloseOutFilter, now: Timestamp) -> Result<CloseOut> {
        self.transact(move |db| close_out(db, &filter, now)).await
    }

    /// The events transactions were recorded at, newest first.
    pub async fn events(&self) -> Result<Vec<EventSummary>> {
        self.transact(events).await
    }

    /// Sales and refunds per hour of an event, for the manager's charts.
    pub async fn sales_by_hour(&self, filter: CloseOutFilter) -> Result<Vec<HourlySales>> {
        self.transact(move |db| sales_by_hour(db, &filter)).await
    }
}
