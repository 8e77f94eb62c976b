//! Customers on the till, in a file database: made and changed here, found by name, email or
//! phone (any case, a phone by its digits), versions from other tills applied by the latest
//! time, cards from the server applied and removed, and a charge to a card on file recorded as
//! waiting to charge — refused for a card that is no longer on file.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::customer::{Customer, CustomerProfile, SavedCard};
use fairtill_core::ids::{CustomerId, DeviceId};
use fairtill_core::ledger::{PaymentKind, PaymentMethod, TxResult};
use fairtill_core::Timestamp;
use fairtill_store::{Remote, Tender};
use uuid::Uuid;

fn details(name: &str, email: &str, phone: &str) -> Customer {
    Customer {
        name: Some(name.into()),
        email: Some(email.into()),
        phone: Some(phone.into()),
        billing_address: None,
    }
}

fn card(customer: CustomerId, id: &str, last4: &str, at: i64) -> SavedCard {
    SavedCard {
        id: id.into(),
        customer_id: customer,
        brand: "visa".into(),
        last4: last4.into(),
        exp_month: 4,
        exp_year: 2031,
        saved_at: Timestamp::from_second(at).unwrap(),
    }
}

fn on_file(c: &SavedCard) -> Tender {
    Tender {
        kind: PaymentKind::Sale,
        method: PaymentMethod::CardOnFile {
            customer: c.customer_id,
            card: c.id.clone(),
            brand: c.brand.clone(),
            last4: c.last4.clone(),
        },
        result: TxResult::Unknown,
        amount: None,
    }
}

#[test]
fn customers_are_found_changed_and_charged_on_their_card() {
    let db = temp_db();
    let mut till = open(&db);
    let mia = till
        .save_customer(
            &actor(),
            None,
            &details(" Mia Wong ", "mia@example.com", "+49 (30) 123-4567"),
        )
        .unwrap();
    assert_eq!(mia.profile.details.name.as_deref(), Some("Mia Wong"));
    till.save_customer(
        &actor(),
        None,
        &details("Jonas Berg", "jb@example.org", "0171 998877"),
    )
    .unwrap();
    let names = |found: Vec<fairtill_store::CustomerView>| {
        found
            .into_iter()
            .map(|c| c.profile.details.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(till.find_customers("MIA").unwrap()), ["Mia Wong"]);
    assert_eq!(
        names(till.find_customers("example.org").unwrap()),
        ["Jonas Berg"]
    );
    assert_eq!(
        names(till.find_customers("301234567").unwrap()),
        ["Mia Wong"]
    );
    assert_eq!(
        names(till.find_customers("example").unwrap()),
        ["Jonas Berg", "Mia Wong"]
    );
    assert!(till.find_customers("100%").unwrap().is_empty());
    assert!(
        till.find_customers("m").is_err(),
        "one letter finds too much"
    );
    assert!(till
        .save_customer(&actor(), None, &details("X", "not an email", "1234"))
        .is_err());

    // A change is a new version, found by its new details only.
    let id = mia.profile.id;
    let changed = till
        .save_customer(
            &actor(),
            Some(id),
            &details("Mia Wong-Berg", "mia@example.com", "030 1234567"),
        )
        .unwrap();
    assert!(changed.profile.updated_at > mia.profile.updated_at);
    assert_eq!(
        names(till.find_customers("wong-berg").unwrap()),
        ["Mia Wong-Berg"]
    );
    // A version from another till made earlier loses; a later one wins.
    let other = DeviceId(Uuid::now_v7());
    let older = CustomerProfile {
        id,
        details: details("Old Name", "old@example.com", "1111"),
        updated_at: Timestamp::from_second(1_700_000_000).unwrap(),
        device_id: other,
        staff: "ben".into(),
    };
    let newer = CustomerProfile {
        details: details("Mia W.", "mia@example.com", "030 1234567"),
        updated_at: changed
            .profile
            .updated_at
            .checked_add(fairtill_core::SignedDuration::from_secs(60))
            .unwrap(),
        ..older.clone()
    };
    till.apply_remote(&[Remote::Customer(older)], None, "1")
        .unwrap();
    assert_eq!(
        till.customer(id).unwrap().profile.details.name.as_deref(),
        Some("Mia Wong-Berg")
    );
    till.apply_remote(&[Remote::Customer(newer)], None, "2")
        .unwrap();
    assert_eq!(
        till.customer(id).unwrap().profile.details.name.as_deref(),
        Some("Mia W.")
    );

    // Cards come from the server; the newest is the default, a removed one is gone.
    let first = card(id, "pm_first", "4242", 1_780_000_000);
    let second = card(id, "pm_second", "0341", 1_780_000_100);
    till.apply_remote(&[Remote::CardSaved(first.clone())], None, "3")
        .unwrap();
    till.apply_remote(
        &[
            Remote::CardSaved(second.clone()),
            Remote::CardRemoved {
                card_id: first.id.clone(),
                removed_at: Timestamp::from_second(1_780_000_100).unwrap(),
            },
        ],
        None,
        "4",
    )
    .unwrap();
    let view = till.customer(id).unwrap();
    assert_eq!(view.cards, vec![second.clone()]);

    // A charge to the card on file waits for the processor; the removed card is refused.
    let sale = till
        .record_sale(&actor(), draft(&[("print", "25.00", 1)]), on_file(&second))
        .unwrap();
    let tx = till.transaction(sale.transaction_id).unwrap();
    assert_eq!(tx.result(), TxResult::Unknown);
    let refused = till.record_sale(&actor(), draft(&[("print", "25.00", 1)]), on_file(&first));
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("no longer on file"), "{message}");

    // All of it survives a restart.
    drop(till);
    let till = open(&db);
    assert_eq!(till.customer(id).unwrap().cards, vec![second]);
    assert_eq!(
        till.outbox()
            .unwrap()
            .waiting
            .iter()
            .find(|(t, _)| t == "customer")
            .map(|w| w.1),
        Some(3)
    );
}

/// A receipt asked for by email at the till: recorded offline, in the outbox after the order,
/// listed as not yet synced, and synced once acknowledged; a bad address or an unknown order is
/// refused, and nothing is recorded.
#[test]
fn a_receipt_email_is_recorded_offline_and_waits_to_sync() {
    let db = temp_db();
    let mut till = open(&db);
    let sale = till
        .record_sale(&actor(), draft(&[("MUG", "12.00", 1)]), cash())
        .unwrap();
    let before = till.outbox().unwrap().total;
    let bad = till
        .request_receipt_email(&actor(), sale.order_id, "mia at example")
        .unwrap_err();
    assert!(bad.to_string().contains("not an email address"), "{bad}");
    let unknown = fairtill_core::ids::OrderId(Uuid::now_v7());
    assert!(till
        .request_receipt_email(&actor(), unknown, "mia@example.com")
        .is_err());
    assert_eq!(
        till.outbox().unwrap().total,
        before,
        "nothing recorded for a refusal"
    );
    let asked = till
        .request_receipt_email(&actor(), sale.order_id, " mia@example.com ")
        .unwrap();
    assert_eq!(asked.request.email, "mia@example.com");
    assert!(!asked.synced);
    let waiting = till.outbox().unwrap();
    assert_eq!(waiting.total, before + 1);
    assert!(waiting
        .waiting
        .iter()
        .any(|(t, n)| t == "receipt_email" && *n == 1));
    let batch = till.outbox_batch("receipt_email", 10).unwrap();
    assert_eq!(batch.len(), 1);
    till.outbox_ack("receipt_email", batch[0].0).unwrap();
    let listed = till.receipt_emails(sale.order_id).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].synced);
}
