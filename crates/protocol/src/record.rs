//! Records: what devices push and pull. Each is an immutable fact with a stable key.

use fairtill_core::catalog::Product;
use fairtill_core::customer::{CustomerProfile, SavedCard};
use fairtill_core::event::Event;
use fairtill_core::ids::{CustomerId, DeviceId, EventId, OfferId, TxId};
use fairtill_core::ledger::{ResultChange, Transaction, TxKind, TxResult, WriteOff};
use fairtill_core::money::Money;
use fairtill_core::offer::Offer;
use fairtill_core::order::Order;
use fairtill_core::receipt::ReceiptEmail;
use fairtill_core::tax::TaxPolicy;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kinds of record.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    /// An order.
    Order,
    /// A transaction with its first result.
    Transaction,
    /// A later change of a transaction's result.
    ResultChange,
    /// An order written off.
    WriteOff,
    /// A saved offer.
    Offer,
    /// An offer retired.
    OfferRetirement,
    /// A catalog product (from the server).
    Product,
    /// An event (from the server).
    Event,
    /// A till's cash drawer opened with a float.
    TillOpened,
    /// A till's cash drawer closed with a count.
    TillClosed,
    /// A version of a customer record.
    Customer,
    /// A card saved at the processor (from the server).
    CardSaved,
    /// A saved card removed (from the server).
    CardRemoved,
    /// A receipt asked for by email at a till (the server sends it).
    ReceiptEmail,
}

/// A record's identity: storing the same key twice is "already had it".
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct RecordKey {
    /// Kind of record.
    pub record_type: RecordType,
    /// Its id (for a result change: `<transaction id>#<n>`; for a product: its SKU).
    pub id: String,
}

