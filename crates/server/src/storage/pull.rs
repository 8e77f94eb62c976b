//! Pull: what a device should hear about, after a cursor.

use fairtill_core::ids::{DeviceId, EventId};

use super::{PullPage, Result, Storage};
use crate::params;

/// Most records in one pull page.
pub const MAX_PULL: u32 = 1000;

impl Storage {
    /// Records after position `after` for a device: offers, products, events, customers and
    /// saved cards from anyone but itself, and the records of its event from other devices. Oldest first.
    pub async fn pull(
        &self,
        device: DeviceId,
        event: Option<EventId>,
        after: i64,
        limit: u32,
    ) -> Result<PullPage> {
        self.transact(move |db| {
            let limit = limit.clamp(1, MAX_PULL);
            let rows = db.query(
                "SELECT seq, body FROM (
                     SELECT seq, body, device_id FROM records WHERE event_id IS NULL AND seq > $1
                       AND record_type IN ('offer', 'offer_retirement', 'product', 'event', 'customer', 'card_saved', 'card_removed')
                     UNION ALL
                     SELECT seq, body, device_id FROM records WHERE event_id = $2 AND seq > $1
                 ) shared
                 WHERE device_id IS NULL OR device_id <> $3
                 ORDER BY seq LIMIT $4",
                params![
                    after,
                    event.map(|e| e.to_string()),
                    device.to_string(),
                    i64::from(limit) + 1
                ],
            )?;
            let more = rows.len() > limit as usize;
            let mut records = Vec::new();
            let mut last_seq = after;
            for row in rows.iter().take(limit as usize) {
                records.push(serde_json::from_str(&row.text(1)?)?);
                last_seq = row.int(0)?;
            }
            Ok(PullPage {
                records,
                last_seq,
                more,
            })
        })
        .await
    }
}
