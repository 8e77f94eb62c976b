//! One named test per rule of docs/domain.md (the ledger), plus the manual operations.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::ids::TxId;
use fairtill_core::ledger::*;
use fairtill_core::money::Money;
use fairtill_core::SignedDuration;

#[test]
fn rule_01_authorization_captured_in_partial_captures_never_beyond_amount() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "100.00", 1)]);
    let auth = t.authorize(order, usd("100.00"));
    assert_eq!(t.status(order), OrderStatus::Authorized);
    t.capture(auth, usd("30.00")).unwrap();
    assert_eq!(t.status(order), OrderStatus::PartlyCaptured);
    t.capture(auth, usd("50.00")).unwrap();
    let err = t.capture(auth, usd("20.01")).unwrap_err();
    assert!(
        matches!(err, LedgerError::CaptureExceedsAuthorization { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("20.00 USD"),
        "message names what is left: {err}"
    );
    t.capture(auth, usd("20.00")).unwrap();
    assert_eq!(t.status(order), OrderStatus::Paid);
    assert_eq!(t.view(order).paid, usd("100.00"));
}

#[test]
fn rule_01_only_approved_authorizations_are_captured() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "10.00", 1)]);
    let kind = PaymentKind::Authorize {
        capture_window: SignedDuration::from_hours(1),
    };
    let declined = t
        .pay(order, kind, usd("10.00"), card(), TxResult::Declined)
        .unwrap();
    assert!(matches!(
        t.capture(declined, usd("10.00")),
        Err(LedgerError::NotApproved { .. })
    ));
    let sale = t.sale(order, usd("10.00"));
    assert!(matches!(
        t.capture(sale, usd("1.00")),
        Err(LedgerError::NotAnAuthorization("a sale"))
    ));
}

#[test]
fn rule_02_void_after_partial_capture_releases_only_the_remainder() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "100.00", 1)]);
    let auth = t.authorize(order, usd("100.00"));
    t.capture(auth, usd("30.00")).unwrap();
    t.capture(auth, usd("25.00")).unwrap();
    let void = t.void(auth).unwrap();
    assert_eq!(t.ledger.transaction(void).unwrap().amount, usd("45.00"));
    assert!(matches!(
        t.capture(auth, usd("1.00")),
        Err(LedgerError::AuthorizationVoided)
    ));
    assert!(matches!(t.void(auth), Err(LedgerError::AlreadyVoided)));
    let v = t.view(order);
    assert_eq!(v.paid, usd("55.00"));
    assert_eq!(v.status, OrderStatus::PartlyPaid);
    assert_eq!(v.balance_due, usd("45.00"));
}

#[test]
fn rule_02_fully_captured_authorization_has_nothing_to_void() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "10.00", 1)]);
    let auth = t.authorize(order, usd("10.00"));
    t.capture(auth, usd("10.00")).unwrap();
    assert!(matches!(t.void(auth), Err(LedgerError::NothingToVoid)));
}

#[test]
fn rule_03_authorization_expires_after_the_capture_window_and_counts_as_canceled() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "100.00", 1)]);
    let auth = t.authorize(order, usd("100.00"));
    t.capture(auth, usd("40.00")).unwrap();
    t.advance(SignedDuration::from_hours(24 * 7));
    assert!(matches!(
        t.capture(auth, usd("1.00")),
        Err(LedgerError::AuthorizationExpired(_))
    ));
    assert!(matches!(
        t.void(auth),
        Err(LedgerError::AuthorizationExpired(_))
    ));
    let s = t.ledger.summary(t.now, |_| true);
    let usd_sum = &s.currencies[0];
    assert_eq!(
        usd_sum.canceled,
        usd("60.00"),
        "the uncaptured remainder counts as canceled"
    );
    assert_eq!(usd_sum.captured, usd("40.00"));
    assert_eq!(t.status(order), OrderStatus::PartlyPaid);
    let untouched = t.order(vec![line("card", "5.00", 1)]);
    t.authorize(untouched, usd("5.00"));
    t.advance(SignedDuration::from_hours(24 * 8));
    assert_eq!(t.status(untouched), OrderStatus::Expired);
}

#[test]
fn rule_04_a_sale_is_refunded_not_voided() {
    let mut t = Till::new();
    let order = t.order(vec![line("mug", "12.00", 1)]);
    let sale = t.sale(order, usd("12.00"));
    let err = t.void(sale).unwrap_err();
    assert!(matches!(err, LedgerError::RefundInstead("sale")), "{err}");
    assert!(err.to_string().contains("refund"));
    let card_order = t.order(vec![line("mug", "12.00", 1)]);
    let card_sale = t
        .pay(
            card_order,
            PaymentKind::Sale,
            usd("12.00"),
            card(),
            TxResult::Approved,
        )
        .unwrap();
    assert!(matches!(
        t.void(card_sale),
        Err(LedgerError::RefundInstead("sale"))
    ));
}

