//! Streaming CSV export (RFC 4180) of any filtered set, with no row cap.

use std::io::Write;

use fairtill_core::csv_text::ExportFor;

use crate::error::Result;
use crate::query::{filter_sql, read_row, TxFilter, ROW_COLUMNS};
use crate::till::Till;

pub use fairtill_core::filter::EXPORT_HEADER;

impl Till {
    /// Writes every transaction the filter selects as CSV, oldest first, one row at a time
    /// (memory stays flat whatever the row count), for a spreadsheet (with a byte-order mark)
    /// or a script. Amounts are plain decimals in their own column, the currency beside them.
    /// Returns the number of rows written.
    pub fn export_csv<W: Write>(
        &self,
        filter: &TxFilter,
        made_for: ExportFor,
        mut out: W,
    ) -> Result<u64> {
        let (sql, params) = filter_sql(filter)?;
        out.write_all(made_for.preamble())?;
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
            writer.write_record(row.csv_record())?;
            count += 1;
        }
        writer.flush()?;
        Ok(count)
    }
}
