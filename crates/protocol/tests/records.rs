//! Records survive the wire unchanged, keys are stable, and malformed records are caught.
#![allow(clippy::unwrap_used, missing_docs)]

use fairtill_core::event::SaleContext;
use fairtill_core::ids::{DeviceId, OrderId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{Order, OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxPolicy};
use fairtill_core::Timestamp;
use fairtill_protocol::*;
use uuid::Uuid;

fn usd(t: &str) -> Money {
    Money::parse(t, Currency::from_code("USD").unwrap()).unwrap()
}

fn ctx() -> SaleContext {
    SaleContext {
        device_id: DeviceId(Uuid::from_u128(1)),
        event_id: None,
        staff: "ana".into(),
    }
}

fn at() -> Timestamp {
    "2026-06-01T10:00:00Z".parse().unwrap()
}

fn sale() -> (Order, Transaction) {
    let draft = OrderDraft {
        currency: Currency::from_code("USD").unwrap(),
        lines: vec![OrderLine {
            sku: "MUG".into(),
            name: "Mug".into(),
            unit_price: usd("12.50"),
            quantity: 2,
            tax_category: TaxCategory::Standard,
            discount: None,
            price_override_reason: None,
        }],
        discount: None,
        tax: TaxPolicy::none(),
        customer: None,
        note: None,
        referrer: None,
    };
    let order = Order::place(
        OrderId(Uuid::from_u128(2)),
        "B3-000001".into(),
        ctx(),
        at(),
        draft,
    )
    .unwrap();
    let mut ledger = Ledger::new();
    let stamp = Stamp {
        id: Uuid::from_u128(3),
        at: at(),
        context: ctx(),
    };
    ledger
        .execute(
            &Command::PlaceOrder {
                order: Box::new(order.clone()),
            },
            &stamp,
        )
        .unwrap();
    let pay = Command::Pay(Payment {
        kind: PaymentKind::Sale,
        order_ids: vec![order.id],
        amount: usd("25.00"),
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        replaces: None,
    });
    let facts = ledger.decide(&pay, &stamp).unwrap();
    let Fact::Recorded { tx } = &facts[0] else {
        panic!()
    };
    (order, (**tx).clone())
}

#[test]
fn records_round_trip_through_json_and_validate() {
    let (order, tx) = sale();
    for record in [
        Record::Order {
            order: Box::new(order),
        },
        Record::Transaction {
            transaction: Box::new(tx),
        },
    ] {
        record.validate().unwrap();
        let json = serde_json::to_string(&record).unwrap();
        let back: Record = serde_json::from_str(&json).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.key(), record.key());
    }
}

#[test]
fn keys_identify_records_whatever_their_content() {
    let (_, tx) = sale();
    let change = |result| Record::ResultChange {
        transaction_id: tx.id,
        n: 1,
        change: ResultChange {
            result,
            at: at(),
            note: None,
            expires_at: None,
        },
    };
    assert_eq!(
        change(TxResult::Approved).key(),
        change(TxResult::Declined).key()
    );
    assert_eq!(change(TxResult::Approved).key().id, format!("{}#1", tx.id));
}

#[test]
fn malformed_records_are_caught_with_a_reason() {
    let (_, tx) = sale();
    let mut two_results = tx.clone();
    two_results.history.push(ResultChange {
        result: TxResult::Declined,
        at: at(),
        note: None,
        expires_at: None,
    });
    let mut orphan_refund = tx.clone();
    orphan_refund.kind = TxKind::Refund;
    let mut wrong_parent = tx.clone();
    wrong_parent.kind = TxKind::Capture;
    wrong_parent.parent = Some(TxId(Uuid::from_u128(9)));
    wrong_parent.parent_kind = Some(TxKind::Sale);
    wrong_parent.root = TxId(Uuid::from_u128(9));
    let mut credit = tx.clone();
    credit.kind = TxKind::Credit;
    for (bad, expect) in [
        (two_results, "first result only"),
        (orphan_refund, "must name the transaction"),
        (wrong_parent, "cannot be made on a sale"),
        (credit, "manager"),
    ] {
        let err = Record::Transaction {
            transaction: Box::new(bad),
        }
        .validate()
        .unwrap_err();
        assert!(err.contains(expect), "{err}");
    }
    // An otherwise valid record with an amount finer than its currency allows is refused on read.
    let mut value = serde_json::to_value(Record::Transaction {
        transaction: Box::new(tx.clone()),
    })
    .unwrap();
    value["transaction"]["amount"] = serde_json::json!({ "amount": "1.5", "currency": "JPY" });
    let err = serde_json::from_value::<Record>(value)
        .unwrap_err()
        .to_string();
    assert!(err.contains("decimal places"), "{err}");
    let zero_change = Record::ResultChange {
        transaction_id: tx.id,
        n: 0,
        change: ResultChange {
            result: TxResult::Approved,
            at: at(),
            note: None,
            expires_at: None,
        },
    };
    assert!(zero_change.validate().is_err());
    // A text holding U+0000 (which no keyboard types and PostgreSQL cannot store) is refused;
    // a backslash followed by the letters "u0000" is just text.
    let (mut order, _) = sale();
    order.draft.note = Some("gift\u{0}wrap".into());
    let err = Record::Order {
        order: Box::new(order.clone()),
    }
    .validate()
    .unwrap_err();
    assert!(err.contains("U+0000"), "{err}");
    order.draft.note = Some("C:\\u0000 is a path".into());
    Record::Order {
        order: Box::new(order),
    }
    .validate()
    .unwrap();
}

#[test]
fn error_bodies_and_outcomes_have_a_stable_wire_form() {
    let body = ErrorBody {
        code: ErrorCode::ClientTooOld,
        message: "update the app".into(),
    };
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"code":"client_too_old","message":"update the app"}"#
    );
    let outcome = PushOutcome::Invalid { reason: "x".into() };
    assert_eq!(
        serde_json::to_string(&outcome).unwrap(),
        r#"{"outcome":"invalid","reason":"x"}"#
    );
}