#[test]
fn rule_04_a_logged_sale_entered_by_mistake_can_be_voided_and_replaced() {
    let mut t = Till::new();
    let order = t.order(vec![line("mug", "12.00", 1)]);
    let wrong = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("12.00"),
            external("SHOP-1001"),
            TxResult::Approved,
        )
        .unwrap();
    t.void(wrong).unwrap();
    assert_eq!(t.status(order), OrderStatus::Voided);
    let facts = t
        .run(Command::Pay(Payment {
            kind: PaymentKind::Sale,
            order_ids: vec![],
            amount: usd("12.00"),
            method: external("SHOP-1002"),
            result: TxResult::Approved,
            replaces: Some(wrong),
        }))
        .unwrap();
    let replacement = Till::tx_id(&facts);
    let tx = t.ledger.transaction(replacement).unwrap();
    assert_eq!(tx.replaces, Some(wrong));
    assert_eq!(
        tx.order_ids,
        vec![order],
        "the replacement inherits the order"
    );
    assert_eq!(t.status(order), OrderStatus::Paid);
    let again = t.run(Command::Pay(Payment {
        kind: PaymentKind::Sale,
        order_ids: vec![order],
        amount: usd("1.00"),
        method: external("SHOP-1003"),
        result: TxResult::Approved,
        replaces: Some(wrong),
    }));
    assert!(matches!(again, Err(LedgerError::BadReplacement(_))));
}

#[test]
fn rule_05_refunds_only_approved_sales_and_captures_up_to_the_balance_in_their_currency() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "100.00", 1)]);
    let sale = t.sale(order, usd("100.00"));
    t.refund_amount(sale, usd("40.00")).unwrap();
    t.refund_amount(sale, usd("35.00")).unwrap();
    let err = t.refund_amount(sale, usd("25.01")).unwrap_err();
    assert!(
        matches!(err, LedgerError::RefundExceedsBalance { .. }),
        "{err}"
    );
    assert!(matches!(
        t.refund_amount(sale, eur("1.00")),
        Err(LedgerError::WrongCurrency { .. })
    ));
    t.refund_amount(sale, usd("25.00")).unwrap();
    assert_eq!(t.status(order), OrderStatus::Refunded);

    let o2 = t.order(vec![line("print", "50.00", 1)]);
    let auth = t.authorize(o2, usd("50.00"));
    assert!(matches!(
        t.refund_amount(auth, usd("1.00")),
        Err(LedgerError::NotRefundable("an authorization"))
    ));
    let cap = t.capture(auth, usd("20.00")).unwrap();
    assert!(matches!(
        t.refund_amount(cap, usd("20.01")),
        Err(LedgerError::RefundExceedsBalance { .. })
    ));
    t.refund_amount(cap, usd("20.00")).unwrap();
    let declined = t
        .pay(
            o2,
            PaymentKind::Sale,
            usd("30.00"),
            card(),
            TxResult::Declined,
        )
        .unwrap();
    assert!(matches!(
        t.refund_amount(declined, usd("1.00")),
        Err(LedgerError::NotApproved { .. })
    ));
}

#[test]
fn rule_06_refund_full_amount() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "80.00", 1)]);
    let sale = t.sale(order, usd("80.00"));
    let r = t
        .refund(sale, RefundStrategy::Full, RefundProgress::Complete)
        .unwrap();
    assert_eq!(t.ledger.transaction(r).unwrap().amount, usd("80.00"));
    assert_eq!(t.status(order), OrderStatus::Refunded);
    assert_eq!(t.view(order).refunds[0].status, RefundStatus::Complete);
}

#[test]
fn rule_06_full_refund_after_a_partial_one_is_refused() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "80.00", 1)]);
    let sale = t.sale(order, usd("80.00"));
    t.refund_amount(sale, usd("10.00")).unwrap();
    let err = t
        .refund(sale, RefundStrategy::Full, RefundProgress::Complete)
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::AlreadyPartlyRefunded(m) if m == usd("70.00")),
        "{err}"
    );
}

