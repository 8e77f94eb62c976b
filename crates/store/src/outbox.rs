//! The sync outbox. Every synced table is append-only with an increasing `seq`; what has not
//! reached the server is every row above the table's acknowledged `seq`. Recording a sale costs
//! no extra write, and re-sending after a lost acknowledgement is harmless (the server is
//! idempotent by record id).

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::till::Till;

/// Kinds of record that sync, in the order they are pushed.
pub const RECORD_TYPES: &[(&str, &str)] = &[
    ("customer", "customers"),
    ("event", "events"),
    ("product", "products"),
    ("order", "orders"),
    ("transaction", "transactions"),
    ("result_change", "result_changes"),
    ("write_off", "write_offs"),
    ("offer", "offers"),
    ("offer_retirement", "offer_retirements"),
    ("till_opened", "till_sessions"),
    ("till_closed", "till_closes"),
    // After orders: the server renders the receipt from an order it already has.
    ("receipt_email", "receipt_emails"),
];

/// How many records of each kind wait to sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStatus {
    /// (record type, waiting) for each type with something waiting.
    pub waiting: Vec<(String, u64)>,
    /// Total waiting.
    pub total: u64,
}

fn table_of(record_type: &str) -> Result<&'static str> {
    RECORD_TYPES
        .iter()
        .find(|(t, _)| *t == record_type)
        .map(|(_, table)| *table)
        .ok_or_else(|| StoreError::Invalid(format!("unknown record type {record_type:?}")))
}

impl Till {
    /// What waits to sync.
    pub fn outbox(&self) -> Result<OutboxStatus> {
        let mut status = OutboxStatus::default();
        for (record_type, table) in RECORD_TYPES {
            let n: i64 = self.conn.query_row(
                &format!("SELECT count(*) FROM {table} WHERE remote = 0 AND seq > (SELECT acked_seq FROM sync_state WHERE record_type = ?1)"),
                [record_type],
                |r| r.get(0),
            )?;
            if n > 0 {
                let n = u64::try_from(n).unwrap_or(0);
                status.waiting.push((record_type.to_string(), n));
                status.total += n;
            }
        }
        Ok(status)
    }

    /// Up to `limit` waiting records of one type as `(seq, body)`, oldest first.
    pub fn outbox_batch(&self, record_type: &str, limit: usize) -> Result<Vec<(i64, String)>> {
        let table = table_of(record_type)?;
        let body = match record_type {
            "result_change" => "json_object('transaction_id', transaction_id, 'n', n, 'result', result, 'at', at, 'note', note)",
            "offer_retirement" => "json_object('offer_id', offer_id, 'retired_at', retired_at, 'staff', staff)",
            "product" => "json_object('sku', sku, 'name', name, 'unit_price_minor', unit_price_minor, 'currency', currency,
                'tax_category', tax_category, 'barcode', barcode, 'favourite', favourite, 'category', category,
                'colour', colour, 'retired', retired, 'version', version)",
            "till_opened" => "json_object('session_id', id, 'device_id', device_id, 'event_id', event_id, 'currency', currency,
                'float_minor', float_minor, 'opened_at', opened_at, 'opened_by', opened_by)",
            "till_closed" => "json_object('session_id', session_id,
                'currency', (SELECT s.currency FROM till_sessions s WHERE s.id = till_closes.session_id),
                'closed_at', closed_at, 'closed_by', closed_by, 'counted_minor', counted_minor,
                'expected_minor', expected_minor, 'note', note)",
            _ => "body",
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT seq, {body} FROM {table} WHERE remote = 0 AND seq > (SELECT acked_seq FROM sync_state WHERE record_type = ?1) ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(
            params![record_type, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks every record of a type up to `seq` as received by the server.
    pub fn outbox_ack(&mut self, record_type: &str, seq: i64) -> Result<()> {
        table_of(record_type)?;
        self.conn.execute(
            "UPDATE sync_state SET acked_seq = max(acked_seq, ?2) WHERE record_type = ?1",
            params![record_type, seq],
        )?;
        Ok(())
    }
}
