//! Streaming CSV export (RFC 4180) of any filtered set, with no row cap.

use std::io::Write;

use crate::error::Result;
use crate::query::{read_row, TxFilter, ROW_COLUMNS};
use crate::till::Till;

/// The export's columns, in order.
pub const EXPORT_HEADER: &[&str] = &[
    "id",
    "receipt",
    "created_at",
    "kind",
    "result",
    "amount",
    "currency",
    "method",
    "external_system",
    "external_reference",
    "customer_name",
    "customer_email",
    "staff",
    "event_id",
    "device_id",
    "order_id",
    "parent_id",
];

impl Till {
    /// Writes every transaction the filter selects as CSV, oldest first, one row at a time
    /// (memory stays flat whatever the row count). Returns the number of rows written.
    pub fn export_csv<W: Write>(&self, filter: &TxFilter, out: W) -> Result<u64> {
        let (sql, params) = filter.to_sql()?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(EXPORT_HEADER)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM transactions t LEFT JOIN orders o ON o.id = t.order_id
             WHERE {sql} ORDER BY t.created_at, t.id"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut count = 0_u64;
        while let Some(r) = rows.next()? {
            let row = read_row(r)?;
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            writer.write_record([
                row.id.to_string(),
                opt(&row.receipt),
                row.created_at.to_string(),
                row.kind.as_str().to_string(),
                row.result.as_str().to_string(),
                row.amount.amount_string(),
                row.amount.currency().code().to_string(),
                row.method,
                opt(&row.external_system),
                opt(&row.external_reference),
                opt(&row.customer_name),
                opt(&row.customer_email),
                row.staff,
                row.event_id.map(|e| e.to_string()).unwrap_or_default(),
                row.device_id,
                row.order_id.map(|o| o.to_string()).unwrap_or_default(),
                row.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            ])?;
            count += 1;
        }
        writer.flush()?;
        Ok(count)
    }
}