#[test]
fn rule_06_refund_items_with_their_share_of_discount_and_then_the_remaining_balance() {
    use fairtill_core::order::{Discount, DiscountValue};
    let mut t = Till::new();
    let mut mug = line("mug", "10.00", 3);
    mug.discount = Some(Discount {
        value: DiscountValue::Amount {
            amount: usd("3.00"),
        },
        reason: "chipped".into(),
    });
    let order = t.order(vec![mug, line("print", "20.00", 1)]);
    let total = t.view(order).totals.total;
    assert_eq!(total, usd("47.00"));
    let sale = t.sale(order, total);
    let items = |quantity| RefundStrategy::Items {
        items: vec![RefundItem {
            order_id: order,
            line: 0,
            quantity,
        }],
    };
    let first = t.refund(sale, items(2), RefundProgress::Complete).unwrap();
    assert_eq!(
        t.ledger.transaction(first).unwrap().amount,
        usd("18.00"),
        "2 of 3 mugs at 27.00 after discount"
    );
    let err = t
        .refund(sale, items(2), RefundProgress::Complete)
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::BadRefundItem(_)),
        "only one mug left: {err}"
    );
    assert_eq!(t.status(order), OrderStatus::PartlyRefunded);
    let rest = t
        .view(order)
        .paid
        .checked_sub(t.view(order).refunded)
        .unwrap();
    t.refund_amount(sale, rest).unwrap();
    assert_eq!(t.status(order), OrderStatus::Refunded);
    assert_eq!(t.view(order).refunds.len(), 2);
}

#[test]
fn rule_06_refund_is_pending_then_complete_or_failed() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "30.00", 1)]);
    let sale = t.sale(order, usd("30.00"));
    let r = t
        .refund(
            sale,
            RefundStrategy::Amount {
                amount: usd("30.00"),
            },
            RefundProgress::Pending,
        )
        .unwrap();
    assert_eq!(t.view(order).refunds[0].status, RefundStatus::Pending);
    assert_eq!(
        t.status(order),
        OrderStatus::Paid,
        "a pending refund has not given money back yet"
    );
    assert!(
        matches!(
            t.refund_amount(sale, usd("0.01")),
            Err(LedgerError::RefundExceedsBalance { .. })
        ),
        "pending holds the balance"
    );
    t.run(Command::ResolveResult {
        tx: r,
        result: TxResult::Declined,
        note: Some("terminal refused".into()),
    })
    .unwrap();
    assert_eq!(t.view(order).refunds[0].status, RefundStatus::Failed);
    let r2 = t
        .refund(
            sale,
            RefundStrategy::Amount {
                amount: usd("30.00"),
            },
            RefundProgress::Pending,
        )
        .unwrap();
    t.run(Command::ResolveResult {
        tx: r2,
        result: TxResult::Approved,
        note: None,
    })
    .unwrap();
    assert_eq!(t.status(order), OrderStatus::Refunded);
    let history = &t.ledger.transaction(r2).unwrap().history;
    assert_eq!(
        history.iter().map(|h| h.result).collect::<Vec<_>>(),
        vec![TxResult::Unknown, TxResult::Approved]
    );
    let again = t.run(Command::ResolveResult {
        tx: r2,
        result: TxResult::Declined,
        note: None,
    });
    assert!(matches!(again, Err(LedgerError::ResultFinal("approved"))));
}

#[test]
fn rule_07_a_pending_refund_can_be_voided_a_complete_one_cannot() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "30.00", 1)]);
    let sale = t.sale(order, usd("30.00"));
    let pending = t
        .refund(
            sale,
            RefundStrategy::Amount {
                amount: usd("10.00"),
            },
            RefundProgress::Pending,
        )
        .unwrap();
    t.void(pending).unwrap();
    assert_eq!(t.view(order).refunds[0].status, RefundStatus::Voided);
    let resolve = t.run(Command::ResolveResult {
        tx: pending,
        result: TxResult::Approved,
        note: None,
    });
    assert!(matches!(resolve, Err(LedgerError::AlreadyVoided)));
    let complete = t.refund_amount(sale, usd("30.00")).unwrap();
    assert!(matches!(
        t.void(complete),
        Err(LedgerError::RefundNotPending("complete"))
    ));
}

#[test]
fn rule_08_a_credit_needs_a_manager() {
    let mut t = Till::new();
    let refused = t.run(Command::Credit {
        order_ids: vec![],
        amount: usd("15.00"),
        method: PaymentMethod::Cash,
        approved_by: "  ".into(),
        reason: "goodwill".into(),
    });
    assert!(matches!(refused, Err(LedgerError::CreditNeedsManager)));
    t.run(Command::Credit {
        order_ids: vec![],
        amount: usd("15.00"),
        method: PaymentMethod::Cash,
        approved_by: "Maria (manager)".into(),
        reason: "goodwill for a late delivery".into(),
    })
    .unwrap();
    let s = t.ledger.summary(t.now, |_| true);
    assert_eq!(s.currencies[0].credited, usd("15.00"));
    assert_eq!(s.currencies[0].net, usd("-15.00"));
}

