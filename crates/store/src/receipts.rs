//! Receipts asked for by email at the till: recorded at once, with no network, and synced; the
//! server renders the receipt from the order and sends it.

use fairtill_core::ids::OrderId;
use fairtill_core::receipt::ReceiptEmail;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::till::{Actor, Till};

/// A receipt email asked for here, and whether the request has reached the server (which then
/// sends it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReceiptEmailView {
    /// The request.
    pub request: ReceiptEmail,
    /// True once the server has it.
    pub synced: bool,
}

impl Till {
    /// Asks for `order`'s receipt to be emailed to `email`. Recorded now; the server sends it
    /// once this till has synced. Asking again sends it again.
    pub fn request_receipt_email(
        &mut self,
        actor: &Actor,
        order: OrderId,
        email: &str,
    ) -> Result<ReceiptEmailView> {
        let staff = actor.staff.trim();
        if staff.is_empty() {
            return Err(StoreError::Invalid(
                "say who is at the till (staff name)".into(),
            ));
        }
        let email = fairtill_core::customer::check_email(email)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        // The order must be one this till has (its own, or pulled from its event).
        self.order(order)?;
        let request = ReceiptEmail {
            id: Uuid::now_v7(),
            order_id: order,
            email,
            requested_at: self.now(),
            device_id: self.device().id,
            staff: staff.to_string(),
        };
        self.conn.execute(
            "INSERT INTO receipt_emails (id, order_id, email, requested_at, staff, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                request.id.to_string(),
                order.to_string(),
                request.email,
                request.requested_at.as_millisecond(),
                request.staff,
                serde_json::to_string(&request).map_err(|e| StoreError::Invalid(e.to_string()))?
            ],
        )?;
        Ok(ReceiptEmailView {
            request,
            synced: false,
        })
    }

    /// The receipt emails asked for `order` at this till, oldest first.
    pub fn receipt_emails(&self, order: OrderId) -> Result<Vec<ReceiptEmailView>> {
        let mut stmt = self.conn.prepare(
            "SELECT body, seq <= (SELECT acked_seq FROM sync_state WHERE record_type = 'receipt_email')
             FROM receipt_emails WHERE order_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([order.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (body, synced) = row?;
            out.push(ReceiptEmailView {
                request: serde_json::from_str(&body)
                    .map_err(|e| StoreError::Invalid(format!("a stored receipt request: {e}")))?,
                synced,
            });
        }
        Ok(out)
    }
}
