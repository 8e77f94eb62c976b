//! Money that moves, on both backends, against localstripe (a real, stateful Stripe emulator on
//! a loopback port) and a real server process: a customer's card saved through the processor's
//! own form, charges approved and declined, a charge waiting for the customer's offsite
//! approval that is approved and one that is abandoned, refunds that complete at the processor,
//! a refund two tills made while offline that would give back more than was taken (localstripe
//! would take it: Fairtill does not send it), and webhooks checked by signature. Every count of
//! objects is made at the processor.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::processor::*;
use common::*;
use fairtill_core::customer::SavedCard;
use fairtill_core::ids::{DeviceId, EventId, TxId};
use fairtill_core::ledger::{
    Command, PaymentKind, PaymentMethod, RefundProgress, RefundStrategy, TxKind, TxResult,
    PROCESSOR_HOLD,
};
use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::{PushOutcome, Record};

use uuid::Uuid;

fn result_changes(records: &[Record], tx: TxId) -> Vec<(u32, TxResult, Option<String>)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::ResultChange {
                transaction_id,
                n,
                change,
            } if *transaction_id == tx => Some((*n, change.result, change.note.clone())),
            _ => None,
        })
        .collect()
}

async fn story(kind: Kind) {
    let s = setup(kind).await;
    let event = EventId(Uuid::now_v7());
    let mut till = common::Till::new(event);
    till.device = s.device;

    // A returning customer, made at the till and synced.
    let mia = customer(s.device, "Mia Wong");
    assert_eq!(
        s.api
            .push(
                &s.token,
                &[Record::Customer {
                    customer: mia.clone()
                }]
            )
            .await,
        vec![PushOutcome::Stored]
    );
    // A till cannot claim a card was saved: only the server records cards.
    let forged = SavedCard {
        id: "pm_forged".into(),
        customer_id: mia.id,
        brand: "visa".into(),
        last4: "4242".into(),
        exp_month: 12,
        exp_year: 2030,
        saved_at: Timestamp::now(),
    };
    assert!(matches!(
        s.api
            .push(&s.token, &[Record::CardSaved { card: forged }])
            .await[0],
        PushOutcome::Invalid { .. }
    ));

    // Nor that a card on file was charged: a till's charge arrives waiting for the processor.
    let mut claimed = common::Till::new(event);
    claimed.device = s.device;
    let forged_method = PaymentMethod::CardOnFile {
        customer: mia.id,
        card: "pm_forged".into(),
        brand: "visa".into(),
        last4: "4242".into(),
    };
    let stamp = claimed.stamp();
    let order = fairtill_core::order::Order::place(
        fairtill_core::ids::OrderId(stamp.id),
        "B1-999999".into(),
        stamp.context.clone(),
        stamp.at,
        fairtill_testkit::orders::one_line("PRINT", usd("5.00")),
    )
    .unwrap();
    let mut approved = fairtill_core::ledger::Transaction {
        id: TxId(Uuid::now_v7()),
        kind: fairtill_core::ledger::TxKind::Sale,
        parent: None,
        parent_kind: None,
        root: TxId(Uuid::nil()),
        order_ids: vec![order.id],
        amount: usd("5.00"),
        method: forged_method,
        history: vec![fairtill_core::ledger::ResultChange {
            result: TxResult::Approved,
            at: stamp.at,
            note: None,
            expires_at: None,
        }],
        created_at: stamp.at,
        expires_at: None,
        refund: None,
        replaces: None,
        approved_by: None,
        reason: None,
        context: stamp.context.clone(),
    };
    approved.root = approved.id;
    let outcomes = s
        .api
        .push(
            &s.token,
            &[
                Record::Order {
                    order: Box::new(order),
                },
                Record::Transaction {
                    transaction: Box::new(approved),
                },
            ],
        )
        .await;
    assert_eq!(outcomes[0], PushOutcome::Stored);
    let PushOutcome::Invalid { reason } = &outcomes[1] else {
        panic!("{outcomes:?}")
    };
    assert!(
        reason.contains("waiting for the card processor"),
        "{reason}"
    );

    // Her card, through the processor's form.
    let visa = save_card(&s, mia.id, "4242424242424242").await;
    assert_eq!((visa.brand.as_str(), visa.last4.as_str()), ("visa", "4242"));
    assert_eq!((visa.exp_month, visa.exp_year), (12, 2030));
    assert!(visa.id.starts_with("pm_"));

    // Charged now, online: approved, and the answer is a result change every till pulls.
    let (records, paid) = till.sale_with(usd("25.00"), on_file(&visa), TxResult::Unknown, |_| {});
    assert!(s
        .api
        .push(&s.token, &records)
        .await
        .iter()
        .all(|o| *o == PushOutcome::Stored));
    let p = progress(&s, paid).await;
    assert_eq!(
        (p["state"].as_str(), p["result"].as_str()),
        (Some("done"), Some("approved")),
        "{p}"
    );
    let pulled = s.api.pull(&s.token, event).await;
    assert_eq!(
        result_changes(&pulled, paid),
        vec![(1, TxResult::Approved, None)]
    );
    assert!(pulled
        .iter()
        .any(|r| matches!(r, Record::CardSaved { card } if card.id == visa.id)));
    let made = s.ls.made_for("/v1/payment_intents", paid).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["amount"], 2500);
    assert_eq!(made[0]["status"], "succeeded");
    // The till cannot decide a processor's result itself.
    let forged_change = Record::ResultChange {
        transaction_id: paid,
        n: 2,
        change: fairtill_core::ledger::ResultChange {
            result: TxResult::Declined,
            at: Timestamp::now(),
            note: None,
            expires_at: None,
        },
    };
    assert!(matches!(
        s.api.push(&s.token, &[forged_change]).await[0],
        PushOutcome::Invalid { .. }
    ));
    till.ledger
        .apply(fairtill_core::ledger::Fact::ResultChanged {
            tx: paid,
            change: fairtill_core::ledger::ResultChange {
                result: TxResult::Approved,
                at: Timestamp::now(),
                note: None,
                expires_at: None,
            },
        })
        .unwrap();

    // A refund of part, then of the rest on this till and — offline, at the same time — on a
    // second till: the processor would take both; the server sends only what fits.
    let mut other = common::Till::new(event);
    other.device = s.device;
    other.ledger = till.ledger.clone();
    let part = till.run(Command::Refund {
        parent: paid,
        strategy: RefundStrategy::Amount {
            amount: usd("10.00"),
        },
        progress: RefundProgress::Pending,
        reason: Some("one print damaged".into()),
    });
    let part_id = tx_id(&part);
    s.api.push(&s.token, &part).await;
    let p = progress(&s, part_id).await;
    assert_eq!(p["result"], "approved", "{p}");
    let rest = till.run(Command::Refund {
        parent: paid,
        strategy: RefundStrategy::Amount {
            amount: usd("15.00"),
        },
        progress: RefundProgress::Pending,
        reason: None,
    });
    let twice = other.run(Command::Refund {
        parent: paid,
        strategy: RefundStrategy::Amount {
            amount: usd("15.00"),
        },
        progress: RefundProgress::Pending,
        reason: None,
    });
    let (rest_id, twice_id) = (tx_id(&rest), tx_id(&twice));
    s.api.push(&s.token, &[rest, twice].concat()).await;
    assert_eq!(progress(&s, rest_id).await["result"], "approved");
    let refused = progress(&s, twice_id).await;
    assert_eq!(refused["result"], "declined", "{refused}");
    let words = refused["message"].as_str().unwrap();
    assert!(
        words.contains("more than the") && words.contains("25.00"),
        "{words}"
    );
    assert!(s.ls.made_for("/v1/refunds", twice_id).await.is_empty());
    let mut refunded = Vec::new();
    for t in [part_id, rest_id] {
        refunded.extend(s.ls.made_for("/v1/refunds", t).await);
    }
    let amounts: Vec<i64> = refunded
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![1000, 1500]);

    // A card that is declined replaces the first: the first is detached at the processor and
    // removed on every till.
    let declining = save_card(&s, mia.id, "4000000000000341").await;
    let pulled = s.api.pull(&s.token, event).await;
    assert!(pulled
        .iter()
        .any(|r| matches!(r, Record::CardRemoved { card_id, .. } if *card_id == visa.id)));
    let detached = s.ls.get(&format!("/v1/payment_methods/{}", visa.id)).await;
    assert!(detached["customer"].is_null(), "{detached}");
    let (records, declined) =
        till.sale_with(usd("40.00"), on_file(&declining), TxResult::Unknown, |_| {});
    s.api.push(&s.token, &records).await;
    let p = progress(&s, declined).await;
    assert_eq!(p["result"], "declined", "{p}");
    assert!(!p["message"].as_str().unwrap().is_empty());
    assert_eq!(
        s.ls.made_for("/v1/payment_intents", declined).await.len(),
        1
    );

    // Offsite approval (3-D Secure): waiting for the customer, then approved by them.
    let secure = save_card(&s, mia.id, "4000000000003220").await;
    let (records, approved) =
        till.sale_with(usd("12.00"), on_file(&secure), TxResult::Unknown, |_| {});
    s.api.push(&s.token, &records).await;
    let p = progress_until(&s, approved, "approval").await;
    assert_eq!(p["result"], "unknown");
    assert_eq!(p["message"], "waiting for the customer's approval");
    // The customer's link: the server's approval page, with the processor's script and the
    // amount (the QR code the till shows).
    let link = p["approval_url"].as_str().unwrap();
    assert!(link.starts_with("/approve/"), "{link}");
    let (status, page) = s.api.get(link, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("/js.stripe.com/v3/") && page.contains("12.00"),
        "{page}"
    );
    let (status, _) = s.api.get("/approve/not-a-token", None).await;
    assert_eq!(status, 404);
    let intent = &s.ls.made_for("/v1/payment_intents", approved).await[0];
    let authenticated = http()
        .post(format!(
            "{}/v1/payment_intents/{}/_authenticate",
            s.ls.url,
            intent["id"].as_str().unwrap()
        ))
        .form(&[
            ("client_secret", intent["client_secret"].as_str().unwrap()),
            ("success", "true"),
        ])
        .bearer_auth(fairtill_testkit::TEST_KEY)
        .send()
        .await
        .unwrap();
    assert!(authenticated.status().is_success());
    assert_eq!(
        progress_until(&s, approved, "done").await["result"],
        "approved"
    );

    // …and one the customer never approves: abandoned after the time limit, and canceled at
    // the processor so it cannot be approved late.
    let (records, abandoned) =
        till.sale_with(usd("9.00"), on_file(&secure), TxResult::Unknown, |_| {});
    s.api.push(&s.token, &records).await;
    let p = progress_until(&s, abandoned, "done").await;
    assert_eq!(p["result"], "abandoned", "{p}");
    let intent = &s.ls.made_for("/v1/payment_intents", abandoned).await[0];
    assert_eq!(intent["status"], "canceled");
    let pulled = s.api.pull(&s.token, event).await;
    assert_eq!(result_changes(&pulled, abandoned)[0].1, TxResult::Abandoned);

    // Webhooks: a signed one is taken, an unsigned or wrongly signed one refused.
    let body = r#"{"type":"payment_intent.succeeded"}"#;
    let webhook = |signature: String| {
        let http = http();
        let url = format!("{}/v1/processor/webhook", s.api.url);
        async move {
            http.post(url)
                .header("stripe-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(webhook(sign("whsec_fairtill_test", body)).await, 200);
    assert_eq!(webhook(sign("whsec_someone_else", body)).await, 400);
    assert_eq!(webhook(String::new()).await, 400);

    // A charge for a device that did not make it is not found.
    let (status, _) = s
        .api
        .get(
            &format!("/v1/payments/{}", TxId(Uuid::now_v7())),
            Some(&s.token),
        )
        .await;
    assert_eq!(status, 404);
}

fn tx_id(records: &[Record]) -> TxId {
    match &records[0] {
        Record::Transaction { transaction } => transaction.id,
        other => panic!("{other:?}"),
    }
}

/// A `Stripe-Signature` header for `body` under `secret`, signed now.
fn sign(secret: &str, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let t = Timestamp::now().as_second();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// An authorization to a card on file held at the processor, captured in part (the processor
/// releases the rest, and the server records that release), its capture refunded; and a second
/// authorization voided, which releases it at the processor.
async fn holds(kind: Kind) {
    let s = setup(kind).await;
    let event = EventId(Uuid::now_v7());
    let mut till = common::Till::new(event);
    till.device = s.device;
    // Recorded now: the hold's window runs from the till's clock.
    till.base = Timestamp::now().as_second() - 60;
    let mia = customer(s.device, "Mia Wong");
    s.api
        .push(
            &s.token,
            &[Record::Customer {
                customer: mia.clone(),
            }],
        )
        .await;
    let visa = save_card(&s, mia.id, "4242424242424242").await;
    let hold = PaymentKind::Authorize {
        capture_window: SignedDuration::from_hours(30 * 24),
    };

    let (records, auth) = till.order_and_pay(
        usd("40.00"),
        on_file(&visa),
        TxResult::Unknown,
        hold,
        |_| {},
    );
    let expires = match &records[1] {
        Record::Transaction { transaction } => transaction.expires_at.unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(
        expires <= Timestamp::now().checked_add(PROCESSOR_HOLD).unwrap(),
        "a 30-day event window is cut to the processor's 7 days"
    );
    s.api.push(&s.token, &records).await;
    let p = progress(&s, auth).await;
    assert_eq!(
        (p["state"].as_str(), p["result"].as_str()),
        (Some("done"), Some("approved")),
        "{p}"
    );
    let made = s.ls.made_for("/v1/payment_intents", auth).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["status"], "requires_capture", "held, not taken");
    assert_eq!(made[0]["capture_method"], "manual");
    let intent = made[0]["id"].as_str().unwrap().to_string();
    apply_changes(&mut till, &s.api.pull(&s.token, event).await);

    // Captured in part: the processor takes 25.00 and releases 15.00; the server records the
    // release as its own void of the rest, and every till pulls it.
    let capture = till.run(Command::Capture {
        authorization: auth,
        amount: usd("25.00"),
        result: TxResult::Unknown,
    });
    let captured = tx_id(&capture);
    s.api.push(&s.token, &capture).await;
    let p = progress(&s, captured).await;
    assert_eq!(p["result"], "approved", "{p}");
    let at_stripe = s.ls.get(&format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(at_stripe["status"], "succeeded", "{at_stripe}");
    let pulled = s.api.pull(&s.token, event).await;
    let release = pulled
        .iter()
        .find_map(|r| match r {
            Record::Transaction { transaction }
                if transaction.kind == TxKind::Void && transaction.parent == Some(auth) =>
            {
                Some(transaction.clone())
            }
            _ => None,
        })
        .expect("the processor's release, recorded by the server");
    assert_eq!(release.amount, usd("15.00"));
    assert_eq!(release.result(), TxResult::Approved);
    assert_eq!(release.context.device_id, DeviceId::SERVER);
    assert!(
        release.reason.as_deref().unwrap().contains("25.00"),
        "{release:?}"
    );
    assert_eq!(
        result_changes(&pulled, captured),
        vec![(1, TxResult::Approved, None)]
    );
    // Nothing was sent for the release: it is the processor's own doing.
    assert_eq!(s.ls.made_for("/v1/payment_intents", auth).await.len(), 1);

    // The capture is refunded in part: pending at the processor, then complete.
    apply_changes(&mut till, &pulled);
    till.learn(&[Record::Transaction {
        transaction: release,
    }]);
    let refund = till.run(Command::Refund {
        parent: captured,
        strategy: RefundStrategy::Amount {
            amount: usd("5.00"),
        },
        progress: RefundProgress::Pending,
        reason: Some("one print damaged".into()),
    });
    let refund_id = tx_id(&refund);
    s.api.push(&s.token, &refund).await;
    assert_eq!(progress(&s, refund_id).await["result"], "approved");
    let refunds = s.ls.made_for("/v1/refunds", refund_id).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["amount"], 500);

    // A second hold, voided: released at the processor.
    let (records, second) = till.order_and_pay(
        usd("30.00"),
        on_file(&visa),
        TxResult::Unknown,
        hold,
        |_| {},
    );
    s.api.push(&s.token, &records).await;
    assert_eq!(progress(&s, second).await["result"], "approved");
    apply_changes(&mut till, &s.api.pull(&s.token, event).await);
    let void = till.run(Command::Void {
        target: second,
        reason: Some("customer changed their mind".into()),
    });
    let void_id = tx_id(&void);
    let Record::Transaction { transaction } = &void[0] else {
        panic!()
    };
    assert_eq!(
        transaction.result(),
        TxResult::Unknown,
        "sent, not yet released"
    );
    s.api.push(&s.token, &void).await;
    let p = progress(&s, void_id).await;
    assert_eq!(p["result"], "approved", "{p}");
    let second_intent = &s.ls.made_for("/v1/payment_intents", second).await[0];
    assert_eq!(second_intent["status"], "canceled", "{second_intent}");

    // The manager's order shows it released and the first order paid 20.00 net.
    let pulled = s.api.pull(&s.token, event).await;
    assert!(result_changes(&pulled, void_id)
        .iter()
        .any(|(_, r, _)| *r == TxResult::Approved));
}

/// Applies the result changes among `records` to the till's ledger (the way a till applies what
/// it pulls), skipping those it has.

#[tokio::test(flavor = "multi_thread")]
async fn holds_on_sqlite() {
    holds(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn holds_on_postgres() {
    holds(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn money_moves_on_sqlite() {
    story(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn money_moves_on_postgres() {
    story(Kind::Postgres).await;
}

/// An order paid in two parts, cash and a card on file (rule 16), and a refund asked of the cash
/// part that is more than it holds: the cash comes back at once and the rest is refunded at the
/// processor, once, on the card's own payment. The manager sees one order, paid then refunded.
async fn split(kind: Kind) {
    let s = setup(kind).await;
    let event = EventId(Uuid::now_v7());
    let mut till = common::Till::new(event);
    till.device = s.device;
    let ana = customer(s.device, "Ana Petrova");
    s.api
        .push(
            &s.token,
            &[Record::Customer {
                customer: ana.clone(),
            }],
        )
        .await;
    let visa = save_card(&s, ana.id, "4242424242424242").await;

    let (mut records, order) = till.open_order("40.00");
    let cash = till.pay(order, usd("15.00"), PaymentMethod::Cash, TxResult::Approved);
    let cash_id = tx_id(&cash);
    let card = till.pay(order, usd("25.00"), on_file(&visa), TxResult::Unknown);
    let card_id = tx_id(&card);
    records.extend(cash);
    records.extend(card);
    assert!(s
        .api
        .push(&s.token, &records)
        .await
        .iter()
        .all(|o| *o == PushOutcome::Stored));
    assert_eq!(progress(&s, card_id).await["result"], "approved");
    apply_changes(&mut till, &s.api.pull(&s.token, event).await);
    let view = s
        .api
        .get_json(&format!("/v1/manager/orders/{order}"), &s.manager)
        .await;
    assert_eq!(view["view"]["status"], "paid", "{view}");

    let refund = till.run(Command::Refund {
        parent: cash_id,
        strategy: RefundStrategy::Amount {
            amount: usd("30.00"),
        },
        progress: RefundProgress::Complete,
        reason: Some("returned".into()),
    });
    let ids: Vec<(TxId, TxResult)> = refund
        .iter()
        .map(|r| match r {
            Record::Transaction { transaction } => (transaction.id, transaction.result()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 2, "cash first as asked, the rest from the card");
    assert_eq!(
        (ids[0].1, ids[1].1),
        (TxResult::Approved, TxResult::Unknown)
    );
    assert!(s
        .api
        .push(&s.token, &refund)
        .await
        .iter()
        .all(|o| *o == PushOutcome::Stored));
    assert_eq!(progress(&s, ids[1].0).await["result"], "approved");
    let made = s.ls.made_for("/v1/refunds", ids[1].0).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["amount"], 1500);
    assert!(
        s.ls.made_for("/v1/refunds", ids[0].0).await.is_empty(),
        "cash never goes to the processor"
    );
    let view = s
        .api
        .get_json(&format!("/v1/manager/orders/{order}"), &s.manager)
        .await;
    assert_eq!(view["view"]["status"], "partly_refunded", "{view}");
    assert_eq!(view["view"]["refunded"]["amount"], "30.00", "{view}");
}

#[tokio::test(flavor = "multi_thread")]
async fn split_payment_on_sqlite() {
    split(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn split_payment_on_postgres() {
    split(Kind::Postgres).await;
}
