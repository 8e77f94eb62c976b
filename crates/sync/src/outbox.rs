//! What waits to sync, as wire records, with the acknowledgement that moves the watermark.

use fairtill_core::ids::{DeviceId, EventId, OfferId, TxId};
use fairtill_core::ledger::{ResultChange, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::Timestamp;
use fairtill_protocol::{Record, RecordType};
use fairtill_store::{StoreError, Till, RECORD_TYPES};
use serde::Deserialize;
use uuid::Uuid;

/// Why the outbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record did not decode as a wire record.
    #[error("record {record_type} #{seq} could not be prepared for sync: {reason}")]
    Decode {
        /// Its type.
        record_type: String,
        /// Its outbox position.
        seq: i64,
        /// Why.
        reason: String,
    },
}

/// A record waiting to sync and its outbox position (to acknowledge it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Record type as the store names it.
    pub store_type: &'static str,
    /// Position in that type's outbox.
    pub seq: i64,
    /// The record.
    pub record: Record,
}

#[derive(Deserialize)]
struct StoredResultChange {
    transaction_id: TxId,
    n: u32,
    result: String,
    at: i64,
    note: Option<String>,
}

#[derive(Deserialize)]
struct StoredRetirement {
    offer_id: OfferId,
    retired_at: i64,
    staff: String,
}

#[derive(Deserialize)]
struct StoredOpening {
    session_id: Uuid,
    device_id: DeviceId,
    event_id: Option<EventId>,
    currency: String,
    float_minor: i64,
    opened_at: i64,
    opened_by: String,
}

#[derive(Deserialize)]
struct StoredClosing {
    session_id: Uuid,
    currency: String,
    closed_at: i64,
    closed_by: String,
    counted_minor: i64,
    expected_minor: i64,
    note: Option<String>,
}

/// A product as the store's outbox lists it (price in minor units, flags as 0 or 1).
#[derive(Deserialize)]
struct StoredProduct {
    sku: String,
    name: String,
    unit_price_minor: i64,
    currency: String,
    tax_category: String,
    barcode: Option<String>,
    favourite: i64,
    category: Option<String>,
    colour: Option<String>,
    retired: i64,
    version: u32,
}

fn currency(code: &str) -> Result<Currency, String> {
    Currency::from_code(code).map_err(|e| e.to_string())
}

fn time(ms: i64) -> Result<Timestamp, String> {
    Timestamp::from_millisecond(ms).map_err(|e| e.to_string())
}

fn decode(store_type: &str, body: &str) -> Result<Record, String> {
    let err = |e: serde_json::Error| e.to_string();
    Ok(match store_type {
        "customer" => Record::Customer {
            customer: serde_json::from_str(body).map_err(err)?,
        },
        "receipt_email" => Record::ReceiptEmail {
            request: serde_json::from_str(body).map_err(err)?,
        },
        "event" => Record::Event {
            event: serde_json::from_str(body).map_err(err)?,
        },
        "product" => {
            let p: StoredProduct = serde_json::from_str(body).map_err(err)?;
            Record::Product {
                product: fairtill_core::catalog::Product {
                    unit_price: Money::from_minor(p.unit_price_minor, currency(&p.currency)?),
                    tax_category: fairtill_core::tax::TaxCategory::parse(&p.tax_category)
                        .ok_or_else(|| format!("tax category {:?}", p.tax_category))?,
                    sku: p.sku,
                    name: p.name,
                    barcode: p.barcode,
                    favourite: p.favourite != 0,
                    category: p.category,
                    colour: p.colour,
                    retired: p.retired != 0,
                    version: p.version,
                },
            }
        }
        "order" => Record::Order {
            order: Box::new(serde_json::from_str(body).map_err(err)?),
        },
        "transaction" => Record::Transaction {
            transaction: Box::new(serde_json::from_str(body).map_err(err)?),
        },
        "result_change" => {
            let c: StoredResultChange = serde_json::from_str(body).map_err(err)?;
            let result =
                TxResult::parse(&c.result).ok_or_else(|| format!("result {:?}", c.result))?;
            Record::ResultChange {
                transaction_id: c.transaction_id,
                n: c.n,
                change: ResultChange {
                    result,
                    at: time(c.at)?,
                    note: c.note,
                    // A till's own result changes never carry the processor's hold.
                    expires_at: None,
                },
            }
        }
        "write_off" => Record::WriteOff {
            write_off: serde_json::from_str(body).map_err(err)?,
        },
        "offer" => Record::Offer {
            offer: serde_json::from_str(body).map_err(err)?,
        },
        "offer_retirement" => {
            let r: StoredRetirement = serde_json::from_str(body).map_err(err)?;
            Record::OfferRetirement {
                offer_id: r.offer_id,
                retired_at: time(r.retired_at)?,
                staff: r.staff,
            }
        }
        "till_opened" => {
            let o: StoredOpening = serde_json::from_str(body).map_err(err)?;
            Record::TillOpened {
                session_id: o.session_id,
                device_id: o.device_id,
                event_id: o.event_id,
                float: Money::from_minor(o.float_minor, currency(&o.currency)?),
                opened_at: time(o.opened_at)?,
                opened_by: o.opened_by,
            }
        }
        "till_closed" => {
            let c: StoredClosing = serde_json::from_str(body).map_err(err)?;
            let currency = currency(&c.currency)?;
            Record::TillClosed {
                session_id: c.session_id,
                closed_at: time(c.closed_at)?,
                closed_by: c.closed_by,
                counted: Money::from_minor(c.counted_minor, currency),
                expected: Money::from_minor(c.expected_minor, currency),
                note: c.note,
            }
        }
        other => return Err(format!("unknown record type {other:?}")),
    })
}

/// The wire type of a store record type.
pub fn wire_type(store_type: &str) -> Option<RecordType> {
    Some(match store_type {
        "customer" => RecordType::Customer,
        "event" => RecordType::Event,
        "product" => RecordType::Product,
        "order" => RecordType::Order,
        "transaction" => RecordType::Transaction,
        "result_change" => RecordType::ResultChange,
        "write_off" => RecordType::WriteOff,
        "offer" => RecordType::Offer,
        "offer_retirement" => RecordType::OfferRetirement,
        "till_opened" => RecordType::TillOpened,
        "till_closed" => RecordType::TillClosed,
        _ => return None,
    })
}

/// Up to `limit` records waiting to sync, in push order: orders before the transactions that
/// name them, transactions before their result changes.
pub fn pending(till: &Till, limit: usize) -> Result<Vec<Pending>, OutboxError> {
    let mut out = Vec::new();
    for (store_type, _) in RECORD_TYPES {
        if out.len() >= limit {
            break;
        }
        for (seq, body) in till.outbox_batch(store_type, limit - out.len())? {
            let record = decode(store_type, &body).map_err(|reason| OutboxError::Decode {
                record_type: store_type.to_string(),
                seq,
                reason,
            })?;
            out.push(Pending {
                store_type,
                seq,
                record,
            });
        }
    }
    Ok(out)
}
