//! The manager's reads across devices: the filtered transaction list with keyset pagination,
//! and the per-currency summary (the one definition in `fairtill_core::ledger::SummaryBuilder`).

use fairtill_core::filter::{decode_cursor, encode_cursor, CondValue, Page, TxFilter, TxRow};
use fairtill_core::ids::DeviceId;
use fairtill_core::ledger::{Summary, SummaryBuilder, SummaryRow, TxKind, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::Timestamp;

use super::text::{text_matches, TextMatch};
use super::{ms, Db, Param, Result, Row, Storage, StorageError};

/// The device list's filter plus a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFilter {
    /// The filters every list has.
    pub base: TxFilter,
    /// Recorded on this device.
    pub device_id: Option<DeviceId>,
}

/// Most rows in one page.
pub const MAX_PAGE: usize = 1000;

/// Conditions on `transactions t` (joined to `orders o` when the filter has text: see
/// [`ServerFilter::orders_join`]) and their parameters, numbered from `$1`: the conditions the
/// device's list has too ([`TxFilter::conditions`](fairtill_core::filter::TxFilter::conditions)),
/// the till, and the text, which is looked up in the trigram index first and may settle as a
/// list of ids (`text`). The device's store writes the same conditions from the same source;
/// the text search is each store's own, because each has its own index.
pub(crate) fn filter_sql(db: &mut dyn Db, filter: &ServerFilter) -> Result<(String, Vec<Param>)> {
    let f = &filter.base;
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut push = |clause: &str, value: Option<Param>| match value {
        Some(value) => {
            params.push(value);
            clauses.push(clause.replace('?', &format!("${}", params.len())));
        }
        None => clauses.push(clause.to_string()),
    };
    let conditions = f
        .conditions()
        .map_err(|e| StorageError::Invalid(e.to_string()))?;
    for c in conditions {
        let value = c.value.map(|v| match v {
            CondValue::Int(i) => Param::from(i),
            CondValue::Text(t) => Param::from(t),
        });
        push(&c.clause, value);
    }
    if let Some(d) = filter.device_id {
        push("t.device_id = ?", Some(d.to_string().into()));
    }
    if let (Some(text), Some(pattern)) = (f.text.as_deref().map(str::trim), f.text_pattern()) {
        match text_matches(db, text, &pattern)? {
            TextMatch::Scan => push(
                "(lower(coalesce(o.customer_name, '')) LIKE ? ESCAPE '\\'
                  OR lower(coalesce(o.customer_email, '')) LIKE ? ESCAPE '\\'
                  OR lower(coalesce(o.customer_phone, '')) LIKE ? ESCAPE '\\'
                  OR lower(coalesce(o.receipt, '')) LIKE ? ESCAPE '\\'
                  OR lower(coalesce(t.external_reference, '')) LIKE ? ESCAPE '\\')",
                Some(pattern.into()),
            ),
            TextMatch::Few {
                orders,
                transactions,
            } => {
                let mut any = Vec::new();
                for (column, ids) in [("t.order_id", orders), ("t.id", transactions)] {
                    let Some(first) = ids.first().cloned() else {
                        continue;
                    };
                    // Padded to a power of two with the first id again, so the statement takes
                    // one of a few shapes and its prepared form is reused, not made per search.
                    let size = ids.len().next_power_of_two().max(16);
                    let mut places = Vec::with_capacity(size);
                    let padding = std::iter::repeat_n(first, size - ids.len());
                    for id in ids.into_iter().chain(padding) {
                        params.push(id.into());
                        places.push(format!("${}", params.len()));
                    }
                    any.push(format!("{column} IN ({})", places.join(", ")));
                }
                clauses.push(if any.is_empty() {
                    "1 = 0".to_string()
                } else {
                    format!("({})", any.join(" OR "))
                });
            }
        }
    }
    let sql = if clauses.is_empty() {
        "1 = 1".to_string()
    } else {
        clauses.join(" AND ")
    };
    Ok((sql, params))
}

