//! Commissions against the ledger: what a rule pays on (every line, a product's, an offer's),
//! and how refunds, voids and write-offs count against the sale they reverse.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::commission::{check_rate, commission_of, Lines};
use fairtill_core::ids::OrderId;
use fairtill_core::ledger::*;
use fairtill_core::order::{Order, OrderDraft};
use fairtill_core::tax::{TaxMode, TaxPolicy};
use fairtill_core::Decimal;

fn rate(text: &str) -> Decimal {
    check_rate(text.parse().unwrap()).unwrap()
}

#[test]
fn a_paid_order_pays_its_rate_on_every_line() {
    let mut t = Till::new();
    let o = t.order(vec![line("mug", "12.50", 2), line("tea", "5.00", 1)]);
    t.sale(o, usd("30.00"));
    let c = commission_of(&t.view(o), &Lines::All, rate("10"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.sold, c.net, c.commission),
        (usd("30.00"), usd("30.00"), usd("3.00"))
    );
}

#[test]
fn a_refund_a_void_and_a_write_off_count_against_the_sale() {
    let mut t = Till::new();
    // Refunded in part: commission on what was kept.
    let o = t.order(vec![line("mug", "20.00", 1)]);
    let sale = t.sale(o, usd("20.00"));
    t.refund_amount(sale, usd("5.00")).unwrap();
    let c = commission_of(&t.view(o), &Lines::All, rate("10"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.refunded, c.net, c.commission),
        (usd("5.00"), usd("15.00"), usd("1.50"))
    );
    // A logged sale entered by mistake and voided: nothing was paid, nothing is earned.
    let o = t.order(vec![line("mug", "20.00", 1)]);
    let logged = t
        .pay(
            o,
            PaymentKind::Sale,
            usd("20.00"),
            external("#1"),
            TxResult::Approved,
        )
        .unwrap();
    t.void(logged).unwrap();
    let c = commission_of(&t.view(o), &Lines::All, rate("10"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.voided, c.net, c.commission),
        (usd("20.00"), usd("0.00"), usd("0.00"))
    );
    // Half paid, the rest written off: commission on the half.
    let o = t.order(vec![line("mug", "20.00", 1)]);
    t.sale(o, usd("10.00"));
    t.run(Command::WriteOff {
        order: o,
        reason: "left without paying".into(),
    })
    .unwrap();
    let c = commission_of(&t.view(o), &Lines::All, rate("10"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.written_off, c.net, c.commission),
        (usd("10.00"), usd("10.00"), usd("1.00"))
    );
}

#[test]
fn a_product_or_offer_rule_pays_on_its_lines_only_when_the_order_holds_them() {
    let mut t = Till::new();
    let o = t.order(vec![line("mug", "12.50", 2), line("tea", "5.00", 1)]);
    t.sale(o, usd("30.00"));
    let view = t.view(o);
    let mug = [("MUG".to_string(), 1)];
    let c = commission_of(&view, &Lines::Holding(&mug), rate("10"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.sold, c.net, c.commission),
        (usd("25.00"), usd("25.00"), usd("2.50"))
    );
    // The bundle needs three mugs: not held, not counted.
    let bundle = [("MUG".to_string(), 3), ("TEA".to_string(), 1)];
    assert_eq!(
        commission_of(&view, &Lines::Holding(&bundle), rate("10")).unwrap(),
        None
    );
    let bundle = [("MUG".to_string(), 2), ("TEA".to_string(), 1)];
    let c = commission_of(&view, &Lines::Holding(&bundle), rate("7.5"))
        .unwrap()
        .unwrap();
    assert_eq!(c.commission, usd("2.25"));
}

#[test]
fn net_sales_leave_tax_out_and_round_once() {
    let mut t = Till::new();
    let stamp = t.stamp();
    let draft = OrderDraft {
        currency: usd("1.00").currency(),
        lines: vec![line("mug", "11.99", 1)],
        discount: None,
        tax: TaxPolicy::new(TaxMode::Inclusive, Decimal::from(20), Decimal::from(5)).unwrap(),
        customer: None,
        note: None,
        referrer: Some("CLUB7".into()),
    };
    let order = Order::place(
        OrderId(stamp.id),
        "T1-000099".into(),
        stamp.context.clone(),
        stamp.at,
        draft,
    )
    .unwrap();
    let o = order.id;
    t.ledger
        .execute(
            &Command::PlaceOrder {
                order: Box::new(order),
            },
            &stamp,
        )
        .unwrap();
    t.sale(o, usd("11.99"));
    let view = t.view(o);
    assert_eq!(view.order.draft.referrer.as_deref(), Some("CLUB7"));
    let c = commission_of(&view, &Lines::All, rate("12.5"))
        .unwrap()
        .unwrap();
    // 11.99 with 20 % included: 2.00 tax, 9.99 net; 12.5 % of it is 1.24875, rounded 1.25.
    assert_eq!((c.net, c.commission), (usd("9.99"), usd("1.25")));
}

#[test]
fn a_rate_is_a_percentage_with_at_most_two_decimals() {
    for bad in ["0", "-5", "100.01", "7.125"] {
        assert!(check_rate(bad.parse().unwrap()).is_err(), "{bad}");
    }
    assert_eq!(rate("7.50").to_string(), "7.5");
}