#[test]
fn rule_09_only_approved_transactions_move_money_the_rest_are_attempts() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "40.00", 1)]);
    t.pay(
        order,
        PaymentKind::Sale,
        usd("40.00"),
        card(),
        TxResult::Declined,
    )
    .unwrap();
    t.pay(
        order,
        PaymentKind::Sale,
        usd("40.00"),
        card(),
        TxResult::Abandoned,
    )
    .unwrap();
    t.pay(
        order,
        PaymentKind::Sale,
        usd("40.00"),
        card(),
        TxResult::Canceled,
    )
    .unwrap();
    assert_eq!(t.status(order), OrderStatus::Open);
    t.sale(order, usd("40.00"));
    let s = t.ledger.summary(t.now, |_| true);
    let u = &s.currencies[0];
    assert_eq!(u.gross_sales, usd("40.00"));
    assert_eq!(u.net, usd("40.00"));
    assert_eq!(
        (
            u.approved_count,
            u.declined_count,
            u.abandoned_count,
            u.canceled_count
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(u.canceled, usd("40.00"));
    assert_eq!(
        t.view(order).transactions.len(),
        4,
        "every attempt stays in the history"
    );
}

#[test]
fn rule_10_one_payment_for_several_orders_and_several_attempts_for_one_order() {
    let mut t = Till::new();
    let a = t.order(vec![line("print", "60.00", 1)]);
    let b = t.order(vec![line("mug", "40.00", 1)]);
    t.pay(
        a,
        PaymentKind::Sale,
        usd("60.00"),
        card(),
        TxResult::Declined,
    )
    .unwrap();
    let facts = t
        .run(Command::Pay(Payment {
            kind: PaymentKind::Sale,
            order_ids: vec![a, b],
            amount: usd("100.00"),
            method: PaymentMethod::Cash,
            result: TxResult::Approved,
            replaces: None,
        }))
        .unwrap();
    let both = Till::tx_id(&facts);
    assert_eq!(t.status(a), OrderStatus::Paid);
    assert_eq!(t.status(b), OrderStatus::Paid);
    assert_eq!(
        t.view(a).transactions.len(),
        2,
        "a declined attempt and the payment"
    );
    t.refund_amount(both, usd("30.00")).unwrap();
    assert_eq!(t.status(a), OrderStatus::Paid);
    assert_eq!(t.status(b), OrderStatus::PartlyRefunded);
    let unlinked = t.run(Command::Pay(Payment {
        kind: PaymentKind::Sale,
        order_ids: vec![],
        amount: usd("5.00"),
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        replaces: None,
    }));
    assert!(unlinked.is_ok(), "a transaction may relate to no order");
}

#[test]
fn rule_10_paying_more_than_is_due_is_refused() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "60.00", 1)]);
    t.sale(order, usd("50.00"));
    assert_eq!(t.status(order), OrderStatus::PartlyPaid);
    let err = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("10.01"),
            PaymentMethod::Cash,
            TxResult::Approved,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::Overpayment { .. }), "{err}");
    t.sale(order, usd("10.00"));
    assert_eq!(t.status(order), OrderStatus::Paid);
}

#[test]
fn rule_11_log_dont_charge_is_a_sale_with_its_reference() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "25.00", 1)]);
    let tx = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("25.00"),
            external("INV-2041"),
            TxResult::Approved,
        )
        .unwrap();
    let recorded = t.ledger.transaction(tx).unwrap();
    assert!(recorded.method.is_logged());
    assert_eq!(recorded.kind, TxKind::Sale);
    assert_eq!(t.status(order), OrderStatus::Paid);
    assert_eq!(
        t.ledger.summary(t.now, |_| true).currencies[0].gross_sales,
        usd("25.00")
    );
    let no_ref = t.pay(
        order,
        PaymentKind::Sale,
        usd("1.00"),
        external(" "),
        TxResult::Approved,
    );
    assert!(matches!(no_ref, Err(LedgerError::ReasonRequired(_))));
}

