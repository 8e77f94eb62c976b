//! Receipts: the receipt as the customer reads it ([`Receipt`], every value ready to show, built
//! from an order's view), which the server renders as an email and a PDF and the till prints on a
//! thermal printer; how a printed one is laid out ([`Paper`], [`ReceiptCode`]); and a receipt
//! asked for by email at a till ([`ReceiptEmail`]), recorded there with no network, synced like a
//! sale, and sent by the server.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{DeviceId, OrderId};
use crate::ledger::{OrderView, PaymentMethod, RefundStatus, TxKind, TxResult};
use crate::money::Money;
use crate::tax::TaxMode;

/// "Email the receipt of this order to this address", as a till records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReceiptEmail {
    /// Its id (each request is its own: asking again sends again).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// Where to.
    pub email: String,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// The till.
    pub device_id: DeviceId,
    /// Who asked.
    pub staff: String,
}

/// The width of a thermal printer's paper roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    /// 58 mm: 32 characters a line.
    Mm58,
    /// 80 mm: 48 characters a line.
    #[default]
    Mm80,
}

impl Paper {
    /// Characters a line in the printer's standard font.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }
}

/// How a printed receipt carries its number for a scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ReceiptCode {
    /// A QR code.
    #[default]
    Qr,
    /// A CODE39 barcode (letters, digits and `-`, as receipt numbers are).
    Barcode,
    /// Neither.
    None,
}

/// Who sells, as every receipt names them (the server's settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Seller {
    /// The business's name.
    pub name: String,
    /// Its address, a line each.
    pub address: Vec<String>,
    /// Its tax number (VAT id), if it has one.
    pub tax_id: Option<String>,
}

/// One line as the receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// What was sold.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// Price of one.
    pub unit_price: String,
    /// The line's discounts (its own and its share of the order's), if any.
    pub discount: Option<String>,
    /// What the line costs.
    pub amount: String,
}

/// One payment or refund as the receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// How: "Cash", "Card ••4242", "Visa ••4242 (card on file)", "Shopify #1001".
    pub method: String,
    /// How much.
    pub amount: String,
    /// Where it stands, when not simply done ("declined", "pending").
    pub note: Option<String>,
}

/// A receipt, every value ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The seller.
    pub seller: Seller,
    /// The receipt number.
    pub number: String,
    /// When it was sold ("2026-12-03 10:15", with " UTC" when that is its zone).
    pub date: String,
    /// The customer's name, if given.
    pub customer_name: Option<String>,
    /// The lines.
    pub lines: Vec<Line>,
    /// Before discounts.
    pub subtotal: String,
    /// All discounts, if any.
    pub discount: Option<String>,
    /// "VAT included" or "Tax".
    pub tax_label: String,
    /// The tax.
    pub tax: String,
    /// What the customer pays.
    pub total: String,
    /// Payments, oldest first.
    pub payments: Vec<Entry>,
    /// Refunds, oldest first.
    pub refunds: Vec<Entry>,
    /// What is still due, if anything.
    pub balance_due: Option<String>,
    /// The order's status in words ("paid", "partly refunded").
    pub status: String,
}

/// A payment method in the customer's words.
pub fn method_label(method: &PaymentMethod) -> String {
    match method {
        PaymentMethod::Cash => "Cash".into(),
        PaymentMethod::Card { last4: Some(l), .. } => format!("Card ••{l}"),
        PaymentMethod::Card { last4: None, .. } => "Card".into(),
        PaymentMethod::External { system, reference } => format!("{system} {reference}"),
        PaymentMethod::MarkedPaid { note } => format!("Paid: {note}"),
        PaymentMethod::CardOnFile { brand, last4, .. } => {
            let mut brand = brand.clone();
            if let Some(first) = brand.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            format!("{brand} ••{last4} (card on file)")
        }
    }
}

fn some_money(m: Money) -> Option<String> {
    (m.minor() != 0).then(|| m.to_string())
}

impl Receipt {
    /// The receipt of `view` sold by `seller`, its time in UTC (what the server knows).
    pub fn of(view: &OrderView, seller: &Seller) -> Receipt {
        Receipt::of_in(view, seller, &TimeZone::UTC)
    }

    /// The receipt of `view` sold by `seller`, its time in `zone` (the till's own).
    pub fn of_in(view: &OrderView, seller: &Seller, zone: &TimeZone) -> Receipt {
        let order = &view.order;
        let lines = order
            .draft
            .lines
            .iter()
            .zip(&view.totals.lines)
            .map(|(line, totals)| {
                let off = totals
                    .line_discount
                    .checked_add(totals.order_discount)
                    .unwrap_or(totals.line_discount);
                Line {
                    name: line.name.clone(),
                    quantity: line.quantity,
                    unit_price: line.unit_price.to_string(),
                    discount: some_money(off),
                    amount: totals.payable.to_string(),
                }
            })
            .collect();
        let mut payments = Vec::new();
        for t in &view.transactions {
            let note = match t.result() {
                TxResult::Approved => None,
                TxResult::Declined => Some("declined"),
                TxResult::Abandoned => Some("abandoned"),
                TxResult::Canceled => Some("canceled"),
                TxResult::Unknown => Some("pending"),
            };
            match t.kind {
                TxKind::Sale | TxKind::Capture => payments.push(Entry {
                    method: method_label(&t.method),
                    amount: t.amount.to_string(),
                    note: note.map(str::to_string),
                }),
                TxKind::Authorize => payments.push(Entry {
                    method: method_label(&t.method),
                    amount: t.amount.to_string(),
                    note: Some(note.unwrap_or("authorized, to be captured").to_string()),
                }),
                TxKind::Void => payments.push(Entry {
                    method: format!("Voided: {}", method_label(&t.method)),
                    amount: t.amount.to_string(),
                    note: None,
                }),
                TxKind::Refund | TxKind::Credit => {}
            }
        }
        let refunds = view
            .refunds
            .iter()
            .map(|r| {
                let method = view
                    .transactions
                    .iter()
                    .find(|t| t.id == r.id)
                    .map_or_else(|| "Refund".to_string(), |t| method_label(&t.method));
                Entry {
                    method,
                    amount: r.amount.to_string(),
                    note: match r.status {
                        RefundStatus::Complete => None,
                        RefundStatus::Pending => Some("pending".into()),
                        RefundStatus::Failed => Some("did not go through".into()),
                        RefundStatus::Voided => Some("voided".into()),
                    },
                }
            })
            .collect();
        let tax_label = match order.draft.tax.mode {
            TaxMode::Inclusive => "Tax included",
            TaxMode::Exclusive => "Tax",
        };
        Receipt {
            seller: seller.clone(),
            number: order.receipt.clone(),
            date: if zone.iana_name() == Some("UTC") {
                order.created_at.strftime("%Y-%m-%d %H:%M UTC").to_string()
            } else {
                order
                    .created_at
                    .to_zoned(zone.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            },
            customer_name: order.draft.customer.as_ref().and_then(|c| c.name.clone()),
            lines,
            subtotal: view.totals.subtotal.to_string(),
            discount: some_money(view.totals.discount),
            tax_label: tax_label.into(),
            tax: view.totals.tax.to_string(),
            total: view.totals.total.to_string(),
            payments,
            refunds,
            balance_due: some_money(view.balance_due),
            status: view.status.label().into(),
        }
    }
}