const ROW_COLUMNS: &str = "t.id, o.receipt, t.order_id, t.parent_id, t.kind, t.result, t.amount_minor, t.currency, t.method,
    t.external_system, t.external_reference, o.customer_name, o.customer_email, t.staff, t.event_id, t.device_id, t.created_at";

fn parse<T: std::str::FromStr>(what: &str, v: Option<String>) -> Result<Option<T>> {
    v.map(|s| {
        s.parse::<T>()
            .map_err(|_| StorageError::Backend(format!("stored {what} {s:?} is not valid")))
    })
    .transpose()
}

fn read_row(r: &Row) -> Result<TxRow> {
    let kind = r.text(4)?;
    let result = r.text(5)?;
    let currency =
        Currency::from_code(&r.text(7)?).map_err(|e| StorageError::Backend(e.to_string()))?;
    Ok(TxRow {
        id: parse("id", Some(r.text(0)?))?.ok_or_else(|| StorageError::Backend("id".into()))?,
        receipt: r.opt_text(1)?,
        order_id: parse("order id", r.opt_text(2)?)?,
        parent_id: parse("parent id", r.opt_text(3)?)?,
        kind: TxKind::parse(&kind).ok_or_else(|| StorageError::Backend(kind.clone()))?,
        result: TxResult::parse(&result).ok_or_else(|| StorageError::Backend(result.clone()))?,
        amount: Money::from_minor(r.int(6)?, currency),
        method: r.text(8)?,
        external_system: r.opt_text(9)?,
        external_reference: r.opt_text(10)?,
        customer_name: r.opt_text(11)?,
        customer_email: r.opt_text(12)?,
        staff: r.text(13)?,
        event_id: parse("event id", r.opt_text(14)?)?,
        device_id: r.text(15)?,
        created_at: r.time(16)?,
    })
}

/// A page of the list in the open transaction (the CSV export reads many of these).
pub(crate) fn list_page(
    db: &mut dyn Db,
    filter: &ServerFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page> {
    let (mut sql, mut params) = filter_sql(db, filter)?;
    if let Some(cursor) = after {
        let (at, id) = decode_cursor(cursor).map_err(|e| StorageError::Invalid(e.to_string()))?;
        params.push(at.into());
        let at_n = params.len();
        params.push(id.into());
        sql.push_str(&format!(
            " AND (t.created_at < ${at_n} OR (t.created_at = ${at_n} AND t.id < ${}))",
            params.len()
        ));
    }
    let limit = limit.clamp(1, MAX_PAGE);
    params.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let query = format!(
        "SELECT {ROW_COLUMNS} FROM transactions t LEFT JOIN orders o ON o.id = t.order_id
         WHERE {sql} ORDER BY t.created_at DESC, t.id DESC LIMIT ${}",
        params.len()
    );
    let mut rows = db
        .query(&query, &params)?
        .iter()
        .map(read_row)
        .collect::<Result<Vec<_>>>()?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|r| encode_cursor(r.created_at, &r.id.to_string()))
    } else {
        None
    };
    Ok(Page { rows, next })
}

fn summary_of(db: &mut dyn Db, filter: &ServerFilter, now: Timestamp) -> Result<Summary> {
    let mut builder = SummaryBuilder::default();
    for (_, row) in grouped_summary_rows(db, filter, &[], now)? {
        builder.add(row);
    }
    Ok(builder.finish())
}

impl ServerFilter {
    /// Whether the running totals (`transaction_totals`, kept per event, device, staff member,
    /// method, currency, kind and result) answer this filter: they do unless it asks for a time
    /// range or text.
    fn totals_answer(&self) -> bool {
        self.base.from.is_none() && self.base.to.is_none() && self.base.text_pattern().is_none()
    }

    /// The join to orders the text filter needs.
    fn orders_join(&self) -> &'static str {
        if self.base.text_pattern().is_some() {
            "LEFT JOIN orders o ON o.id = t.order_id"
        } else {
            ""
        }
    }
}