#[test]
fn rule_12_mark_an_open_order_as_paid() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "25.00", 2)]);
    t.sale(order, usd("20.00"));
    let facts = t
        .run(Command::MarkPaid {
            order,
            note: "paid by bank transfer".into(),
        })
        .unwrap();
    let tx = t.ledger.transaction(Till::tx_id(&facts)).unwrap();
    assert_eq!(tx.amount, usd("30.00"), "marks what is still due");
    assert_eq!(t.status(order), OrderStatus::Paid);
    let again = t.run(Command::MarkPaid {
        order,
        note: "twice".into(),
    });
    assert!(matches!(again, Err(LedgerError::OrderNotOpen("paid"))));
}

#[test]
fn rule_12_write_off_an_open_order_with_a_reason() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "25.00", 1)]);
    assert!(matches!(
        t.run(Command::WriteOff {
            order,
            reason: "".into()
        }),
        Err(LedgerError::ReasonRequired(_))
    ));
    t.run(Command::WriteOff {
        order,
        reason: "customer left without paying".into(),
    })
    .unwrap();
    let v = t.view(order);
    assert_eq!(v.status, OrderStatus::WrittenOff);
    assert_eq!(v.write_off.unwrap().amount, usd("25.00"));
    let pay = t.pay(
        order,
        PaymentKind::Sale,
        usd("25.00"),
        PaymentMethod::Cash,
        TxResult::Approved,
    );
    assert!(matches!(pay, Err(LedgerError::OrderNotOpen("written off"))));
    let paid = t.order(vec![line("mug", "5.00", 1)]);
    t.sale(paid, usd("5.00"));
    assert!(matches!(
        t.run(Command::WriteOff {
            order: paid,
            reason: "x".into()
        }),
        Err(LedgerError::OrderNotOpen("paid"))
    ));
}

#[test]
fn rejected_commands_change_nothing() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "25.00", 1)]);
    let sale = t.sale(order, usd("25.00"));
    let before = t.ledger.clone();
    assert!(t.refund_amount(sale, usd("30.00")).is_err());
    assert!(t.void(sale).is_err());
    assert!(t.capture(sale, usd("1.00")).is_err());
    assert_eq!(t.ledger, before);
}

#[test]
fn summary_is_per_currency_and_never_adds_currencies() {
    use fairtill_core::money::Currency;
    use fairtill_core::order::{Order, OrderDraft};
    use fairtill_core::tax::TaxPolicy;
    let mut t = Till::new();
    let order = t.order(vec![line("print", "25.00", 1)]);
    t.sale(order, usd("25.00"));
    let stamp = t.stamp();
    let eur_line = fairtill_core::order::OrderLine {
        unit_price: eur("9.50"),
        ..line("mug", "1", 1)
    };
    let draft = OrderDraft {
        currency: Currency::from_code("EUR").unwrap(),
        lines: vec![eur_line],
        discount: None,
        tax: TaxPolicy::none(),
        customer: None,
        note: None,
        referrer: None,
    };
    let eur_order = Order::place(
        fairtill_core::ids::OrderId(stamp.id),
        "T1-9".into(),
        stamp.context.clone(),
        stamp.at,
        draft,
    )
    .unwrap();
    t.ledger
        .execute(
            &Command::PlaceOrder {
                order: Box::new(eur_order),
            },
            &stamp,
        )
        .unwrap();
    t.pay(
        fairtill_core::ids::OrderId(stamp.id),
        PaymentKind::Sale,
        eur("9.50"),
        PaymentMethod::Cash,
        TxResult::Approved,
    )
    .unwrap();
    let s = t.ledger.summary(t.now, |_| true);
    let codes: Vec<_> = s.currencies.iter().map(|c| c.currency.code()).collect();
    assert_eq!(codes, vec!["EUR", "USD"]);
    assert_eq!(s.currencies[0].net, eur("9.50"));
    assert_eq!(s.currencies[1].net, usd("25.00"));
}

/// A stamp from a till (the helper's stamps carry the nil device id, which is the server's).
fn at_till(t: &mut Till) -> Stamp {
    let mut s = t.stamp();
    s.context.device_id = fairtill_core::ids::DeviceId(uuid::Uuid::from_u128(7));
    s
}

fn on_file() -> PaymentMethod {
    PaymentMethod::CardOnFile {
        customer: fairtill_core::ids::CustomerId(uuid::Uuid::from_u128(99)),
        card: "pm_1".into(),
        brand: "visa".into(),
        last4: "4242".into(),
    }
}