/// One record on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// An order.
    Order {
        /// The order.
        order: Box<Order>,
    },
    /// A transaction, carrying only its first result (later ones are result changes).
    Transaction {
        /// The transaction.
        transaction: Box<Transaction>,
    },
    /// The `n`th change of a transaction's result (1-based).
    ResultChange {
        /// The transaction.
        transaction_id: TxId,
        /// Which change.
        n: u32,
        /// The change.
        change: ResultChange,
    },
    /// An order written off.
    WriteOff {
        /// The write-off.
        write_off: WriteOff,
    },
    /// A saved offer.
    Offer {
        /// The offer.
        offer: Offer,
    },
    /// An offer retired.
    OfferRetirement {
        /// The offer.
        offer_id: OfferId,
        /// When.
        retired_at: Timestamp,
        /// Who.
        staff: String,
    },
    /// A catalog product.
    Product {
        /// The product.
        product: Product,
    },
    /// An event.
    Event {
        /// The event.
        event: Event,
    },
    /// A till's cash drawer opened with a float (a cash session began).
    TillOpened {
        /// The session.
        session_id: Uuid,
        /// The till.
        device_id: DeviceId,
        /// The event it was opened at.
        event_id: Option<EventId>,
        /// Cash put in the drawer.
        float: Money,
        /// When.
        opened_at: Timestamp,
        /// By whom.
        opened_by: String,
    },
    /// A till's cash drawer closed with a count (the session ended).
    TillClosed {
        /// The session.
        session_id: Uuid,
        /// When.
        closed_at: Timestamp,
        /// By whom.
        closed_by: String,
        /// Cash counted in the drawer.
        counted: Money,
        /// Cash the till's ledger said the drawer should hold (float plus net cash).
        expected: Money,
        /// What the person closing said.
        note: Option<String>,
    },
    /// A version of a customer record (the latest wins).
    Customer {
        /// The customer.
        customer: CustomerProfile,
    },
    /// A card saved at the processor for a customer (only the server makes these).
    CardSaved {
        /// The card.
        card: SavedCard,
    },
    /// A saved card removed: replaced by a newer one, or detached (only the server makes these).
    CardRemoved {
        /// The processor's id of the card.
        card_id: String,
        /// Whose it was.
        customer_id: CustomerId,
        /// When.
        removed_at: Timestamp,
    },
    /// A receipt asked for by email at a till.
    ReceiptEmail {
        /// The request.
        request: ReceiptEmail,
    },
}

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Whether any text in `record` holds U+0000 (which PostgreSQL's text cannot hold, and no
/// till's keyboard types): its JSON has an escaped `\u0000` (serde_json writes NUL so).
fn holds_nul(record: &Record) -> bool {
    let Ok(json) = serde_json::to_string(record) else {
        return false;
    };
    nul_escape(&json)
}

/// Whether JSON text holds the escape `\u0000` (not an escaped backslash followed by `u0000`).
fn nul_escape(json: &str) -> bool {
    let bytes = json.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(&b"0000"[..]) {
                return true;
            }
            // Skip the escaped character, so `\\u0000` is a backslash and text.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

impl Record {
    /// The record's key.
    pub fn key(&self) -> RecordKey {
        let (record_type, id) = match self {
            Record::Order { order } => (RecordType::Order, order.id.to_string()),
            Record::Transaction { transaction } => {
                (RecordType::Transaction, transaction.id.to_string())
            }
            Record::ResultChange {
                transaction_id, n, ..
            } => (RecordType::ResultChange, format!("{transaction_id}#{n}")),
            Record::WriteOff { write_off } => {
                (RecordType::WriteOff, write_off.order_id.to_string())
            }
            Record::Offer { offer } => (RecordType::Offer, offer.id().to_string()),
            Record::OfferRetirement { offer_id, .. } => {
                (RecordType::OfferRetirement, offer_id.to_string())
            }
            Record::Product { product } => (RecordType::Product, product.sku.clone()),
            Record::Event { event } => (RecordType::Event, event.id.to_string()),
            Record::TillOpened { session_id, .. } => {
                (RecordType::TillOpened, session_id.to_string())
            }
            Record::TillClosed { session_id, .. } => {
                (RecordType::TillClosed, session_id.to_string())
            }
            Record::Customer { customer } => (
                RecordType::Customer,
                format!("{}@{}", customer.id, customer.updated_at.as_millisecond()),
            ),
            Record::CardSaved { card } => (RecordType::CardSaved, card.id.clone()),
            Record::CardRemoved { card_id, .. } => (RecordType::CardRemoved, card_id.clone()),
            Record::ReceiptEmail { request } => (RecordType::ReceiptEmail, request.id.to_string()),
        };
        RecordKey { record_type, id }
    }

    /// Checks what can be checked of a record on its own (amounts and currencies were already
    /// checked when it was read). Rules across records (refunds beyond the amount, duplicate
    /// references) are the server's: such records are stored and flagged, never refused.
    pub fn validate(&self) -> Result<(), String> {
        if holds_nul(self) {
            return Err(
                "a text in this record holds the character U+0000, which cannot be stored".into(),
            );
        }
        match self {
            Record::Order { order } => {
                if blank(&order.receipt) {
                    return Err("the order has no receipt number".into());
                }
                if blank(&order.context.staff) {
                    return Err("the order does not say who recorded it".into());
                }
                order
                    .totals()
                    .map(|_| ())
                    .map_err(|e| format!("the order is not valid: {e}"))
            }
            Record::Transaction { transaction: t } => validate_transaction(t),
            Record::ResultChange { n, change, .. } => {
                if *n == 0 {
                    return Err("result changes are numbered from 1".into());
                }
                if change.result == TxResult::Unknown {
                    return Err("a result can only change away from unknown".into());
                }
                if change.expires_at.is_some() {
                    return Err(
                        "only the server records when a card processor's hold lapses".into(),
                    );
                }
                Ok(())
            }
            Record::WriteOff { write_off } => {
                if !write_off.amount.is_positive() {
                    return Err("a write-off must be of a positive amount".into());
                }
                if blank(&write_off.reason) {
                    return Err("a write-off needs a reason".into());
                }
                Ok(())
            }
            Record::Offer { offer } => {
                // Deserializing does not run the constructor's checks: run them now.
                Offer::new(
                    offer.id(),
                    offer.name(),
                    offer.currency(),
                    offer.lines().to_vec(),
                    offer.created_at(),
                )
                .map(|_| ())
                .map_err(|e| format!("the offer is not valid: {e}"))
            }
            Record::OfferRetirement { staff, .. } => {
                if blank(staff) {
                    Err("an offer retirement must say who retired it".into())
                } else {
                    Ok(())
                }
            }
            Record::Product { product } => product
                .clone()
                .validated()
                .map(|_| ())
                .map_err(|e| format!("the product is not valid: {e}")),
            Record::Event { event } => {
                if blank(&event.name) {
                    return Err("an event needs a name".into());
                }
                if event.capture_window.is_negative() || event.capture_window.is_zero() {
                    return Err("an event's capture window must be longer than zero".into());
                }
                if let Some(problem) = event.offline_cards.problem() {
                    return Err(problem);
                }
                TaxPolicy::new(
                    event.tax.mode,
                    event.tax.standard_rate,
                    event.tax.reduced_rate,
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            }
            Record::TillOpened {
                float, opened_by, ..
            } => {
                if blank(opened_by) {
                    return Err("a till opening must say who opened it".into());
                }
                if float.minor() < 0 {
                    return Err("a till's float cannot be negative".into());
                }
                Ok(())
            }
            Record::Customer { customer } => {
                if blank(&customer.staff) {
                    return Err("a customer record must say who made it".into());
                }
                customer
                    .details
                    .validated()
                    .map(|_| ())
                    .map_err(|e| format!("the customer is not valid: {e}"))
            }
            Record::CardSaved { card } => {
                if blank(&card.id) {
                    return Err("a saved card needs the processor's id".into());
                }
                if card.last4.len() != 4 || !card.last4.chars().all(|c| c.is_ascii_digit()) {
                    return Err("a saved card's last four must be four digits".into());
                }
                if !(1..=12).contains(&card.exp_month) {
                    return Err("a saved card's expiry month must be 1 to 12".into());
                }
                Ok(())
            }
            Record::CardRemoved { card_id, .. } => {
                if blank(card_id) {
                    Err("a removed card needs the processor's id".into())
                } else {
                    Ok(())
                }
            }
            Record::ReceiptEmail { request } => {
                if blank(&request.staff) {
                    return Err("a receipt request must say who asked for it".into());
                }
                fairtill_core::customer::check_email(&request.email)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Record::TillClosed {
                closed_by,
                counted,
                expected,
                ..
            } => {
                if blank(closed_by) {
                    return Err("a till closing must say who closed it".into());
                }
                if counted.minor() < 0 {
                    return Err("a till's count cannot be negative".into());
                }
                if counted.currency() != expected.currency() {
                    return Err(format!(
                        "the count is in {} but the expected cash in {}",
                        counted.currency(),
                        expected.currency()
                    ));
                }
                Ok(())
            }
        }
    }
}

fn validate_transaction(t: &Transaction) -> Result<(), String> {
    if !t.amount.is_positive() {
        return Err(format!(
            "the amount must be more than zero (got {})",
            t.amount
        ));
    }
    if t.history.len() != 1 {
        return Err(
            "a transaction is sent with its first result only; later results are result changes"
                .into(),
        );
    }
    if blank(&t.context.staff) {
        return Err("the transaction does not say who recorded it".into());
    }
    let root = t.is_root();
    match (root, t.parent, t.parent_kind) {
        (true, None, None) if t.root == t.id => {}
        (true, _, _) => {
            return Err(format!(
                "{} starts a chain: it has no parent and is its own root",
                t.kind.label()
            ))
        }
        (false, Some(parent), Some(parent_kind)) if parent != t.id && t.root != t.id => {
            let allowed = match t.kind {
                TxKind::Capture => matches!(parent_kind, TxKind::Authorize),
                TxKind::Refund => matches!(parent_kind, TxKind::Sale | TxKind::Capture),
                TxKind::Void => matches!(
                    parent_kind,
                    TxKind::Authorize | TxKind::Sale | TxKind::Refund
                ),
                TxKind::Authorize | TxKind::Sale | TxKind::Credit => false,
            };
            if !allowed {
                return Err(format!(
                    "{} cannot be made on {}",
                    t.kind.label(),
                    parent_kind.label()
                ));
            }
        }
        (false, _, _) => {
            return Err(format!(
                "{} must name the transaction it operates on",
                t.kind.label()
            ))
        }
    }
    // Rule 14: what a card on file does is the processor's to say, and a credit is not among
    // what it can do. (The server's own records are not pushed records.)
    if t.method.is_processor() {
        match t.kind {
            TxKind::Sale | TxKind::Refund | TxKind::Authorize | TxKind::Capture | TxKind::Void => {}
            TxKind::Credit => {
                return Err(format!(
                    "{} cannot be made with a card on file",
                    t.kind.label()
                ))
            }
        }
        if t.result() != TxResult::Unknown {
            return Err(
                "a payment, capture, void or refund to a card on file arrives waiting for the \
                 card processor; its answer decides the result"
                    .into(),
            );
        }
    }
    match (t.kind, t.expires_at) {
        (TxKind::Authorize, Some(e)) if e > t.created_at => {}
        (TxKind::Authorize, _) => {
            return Err("an authorization must expire after it was made".into())
        }
        (_, Some(_)) => return Err("only an authorization has an expiry".into()),
        (_, None) => {}
    }
    match (t.kind, &t.refund) {
        (TxKind::Refund, Some(_))
        | (
            TxKind::Authorize | TxKind::Capture | TxKind::Sale | TxKind::Void | TxKind::Credit,
            None,
        ) => {}
        (TxKind::Refund, None) => {
            return Err("a refund must say how it was asked for (full, items or amount)".into())
        }
        (_, Some(_)) => return Err("only a refund carries refund details".into()),
    }
    if t.kind == TxKind::Credit && t.approved_by.as_deref().is_none_or(blank) {
        return Err("a credit must name the manager who approved it".into());
    }
    Ok(())
}