/// The transactions `filter` selects as summary rows, grouped by `keys` (columns of both
/// `transactions t` and `transaction_totals`) besides currency, kind, parent kind and result;
/// each row comes with its key values. Authorizations past their window with money uncaptured
/// and no void add their remainder as canceled (docs/domain.md, rule 3), as rows of their own.
pub(crate) fn grouped_summary_rows(
    db: &mut dyn Db,
    filter: &ServerFilter,
    keys: &[&str],
    now: Timestamp,
) -> Result<Vec<(Vec<String>, SummaryRow)>> {
    let (sql, mut params) = filter_sql(db, filter)?;
    let lead: String = keys.iter().map(|k| format!("{k}, ")).collect();
    let n = keys.len();
    let currency =
        |code: String| Currency::from_code(&code).map_err(|e| StorageError::Backend(e.to_string()));
    let key_values = |r: &Row| (0..n).map(|i| r.text(i)).collect::<Result<Vec<_>>>();
    let (source, count) = if filter.totals_answer() {
        ("transaction_totals t", "sum(t.tx_count)")
    } else {
        ("transactions t", "count(*)")
    };
    let join = filter.orders_join();
    let mut out = Vec::new();
    let grouped = db.query(
        &format!(
            "SELECT {lead}t.currency, t.kind, NULLIF(t.parent_kind, ''), t.result,
                    CAST({count} AS BIGINT), CAST(sum(t.amount_minor) AS BIGINT)
             FROM {source} {join} WHERE {sql}
             GROUP BY {lead}t.currency, t.kind, t.parent_kind, t.result"
        ),
        &params,
    )?;
    for r in &grouped {
        let kind = r.text(n + 1)?;
        let result = r.text(n + 3)?;
        out.push((
            key_values(r)?,
            SummaryRow {
                currency: currency(r.text(n)?)?,
                kind: TxKind::parse(&kind).ok_or_else(|| StorageError::Backend(kind.clone()))?,
                parent_kind: r.opt_text(n + 2)?.as_deref().and_then(TxKind::parse),
                result: TxResult::parse(&result)
                    .ok_or_else(|| StorageError::Backend(result.clone()))?,
                count: u64::try_from(r.int(n + 4)?).unwrap_or(0),
                amount_minor: r.int(n + 5)?,
                expired_minor: 0,
            },
        ));
    }
    // The authorizations that may lapse with money on them are exactly those of the partial
    // index `transactions_holds`, whose conditions are repeated here word for word.
    params.push(ms(now).into());
    let expired = db.query(
        &format!(
            "SELECT {lead}t.currency, CAST(sum(t.amount_minor - t.captured_minor) AS BIGINT)
             FROM transactions t {join}
             WHERE {sql} AND t.kind = 'authorize' AND t.result = 'approved' AND t.voided = 0
               AND t.amount_minor > t.captured_minor AND t.expires_at <= ${}
             GROUP BY {lead}t.currency",
            params.len()
        ),
        &params,
    )?;
    for r in &expired {
        out.push((
            key_values(r)?,
            SummaryRow {
                currency: currency(r.text(n)?)?,
                kind: TxKind::Authorize,
                parent_kind: None,
                result: TxResult::Approved,
                count: 0,
                amount_minor: 0,
                expired_minor: r.int(n + 1)?,
            },
        ));
    }
    Ok(out)
}

impl Storage {
    /// A page of every device's transactions, newest first. Pass the previous page's `next`.
    pub async fn transactions(
        &self,
        filter: ServerFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<Page> {
        self.transact(move |db| list_page(db, &filter, after.as_deref(), limit))
            .await
    }

    /// The per-currency summary of every transaction the filter selects, at `now`.
    pub async fn summary(&self, filter: ServerFilter, now: Timestamp) -> Result<Summary> {
        self.transact(move |db| summary_of(db, &filter, now)).await
    }
}