#[test]
fn rule_14_the_processor_decides_a_card_on_file_and_only_the_server_records_it() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "40.00", 1)]);
    // Recorded as waiting to charge: the till cannot say it was approved.
    let approved_at_till = t.pay(
        order,
        PaymentKind::Sale,
        usd("40.00"),
        on_file(),
        TxResult::Approved,
    );
    assert!(matches!(
        approved_at_till,
        Err(LedgerError::ProcessorDecides(_))
    ));
    let charge = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("40.00"),
            on_file(),
            TxResult::Unknown,
        )
        .unwrap();
    assert_eq!(
        t.view(order).status,
        OrderStatus::PaymentPending,
        "waiting to charge is not paid"
    );
    // A till cannot record the processor's answer; the server can.
    let resolve = Command::ResolveResult {
        tx: charge,
        result: TxResult::Approved,
        note: None,
    };
    let stamp = at_till(&mut t);
    assert!(matches!(
        t.ledger.execute(&resolve, &stamp),
        Err(LedgerError::ProcessorDecides(_))
    ));
    t.run(resolve).unwrap();
    assert_eq!(t.status(order), OrderStatus::Paid);
    // Its refund is pending until the processor completes it, and cannot be voided.
    let complete = t.refund(
        charge,
        RefundStrategy::Amount {
            amount: usd("10.00"),
        },
        RefundProgress::Complete,
    );
    assert!(matches!(complete, Err(LedgerError::ProcessorDecides(_))));
    let refund = t
        .refund(
            charge,
            RefundStrategy::Amount {
                amount: usd("10.00"),
            },
            RefundProgress::Pending,
        )
        .unwrap();
    assert_eq!(t.view(order).refunds[0].status, RefundStatus::Pending);
    assert!(matches!(
        t.void(refund),
        Err(LedgerError::ProcessorDecides(_))
    ));
    // No credit to a card: the processor has no such operation.
    let credit = t.run(Command::Credit {
        order_ids: vec![order],
        amount: usd("5.00"),
        method: on_file(),
        approved_by: "alex".into(),
        reason: "goodwill".into(),
    });
    assert!(matches!(credit, Err(LedgerError::ProcessorDecides(_))));
    // And the till's offered actions say why it cannot resolve the charge itself.
    let stamp = at_till(&mut t);
    let order2 = t.order(vec![line("print", "12.00", 1)]);
    let waiting = t
        .pay(
            order2,
            PaymentKind::Sale,
            usd("12.00"),
            on_file(),
            TxResult::Unknown,
        )
        .unwrap();
    let actions = t
        .ledger
        .order_actions(order2, stamp.at, &stamp.context)
        .unwrap();
    let resolve = actions
        .iter()
        .find(|a| a.kind == ActionKind::Resolve && a.target == Some(waiting))
        .unwrap();
    assert!(resolve
        .refused
        .as_deref()
        .unwrap()
        .contains("card processor"));
}

/// Runs `command` as a till would (not the server).
fn at_till_run(t: &mut Till, command: &Command) -> Result<Vec<Fact>, LedgerError> {
    let stamp = at_till(t);
    t.ledger.execute(command, &stamp)
}

fn server_answers(
    t: &mut Till,
    tx: fairtill_core::ids::TxId,
    result: TxResult,
    hold: Option<fairtill_core::Timestamp>,
) {
    let stamp = t.stamp();
    let change = ResultChange {
        result,
        at: stamp.at,
        note: None,
        expires_at: hold,
    };
    t.ledger.apply(Fact::ResultChanged { tx, change }).unwrap();
}

