//! The Stripe adapter against localstripe, a real stateful Stripe emulator on a loopback port:
//! customers and saved cards, payments approved, declined and waiting for offsite approval,
//! authorize → capture, release, refunds — each found again by the ledger transaction it carries
//! out, which is how the server learns what an earlier try made before it tries again
//! (localstripe ignores `Idempotency-Key`; `payments.rs` and `payment_faults.rs` count at the
//! processor that nothing is made twice).
#![allow(clippy::unwrap_used, missing_docs)]

use fairtill_core::ids::TxId;
use fairtill_core::money::{Currency, Money};
use fairtill_server::processor::stripe::{Stripe, LEDGER_KEY};
use fairtill_server::processor::{
    Capture, CustomerRef, PaymentRequest, PaymentStatus, Processor, RefundStatus,
};
use fairtill_testkit::{Localstripe, TEST_KEY};
use serde_json::Value;
use uuid::Uuid;

fn usd(text: &str) -> Money {
    Money::parse(text, Currency::from_code("USD").unwrap()).unwrap()
}

fn tx() -> TxId {
    TxId(Uuid::now_v7())
}

/// What the processor's own card form does in a browser (Stripe.js): the card number goes to
/// the processor, never to Fairtill, which gets back a payment method id.
async fn card_from_the_processor_form(
    ls: &Localstripe,
    customer: &CustomerRef,
    number: &str,
) -> String {
    let http = reqwest::Client::new();
    let made: Value = http
        .post(format!("{}/v1/payment_methods", ls.url))
        .bearer_auth(TEST_KEY)
        .form(&[
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    let attached = http
        .post(format!("{}/v1/payment_methods/{id}/attach", ls.url))
        .bearer_auth(TEST_KEY)
        .form(&[("customer", customer.0.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        attached.status().is_success(),
        "{}",
        attached.text().await.unwrap()
    );
    id
}

#[tokio::test]
async fn payments_and_refunds_are_found_again_by_their_ledger_transaction() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ls = Localstripe::start();
    let stripe = Stripe::new(&ls.url, TEST_KEY).unwrap();
    assert_eq!(
        LEDGER_KEY, "fairtill_tx",
        "the key Localstripe::made_for reads"
    );
    assert!(
        !format!("{stripe:?}").contains(TEST_KEY),
        "the key is never printed"
    );

    let ada = stripe
        .create_customer("ada-1", Some("Ada Lovelace"), Some("ada@example.org"))
        .await
        .unwrap();
    let visa = card_from_the_processor_form(&ls, &ada, "4242424242424242").await;
    let cards = stripe.cards(&ada).await.unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!((cards[0].last4.as_str(), cards[0].exp_year), ("4242", 2030));

    // A sale on the saved card, found again by its ledger transaction (what the server asks
    // before it retries a charge whose answer it may have lost).
    let sale = tx();
    let ask = |ledger_tx: TxId, amount: &str, card: &str, capture: Capture| PaymentRequest {
        ledger_tx,
        amount: usd(amount),
        customer: ada.clone(),
        card: card.to_string(),
        capture,
        description: "Craft Fair, receipt T1-000001".into(),
    };
    let paid = stripe
        .pay(&ask(sale, "25.00", &visa, Capture::Now))
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Approved);
    assert_eq!(paid.amount, usd("25.00"));
    assert_eq!(paid.ledger_tx, Some(sale));
    assert_eq!(ls.made_for("/v1/payment_intents", sale).await.len(), 1);
    assert_eq!(
        stripe.find_payment(sale).await.unwrap().unwrap().id,
        paid.id
    );
    assert_eq!(stripe.find_payment(tx()).await.unwrap(), None);

    // A card the bank declines: the processor's words, not a hard decline.
    let declining = card_from_the_processor_form(&ls, &ada, "4000000000000341").await;
    let declined = stripe
        .pay(&ask(tx(), "12.00", &declining, Capture::Now))
        .await
        .unwrap();
    let PaymentStatus::Declined { reason, hard } = &declined.status else {
        panic!("expected a decline, got {declined:?}")
    };
    assert!(!reason.is_empty() && !hard, "{reason}");

    // A card that needs the customer's approval offsite (3-D Secure).
    let secure = card_from_the_processor_form(&ls, &ada, "4000000000003220").await;
    let waiting = stripe
        .pay(&ask(tx(), "80.00", &secure, Capture::Now))
        .await
        .unwrap();
    assert!(
        matches!(waiting.status, PaymentStatus::NeedsApproval { .. }),
        "{waiting:?}"
    );

    // Authorize, then capture part of it; authorize another and release it.
    let hold = tx();
    let held = stripe
        .pay(&ask(hold, "40.00", &visa, Capture::Later))
        .await
        .unwrap();
    assert!(
        matches!(held.status, PaymentStatus::Authorized { .. }),
        "{held:?}"
    );
    let captured = stripe.capture(&held.id, usd("30.00"), tx()).await.unwrap();
    assert_eq!(captured.status, PaymentStatus::Approved);
    let other = stripe
        .pay(&ask(tx(), "15.00", &visa, Capture::Later))
        .await
        .unwrap();
    let released = stripe.cancel(&other.id).await.unwrap();
    assert_eq!(released.status, PaymentStatus::Canceled);

    // A refund of part of the sale, found again by its ledger transaction.
    let back = tx();
    let refund = stripe.refund(&paid.id, usd("10.00"), back).await.unwrap();
    assert_eq!(refund.amount, usd("10.00"));
    assert!(
        matches!(
            refund.status,
            RefundStatus::Complete | RefundStatus::Pending
        ),
        "{refund:?}"
    );
    assert_eq!(ls.made_for("/v1/refunds", back).await.len(), 1);
    assert_eq!(
        stripe.find_refund(back).await.unwrap().unwrap().id,
        refund.id
    );
}

#[tokio::test]
async fn a_processor_that_cannot_be_reached_says_so_and_moves_nothing() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stripe = Stripe::new(&format!("http://127.0.0.1:{port}"), TEST_KEY).unwrap();
    let e = stripe.find_payment(tx()).await.unwrap_err();
    assert!(
        matches!(
            e,
            fairtill_server::processor::ProcessorError::Unreachable(_)
        ),
        "{e}"
    );
}
