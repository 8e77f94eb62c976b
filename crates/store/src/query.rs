//! Reading the transaction list: filters, keyset pagination, the per-currency summary.

use fairtill_core::ledger::{Summary, SummaryBuilder, SummaryRow, TxKind, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::Timestamp;
use rusqlite::types::Value;
use rusqlite::Row;

use fairtill_core::filter::CondValue;
pub use fairtill_core::filter::{Page, TxFilter, TxRow, METHODS};

use crate::error::{Result, StoreError};
use crate::records::{from_ms, ms};
use crate::till::Till;

/// SQL conditions of a filter on table alias `t`, and their parameters: the conditions both
/// stores share ([`TxFilter::conditions`]) and the device's text search on `search_text`.
pub(crate) fn filter_sql(filter: &TxFilter) -> Result<(String, Vec<Value>)> {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut add = |clause: &str, value: Option<Value>| match value {
        Some(v) => {
            params.push(v);
            clauses.push(clause.replace('?', &format!("?{}", params.len())));
        }
        None => clauses.push(clause.to_string()),
    };
    let conditions = filter
        .conditions()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    for c in conditions {
        add(
            &c.clause,
            c.value.map(|v| match v {
                CondValue::Int(i) => Value::Integer(i),
                CondValue::Text(t) => Value::Text(t),
            }),
        );
    }
    if let Some(pattern) = filter.text_pattern() {
        add(
            "t.search_text LIKE ? ESCAPE '\\'",
            Some(Value::Text(pattern)),
        );
    }
    let sql = if clauses.is_empty() {
        "1".to_string()
    } else {
        clauses.join(" AND ")
    };
    Ok((sql, params))
}

/// Columns of [`TxRow`], selected from `transactions t LEFT JOIN orders o`.
pub(crate) const ROW_COLUMNS: &str = "t.id, o.receipt, t.order_id, t.parent_id, t.kind, t.result, t.amount_minor, t.currency, t.method,
    t.external_system, t.external_reference, o.customer_name, o.customer_email, t.staff, t.event_id, t.device_id, t.created_at";

fn parse_id<T: std::str::FromStr>(v: Option<String>) -> Result<Option<T>> {
    v.map(|s| {
        s.parse::<T>()
            .map_err(|_| StoreError::Decode(format!("id {s:?}")))
    })
    .transpose()
}

pub(crate) fn read_row(r: &Row<'_>) -> Result<TxRow> {
    let kind: String = r.get(4)?;
    let result: String = r.get(5)?;
    let currency: String = r.get(7)?;
    let currency = Currency::from_code(&currency)?;
    let id: String = r.get(0)?;
    Ok(TxRow {
        id: id
            .parse()
            .map_err(|_| StoreError::Decode(format!("id {id:?}")))?,
        receipt: r.get(1)?,
        order_id: parse_id(r.get(2)?)?,
        parent_id: parse_id(r.get(3)?)?,
        kind: TxKind::parse(&kind).ok_or_else(|| StoreError::Decode(kind.clone()))?,
        result: TxResult::parse(&result).ok_or_else(|| StoreError::Decode(result.clone()))?,
        amount: Money::from_minor(r.get(6)?, currency),
        method: r.get(8)?,
        external_system: r.get(9)?,
        external_reference: r.get(10)?,
        customer_name: r.get(11)?,
        customer_email: r.get(12)?,
        staff: r.get(13)?,
        event_id: parse_id(r.get(14)?)?,
        device_id: r.get(15)?,
        created_at: from_ms(r.get(16)?)?,
    })
}

fn encode_cursor(row: &TxRow) -> String {
    fairtill_core::filter::encode_cursor(row.created_at, &row.id.to_string())
}

fn decode_cursor(cursor: &str) -> Result<(i64, String)> {
    fairtill_core::filter::decode_cursor(cursor).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl Till {
    /// A page of the transaction list, newest first. Pass the previous page's `next` as `after`.
    pub fn list(&self, filter: &TxFilter, after: Option<&str>, limit: usize) -> Result<Page> {
        let (mut sql, mut params) = filter_sql(filter)?;
        if let Some(cursor) = after {
            let (at, id) = decode_cursor(cursor)?;
            params.push(Value::Integer(at));
            params.push(Value::Text(id));
            sql.push_str(&format!(
                " AND (t.created_at, t.id) < (?{}, ?{})",
                params.len() - 1,
                params.len()
            ));
        }
        let limit = limit.clamp(1, 1000);
        let query = format!(
            "SELECT {ROW_COLUMNS} FROM transactions t LEFT JOIN orders o ON o.id = t.order_id
             WHERE {sql} ORDER BY t.created_at DESC, t.id DESC LIMIT {}",
            limit + 1
        );
        let mut stmt = self.conn.prepare_cached(&query)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::with_capacity(limit + 1);
        while let Some(r) = rows.next()? {
            out.push(read_row(r)?);
        }
        let next = if out.len() > limit {
            out.truncate(limit);
            out.last().map(encode_cursor)
        } else {
            None
        };
        Ok(Page { rows: out, next })
    }

    /// How many transactions the filter selects.
    pub fn count(&self, filter: &TxFilter) -> Result<u64> {
        let (sql, params) = filter_sql(filter)?;
        let n: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM transactions t WHERE {sql}"))?
            .query_row(rusqlite::params_from_iter(params), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The per-currency summary of every transaction the filter selects, at the till's now.
    pub fn summary(&self, filter: &TxFilter) -> Result<Summary> {
        self.summary_at(filter, self.now())
    }

    /// The per-currency summary at a given time (expiry of authorizations depends on it).
    /// Whole days come from the running totals; the parts of a date range that cut a day, and
    /// any text search, are summed from the transactions.
    pub fn summary_at(&self, filter: &TxFilter, now: Timestamp) -> Result<Summary> {
        let mut builder = SummaryBuilder::default();
        let has_text = filter.text.as_deref().is_some_and(|t| !t.trim().is_empty());
        if has_text {
            self.add_scanned(&mut builder, filter)?;
        } else {
            let split = split_days(filter.from.map(ms), filter.to.map(ms));
            if let Some((first, end)) = split.days {
                self.add_totals(&mut builder, filter, first, end)?;
            }
            for (from, to) in split.edges {
                let edge = TxFilter {
                    from: Some(from_ms(from)?),
                    to: Some(from_ms(to)?),
                    ..filter.clone()
                };
                self.add_scanned(&mut builder, &edge)?;
            }
        }
        self.add_expired(&mut builder, filter, now)?;
        Ok(builder.finish())
    }

    /// The same summary summed from the transactions alone, without the running totals.
    pub fn summary_scanned(&self, filter: &TxFilter, now: Timestamp) -> Result<Summary> {
        let mut builder = SummaryBuilder::default();
        self.add_scanned(&mut builder, filter)?;
        self.add_expired(&mut builder, filter, now)?;
        Ok(builder.finish())
    }

    /// Adds grouped rows (`currency, kind, parent_kind, result, count, sum`) to a summary.
    pub(crate) fn add_grouped(
        &self,
        builder: &mut SummaryBuilder,
        query: &str,
        params: Vec<Value>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(query)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            let currency: String = r.get(0)?;
            let kind: String = r.get(1)?;
            let parent_kind: Option<String> = r.get(2)?;
            let result: String = r.get(3)?;
            builder.add(SummaryRow {
                currency: Currency::from_code(&currency)?,
                kind: TxKind::parse(&kind).ok_or_else(|| StoreError::Decode(kind.clone()))?,
                parent_kind: parent_kind.as_deref().and_then(TxKind::parse),
                result: TxResult::parse(&result)
                    .ok_or_else(|| StoreError::Decode(result.clone()))?,
                count: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                amount_minor: r.get(5)?,
                expired_minor: 0,
            });
        }
        Ok(())
    }

    fn add_scanned(&self, builder: &mut SummaryBuilder, filter: &TxFilter) -> Result<()> {
        let (sql, params) = filter_sql(filter)?;
        let query = format!(
            "SELECT t.currency, t.kind, t.parent_kind, t.result, count(*), sum(t.amount_minor)
             FROM transactions t WHERE {sql} GROUP BY t.currency, t.kind, t.result, t.parent_kind"
        );
        self.add_grouped(builder, &query, params)
    }

    fn add_totals(
        &self,
        builder: &mut SummaryBuilder,
        filter: &TxFilter,
        first: Option<i64>,
        end: Option<i64>,
    ) -> Result<()> {
        // tx_totals has the same filterable columns as transactions (event_id '' for none).
        let dims = TxFilter {
            from: None,
            to: None,
            text: None,
            ..filter.clone()
        };
        let (mut sql, mut params) = filter_sql(&dims)?;
        for (op, day) in [(">=", first), ("<", end)] {
            if let Some(d) = day {
                params.push(Value::Integer(d));
                sql.push_str(&format!(" AND t.day {op} ?{}", params.len()));
            }
        }
        let query = format!(
            "SELECT t.currency, t.kind, nullif(t.parent_kind, ''), t.result, sum(t.count), sum(t.amount_minor)
             FROM tx_totals t WHERE {sql} GROUP BY t.currency, t.kind, t.result, t.parent_kind"
        );
        self.add_grouped(builder, &query, params)
    }

    /// Authorizations past their window with money uncaptured and no void: the remainder counts
    /// as canceled (docs/domain.md, rule 3). Captures are counted whatever the filter.
    fn add_expired(
        &self,
        builder: &mut SummaryBuilder,
        filter: &TxFilter,
        now: Timestamp,
    ) -> Result<()> {
        let (sql, mut params) = filter_sql(filter)?;
        params.push(Value::Integer(ms(now)));
        let expired = format!(
            "SELECT currency, sum(remainder) FROM (
               SELECT t.currency, t.amount_minor - coalesce((SELECT sum(c.amount_minor) FROM transactions c
                   WHERE c.parent_id = t.id AND c.kind = 'capture' AND c.result IN ('approved', 'unknown')), 0) AS remainder
               FROM transactions t INDEXED BY transactions_expiring
               WHERE {sql} AND t.kind = 'authorize' AND t.result = 'approved' AND t.expires_at <= ?{}
                 AND NOT EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = t.id AND v.kind = 'void' AND v.result = 'approved')
             ) WHERE remainder > 0 GROUP BY currency",
            params.len()
        );
        let mut stmt = self.conn.prepare_cached(&expired)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            let currency: String = r.get(0)?;
            builder.add(SummaryRow {
                currency: Currency::from_code(&currency)?,
                kind: TxKind::Authorize,
                parent_kind: None,
                result: TxResult::Approved,
                count: 0,
                amount_minor: 0,
                expired_minor: r.get(1)?,
            });
        }
        Ok(())
    }
}