#[test]
fn rule_14_a_card_on_file_authorization_is_captured_once_and_expires_with_the_processors_hold() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "40.00", 1)]);
    let authorize = |window_hours| {
        Command::Pay(Payment {
            kind: PaymentKind::Authorize {
                capture_window: SignedDuration::from_hours(window_hours),
            },
            order_ids: vec![order],
            amount: usd("40.00"),
            method: on_file(),
            result: TxResult::Unknown,
            replaces: None,
        })
    };
    // An event window longer than the processor's hold is cut to the hold.
    let auth = Till::tx_id(&at_till_run(&mut t, &authorize(30 * 24)).unwrap());
    let recorded_at = t.now;
    let own = t.ledger.transaction(auth).unwrap().expires_at.unwrap();
    assert_eq!(own, recorded_at.checked_add(PROCESSOR_HOLD).unwrap());
    // The processor approves it, holding it for less: the ledger follows.
    let hold = recorded_at
        .checked_add(SignedDuration::from_hours(5 * 24))
        .unwrap();
    server_answers(&mut t, auth, TxResult::Approved, Some(hold));
    assert_eq!(t.ledger.transaction(auth).unwrap().expires_at, Some(hold));
    assert_eq!(t.status(order), OrderStatus::Authorized);

    // A capture is recorded waiting; the till cannot say it was approved.
    let approved_capture = Command::Capture {
        authorization: auth,
        amount: usd("25.00"),
        result: TxResult::Approved,
    };
    assert!(matches!(
        at_till_run(&mut t, &approved_capture),
        Err(LedgerError::ProcessorDecides(_))
    ));
    let capture = Command::Capture {
        authorization: auth,
        amount: usd("25.00"),
        result: TxResult::Unknown,
    };
    let captured = Till::tx_id(&at_till_run(&mut t, &capture).unwrap());
    // While it waits, neither a second capture nor a void: the processor captures once.
    let again = at_till_run(&mut t, &capture).unwrap_err();
    assert!(
        again.to_string().contains("captures an authorization once"),
        "{again}"
    );
    let void = Command::Void {
        target: auth,
        reason: None,
    };
    assert!(matches!(
        at_till_run(&mut t, &void),
        Err(LedgerError::ProcessorDecides(_))
    ));
    // The processor takes 25.00 and releases the rest: the server records both.
    server_answers(&mut t, captured, TxResult::Approved, None);
    let release = t.run(void.clone()).unwrap();
    let Fact::Recorded { tx } = &release[0] else {
        panic!("a void")
    };
    assert_eq!((tx.amount, tx.result()), (usd("15.00"), TxResult::Approved));
    let view = t.view(order);
    assert_eq!(view.paid, usd("25.00"));
    // Nothing is left to capture or void, and the expiry no longer matters.
    assert!(at_till_run(&mut t, &capture).is_err());
    t.advance(SignedDuration::from_hours(8 * 24));
    assert_ne!(t.status(order), OrderStatus::Expired);
}

#[test]
fn rule_14_a_card_on_file_void_waits_for_the_processor_and_the_hold_lapses_on_its_day() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "40.00", 1)]);
    let authorize = Command::Pay(Payment {
        kind: PaymentKind::Authorize {
            capture_window: SignedDuration::from_hours(48),
        },
        order_ids: vec![order],
        amount: usd("40.00"),
        method: on_file(),
        result: TxResult::Unknown,
        replaces: None,
    });
    let auth = Till::tx_id(&at_till_run(&mut t, &authorize).unwrap());
    server_answers(&mut t, auth, TxResult::Approved, None);
    let void = Command::Void {
        target: auth,
        reason: Some("customer changed their mind".into()),
    };
    let voiding = Till::tx_id(&at_till_run(&mut t, &void).unwrap());
    assert_eq!(
        t.ledger.transaction(voiding).unwrap().result(),
        TxResult::Unknown,
        "sent to the processor, not yet released"
    );
    let capture = Command::Capture {
        authorization: auth,
        amount: usd("40.00"),
        result: TxResult::Unknown,
    };
    let err = at_till_run(&mut t, &capture).unwrap_err();
    assert!(
        err.to_string()
            .contains("void of this authorization is waiting"),
        "{err}"
    );
    // The processor could not release it (say it lapsed there): the hold is capturable again
    // until the event's 48 hours run out.
    server_answers(&mut t, voiding, TxResult::Declined, None);
    let stamp = at_till(&mut t);
    assert!(t.ledger.decide(&capture, &stamp).is_ok());
    t.advance(SignedDuration::from_hours(48));
    assert_eq!(t.status(order), OrderStatus::Expired);
}

#[test]
fn rule_14_the_order_screen_offers_a_card_on_file_refund_as_pending() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "40.00", 1)]);
    let charge = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("40.00"),
            on_file(),
            TxResult::Unknown,
        )
        .unwrap();
    server_answers(&mut t, charge, TxResult::Approved, None);
    let stamp = at_till(&mut t);
    let actions = t
        .ledger
        .order_actions(order, stamp.at, &stamp.context)
        .unwrap();
    for kind in [ActionKind::RefundFull, ActionKind::Refund] {
        let a = actions.iter().find(|a| a.kind == kind).unwrap();
        assert_eq!(a.refused, None, "{kind:?}");
    }
}

