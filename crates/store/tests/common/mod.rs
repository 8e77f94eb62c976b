//! Helpers for store tests: a temporary file database and small builders.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use fairtill_core::ledger::{PaymentKind, PaymentMethod, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxPolicy};
use fairtill_store::{Actor, Tender, Till};

pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn temp_db() -> TempDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    TempDb { dir, path }
}

pub fn actor() -> Actor {
    Actor {
        staff: "ana".into(),
        event_id: None,
    }
}

pub fn money(text: &str, code: &str) -> Money {
    Money::parse(text, Currency::from_code(code).unwrap()).unwrap()
}

pub fn usd(text: &str) -> Money {
    money(text, "USD")
}

pub fn draft(lines: &[(&str, &str, u32)]) -> OrderDraft {
    draft_in("USD", lines)
}

pub fn draft_in(code: &str, lines: &[(&str, &str, u32)]) -> OrderDraft {
    OrderDraft {
        currency: Currency::from_code(code).unwrap(),
        lines: lines
            .iter()
            .map(|(name, price, quantity)| OrderLine {
                sku: name.to_uppercase(),
                name: (*name).into(),
                unit_price: money(price, code),
                quantity: *quantity,
                tax_category: TaxCategory::Standard,
                discount: None,
                price_override_reason: None,
            })
            .collect(),
        discount: None,
        tax: TaxPolicy::none(),
        customer: None,
        note: None,
        referrer: None,
    }
}

pub fn cash() -> Tender {
    Tender {
        kind: PaymentKind::Sale,
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        amount: None,
    }
}

pub fn open(db: &TempDb) -> Till {
    Till::open(&db.path).unwrap()
}