const DAY_MS: i64 = 86_400_000;

/// A date range cut into whole UTC days (answered from the running totals) and the pieces at
/// either end that cut a day (summed from the transactions).
#[derive(Debug, PartialEq, Eq)]
struct DaySplit {
    /// `[first, end)` in day numbers; `None` bounds are open. Absent when no whole day is inside.
    days: Option<(Option<i64>, Option<i64>)>,
    /// Millisecond ranges `[from, to)` to scan.
    edges: Vec<(i64, i64)>,
}

fn split_days(from: Option<i64>, to: Option<i64>) -> DaySplit {
    let first = from.map(|f| f.div_euclid(DAY_MS) + i64::from(f.rem_euclid(DAY_MS) != 0));
    let end = to.map(|t| t.div_euclid(DAY_MS));
    if let (Some(f), Some(t), Some(a), Some(b)) = (from, to, first, end) {
        if a >= b {
            return DaySplit {
                days: None,
                edges: if f < t { vec![(f, t)] } else { vec![] },
            };
        }
    }
    let mut edges = Vec::new();
    if let (Some(f), Some(a)) = (from, first) {
        if f < a * DAY_MS {
            edges.push((f, a * DAY_MS));
        }
    }
    if let (Some(t), Some(b)) = (to, end) {
        if b * DAY_MS < t {
            edges.push((b * DAY_MS, t));
        }
    }
    DaySplit {
        days: Some((first, end)),
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges_split_into_whole_days_and_edges() {
        let d = DAY_MS;
        assert_eq!(
            split_days(None, None),
            DaySplit {
                days: Some((None, None)),
                edges: vec![]
            }
        );
        assert_eq!(
            split_days(Some(2 * d), Some(5 * d)),
            DaySplit {
                days: Some((Some(2), Some(5))),
                edges: vec![]
            }
        );
        assert_eq!(
            split_days(Some(2 * d + 5), Some(5 * d + 7)),
            DaySplit {
                days: Some((Some(3), Some(5))),
                edges: vec![(2 * d + 5, 3 * d), (5 * d, 5 * d + 7)]
            }
        );
        assert_eq!(
            split_days(Some(2 * d + 5), Some(2 * d + 9)),
            DaySplit {
                days: None,
                edges: vec![(2 * d + 5, 2 * d + 9)]
            }
        );
        assert_eq!(
            split_days(Some(2 * d + 5), Some(3 * d + 9)),
            DaySplit {
                days: None,
                edges: vec![(2 * d + 5, 3 * d + 9)]
            }
        );
        assert_eq!(
            split_days(Some(9), Some(3)),
            DaySplit {
                days: None,
                edges: vec![]
            }
        );
    }
}