/// The transactions a command recorded (it recorded nothing else).
fn recorded(facts: &[Fact]) -> Vec<&Transaction> {
    facts
        .iter()
        .map(|f| match f {
            Fact::Recorded { tx } => tx.as_ref(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn rule_16_a_split_order_is_paid_in_parts_and_refunds_spill_card_first_cash_last() {
    let mut t = Till::new();
    let order = t.order(vec![line("mug", "10.00", 3), line("print", "20.00", 1)]);
    let cash = t.sale(order, usd("15.00"));
    assert_eq!(t.status(order), OrderStatus::PartlyPaid);
    assert_eq!(t.view(order).balance_due, usd("35.00"));
    let over = t.pay(
        order,
        PaymentKind::Sale,
        usd("40.00"),
        card(),
        TxResult::Approved,
    );
    assert!(
        matches!(over, Err(LedgerError::Overpayment { .. })),
        "no part beyond what is due"
    );
    let terminal = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("25.00"),
            card(),
            TxResult::Approved,
        )
        .unwrap();
    let logged = t
        .pay(
            order,
            PaymentKind::Sale,
            usd("10.00"),
            external("#7"),
            TxResult::Approved,
        )
        .unwrap();
    assert_eq!(t.status(order), OrderStatus::Paid);

    // Two mugs (20.00) asked of the logged part (10.00): the rest comes from the card, not the cash.
    let items = RefundStrategy::Items {
        items: vec![RefundItem {
            order_id: order,
            line: 0,
            quantity: 2,
        }],
    };
    let facts = t
        .run(Command::Refund {
            parent: logged,
            strategy: items,
            progress: RefundProgress::Complete,
            reason: Some("returned".into()),
        })
        .unwrap();
    let refunds = recorded(&facts);
    let parts: Vec<(TxId, Money)> = refunds
        .iter()
        .map(|r| (r.parent.unwrap(), r.amount))
        .collect();
    assert_eq!(parts, [(logged, usd("10.00")), (terminal, usd("10.00"))]);
    assert_eq!(
        refunds[0].refund.as_ref().unwrap().items.len(),
        1,
        "the first holds the items"
    );
    let rest = refunds[1].refund.as_ref().unwrap();
    assert_eq!((rest.items.len(), rest.rest_of), (0, Some(refunds[0].id)));
    assert!(refunds.iter().all(|r| r.is_approved()));
    assert_eq!(t.view(order).refunded, usd("20.00"));

    // The last mug is counted once: two of three were refunded, whatever the parts.
    let one_more = RefundStrategy::Items {
        items: vec![RefundItem {
            order_id: order,
            line: 0,
            quantity: 2,
        }],
    };
    let err = t
        .refund(cash, one_more, RefundProgress::Complete)
        .unwrap_err();
    assert!(matches!(err, LedgerError::BadRefundItem(_)), "{err}");

    // An amount beyond every part is refused and records nothing.
    let before = t.ledger.clone();
    let err = t.refund_amount(cash, usd("31.00")).unwrap_err();
    match err {
        LedgerError::RefundExceedsBalance { refundable, .. } => {
            assert_eq!(refundable, usd("30.00"))
        }
        other => panic!("{other}"),
    }
    assert_eq!(t.ledger, before);
    // 30.00 asked of the cash part: its 15.00, then the card's 15.00 left; cash is refunded last
    // only when it is not the part asked.
    t.refund_amount(cash, usd("30.00")).unwrap();
    assert_eq!(t.status(order), OrderStatus::Refunded);
    let full = t.refund(terminal, RefundStrategy::Full, RefundProgress::Complete);
    assert!(
        full.is_err(),
        "a full refund is of the chosen part only, and this one gave back already"
    );
}

#[test]
fn rule_16_the_rest_of_a_refund_to_a_card_on_file_waits_for_the_processor() {
    let mut t = Till::new();
    let order = t.order(vec![line("print", "40.00", 1)]);
    let cash = t.sale(order, usd("10.00"));
    let stamp = at_till(&mut t);
    let charged = t
        .ledger
        .execute(
            &Command::Pay(Payment {
                kind: PaymentKind::Sale,
                order_ids: vec![order],
                amount: usd("30.00"),
                method: on_file(),
                result: TxResult::Unknown,
                replaces: None,
            }),
            &stamp,
        )
        .unwrap();
    let charged = Till::tx_id(&charged);
    server_answers(&mut t, charged, TxResult::Approved, None);
    assert_eq!(t.status(order), OrderStatus::Paid);
    let facts = t
        .run(Command::Refund {
            parent: cash,
            strategy: RefundStrategy::Amount {
                amount: usd("25.00"),
            },
            progress: RefundProgress::Complete,
            reason: None,
        })
        .unwrap();
    let results: Vec<(TxResult, Money)> = recorded(&facts)
        .iter()
        .map(|tx| (tx.result(), tx.amount))
        .collect();
    assert_eq!(
        results,
        [
            (TxResult::Approved, usd("10.00")),
            (TxResult::Unknown, usd("15.00"))
        ],
        "cash back now, the card's part pending"
    );
}
