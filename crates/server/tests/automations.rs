//! Automations per product or offer, through a real server process, a real SMTP server
//! (aiosmtpd) and a real webhook receiver checking signatures with the Standard Webhooks
//! project's Python library, on both backends: what a manager sets (and what is refused), a run
//! once per order when its payment is approved — for a till's sale, a logged external sale, and a
//! payment whose result arrives later — the email and the webhook each sent once, nothing run
//! again by a re-push or undone by a refund, nothing for an automation that is off, and every
//! run in the order's history.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::processor::{setup_with, Setup};
use common::*;
use fairtill_core::ids::{EventId, OfferId};
use fairtill_core::ledger::*;
use fairtill_core::offer::{Offer, OfferLine};
use fairtill_core::order::OrderDraft;
use fairtill_core::tax::TaxCategory;
use fairtill_protocol::Record;
use fairtill_testkit::{Smtp, WebhookReceiver};
use serde_json::{json, Value};

async fn add(s: &Setup, body: Value) -> (u16, Value) {
    s.api
        .post("/v1/manager/automations", Some(&s.manager), body)
        .await
}

fn line(d: &mut OrderDraft, sku: &str, name: &str, quantity: u32) {
    let mut l = d.lines[0].clone();
    l.sku = sku.into();
    l.name = name.into();
    l.quantity = quantity;
    d.lines.push(l);
}

fn with_customer(d: &mut OrderDraft, name: &str, email: Option<&str>) {
    d.customer = Some(fairtill_core::customer::Customer {
        name: Some(name.into()),
        email: email.map(str::to_string),
        ..Default::default()
    });
}

fn order_id(records: &[Record]) -> String {
    match &records[0] {
        Record::Order { order } => order.id.to_string(),
        other => panic!("{other:?}"),
    }
}

async fn automations(kind: Kind) {
    let smtp = Smtp::start();
    let port = smtp.port.to_string();
    let s = setup_with(
        kind,
        &[
            ("FAIRTILL_SMTP_HOST", "127.0.0.1"),
            ("FAIRTILL_SMTP_PORT", &port),
            ("FAIRTILL_SMTP_SECURITY", "none"),
            ("FAIRTILL_MAIL_FROM", "Gallery Night <orders@example.org>"),
            ("FAIRTILL_MAIL_POLL_SECS", "1"),
            ("FAIRTILL_WEBHOOK_RETRY_SCHEDULE", "1s,1s,1s"),
        ],
    )
    .await;
    let rx = WebhookReceiver::start();
    // The endpoint receives only sale.recorded, but the automations that name it call it too.
    let (status, made) = s
        .api
        .post(
            "/v1/manager/webhooks",
            Some(&s.manager),
            json!({ "url": rx.url("/hooks"), "events": ["sale.recorded"] }),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let endpoint = made["endpoint"]["id"].as_str().unwrap().to_string();
    rx.trust(made["secret"].as_str().unwrap());

    // An offer saved at a till: an e-book and two mugs.
    let mut till = Till::new(EventId(uuid::Uuid::now_v7()));
    till.device = s.device;
    let offer_line = |sku: &str, name: &str, quantity| OfferLine {
        sku: sku.into(),
        name: name.into(),
        unit_price: usd("10.00"),
        quantity,
        tax_category: TaxCategory::Standard,
    };
    let bundle = Offer::new(
        OfferId(uuid::Uuid::now_v7()),
        "Reader's bundle",
        usd("1.00").currency(),
        vec![
            offer_line("EBOOK", "E-book", 1),
            offer_line("MUG", "Blue mug", 2),
        ],
        fairtill_core::Timestamp::now(),
    )
    .unwrap();
    let bundle_id = bundle.id().0.to_string();
    s.api
        .push(&s.token, &[Record::Offer { offer: bundle }])
        .await;

    // What is refused, each in words.
    let email = json!({ "subject": "Your e-book, {{ customer_name }}", "body": "Receipt {{ receipt }}:\n{% for i in items %}{{ i.quantity }} x {{ i.name }}\n{% endfor %}Download: https://example.org/d/ebook\n" });
    let refused = [
        (
            json!({ "name": " ", "trigger": { "type": "product", "sku": "EBOOK" }, "email": email }),
            "give the automation a name",
        ),
        (
            json!({ "name": "Nothing", "trigger": { "type": "product", "sku": "EBOOK" } }),
            "choose at least one",
        ),
        (
            json!({ "name": "Broken", "trigger": { "type": "product", "sku": "EBOOK" }, "email": { "subject": "Hi {{ nme }}", "body": "x" } }),
            "the subject does not render",
        ),
        (
            json!({ "name": "Broken", "trigger": { "type": "product", "sku": "EBOOK" }, "email": { "subject": "Hi", "body": "{% for i in items %}" } }),
            "the body does not render",
        ),
        (
            json!({ "name": "Ghost", "trigger": { "type": "offer", "offer_id": uuid::Uuid::now_v7() }, "webhook_endpoint_id": endpoint }),
            "has reached the server",
        ),
        (
            json!({ "name": "Nowhere", "trigger": { "type": "product", "sku": "EBOOK" }, "webhook_endpoint_id": uuid::Uuid::now_v7() }),
            "no webhook endpoint",
        ),
        (
            json!({ "name": "No SKU", "trigger": { "type": "product", "sku": "" }, "webhook_endpoint_id": endpoint }),
            "SKU",
        ),
    ];
    for (body, says) in refused {
        let (status, answer) = add(&s, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }

    let (status, ebook) = add(
        &s,
        json!({ "name": "E-book download", "trigger": { "type": "product", "sku": "EBOOK" }, "email": email, "webhook_endpoint_id": endpoint }),
    )
    .await;
    assert_eq!(status, 200, "{ebook}");
    assert_eq!(ebook["needs"], json!([{ "sku": "EBOOK", "quantity": 1 }]));
    let (status, reader) = add(
        &s,
        json!({ "name": "Reader club", "trigger": { "type": "offer", "offer_id": bundle_id }, "webhook_endpoint_id": endpoint }),
    )
    .await;
    assert_eq!(status, 200, "{reader}");
    assert_eq!(
        reader["needs"],
        json!([{ "sku": "EBOOK", "quantity": 1 }, { "sku": "MUG", "quantity": 2 }])
    );
    let (status, off) = add(
        &s,
        json!({ "name": "Old promotion", "trigger": { "type": "product", "sku": "EBOOK" }, "webhook_endpoint_id": endpoint }),
    )
    .await;
    assert_eq!(status, 200, "{off}");
    let off_id = off["id"].as_str().unwrap().to_string();
    let (status, turned) = s
        .api
        .patch(
            &format!("/v1/manager/automations/{off_id}"),
            &s.manager,
            json!({ "enabled": false }),
        )
        .await;
    assert_eq!(
        (status, &turned["enabled"]),
        (200, &json!(false)),
        "{turned}"
    );

    // 1. A cash sale of the e-book with the customer's email: the e-book automation runs.
    let (first, first_sale) =
        till.sale_with(usd("12.00"), PaymentMethod::Cash, TxResult::Approved, |d| {
            d.lines[0].sku = "EBOOK".into();
            d.lines[0].name = "E-book".into();
            with_customer(d, "Jürgen Müller", Some("juergen@example.com"));
        });
    s.api.push(&s.token, &first).await;
    // 2. The bundle, logged from a web shop, with no email: both run; no email can be sent.
    let (second, _) = till.sale_with(
        usd("8.00"),
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#1001".into(),
        },
        TxResult::Approved,
        |d| {
            d.lines[0].sku = "EBOOK".into();
            line(d, "MUG", "Blue mug", 2);
            with_customer(d, "Walk-in", None);
        },
    );
    s.api.push(&s.token, &second).await;
    // 3. Mugs only: nothing runs.
    let (third, _) = till.sale_with(usd("9.00"), PaymentMethod::Cash, TxResult::Approved, |d| {
        d.lines[0].sku = "MUG".into();
    });
    s.api.push(&s.token, &third).await;
    // 4. A card payment whose result was unknown: nothing until it is approved, then once.
    let (fourth, pending) = till.sale_with(
        usd("12.00"),
        PaymentMethod::Card {
            last4: Some("4242".into()),
            approval_code: None,
        },
        TxResult::Unknown,
        |d| {
            d.lines[0].sku = "EBOOK".into();
            with_customer(d, "Ada", Some("ada@example.com"));
        },
    );
    s.api.push(&s.token, &fourth).await;
    let order = |id: String| {
        let s = &s;
        async move {
            s.api
                .get_json(&format!("/v1/manager/orders/{id}"), &s.manager)
                .await
        }
    };
    assert_eq!(
        order(order_id(&fourth)).await["automations"],
        json!([]),
        "not before approval"
    );
    s.api
        .push(
            &s.token,
            &[Record::ResultChange {
                transaction_id: pending,
                n: 1,
                change: ResultChange {
                    result: TxResult::Approved,
                    at: fairtill_core::Timestamp::now(),
                    note: Some("the terminal's slip".into()),
                    expires_at: None,
                },
            }],
        )
        .await;
    // Pushed again, and refunded: nothing runs again, nothing is taken back.
    s.api.push(&s.token, &first).await;
    let refund = till.run(Command::Refund {
        parent: first_sale,
        strategy: RefundStrategy::Full,
        progress: RefundProgress::Complete,
        reason: Some("changed their mind".into()),
    });
    s.api.push(&s.token, &refund).await;

    // The emails: order 1's and order 4's, each once, rendered from their orders.
    let got = smtp.wait_for(2);
    std::thread::sleep(Duration::from_secs(2));
    let got_again = smtp.wait_for(2);
    assert_eq!(got_again.len(), 2, "{got_again:#?}");
    let to_juergen = got
        .iter()
        .find(|m| m.to.contains("juergen@example.com"))
        .unwrap();
    assert_eq!(to_juergen.subject, "Your e-book, Jürgen Müller");
    assert!(
        to_juergen.text.contains("1 x E-book"),
        "{}",
        to_juergen.text
    );
    assert!(
        to_juergen.text.contains("https://example.org/d/ebook"),
        "{}",
        to_juergen.text
    );
    assert!(got.iter().any(|m| m.to.contains("ada@example.com")));

    // The webhooks: automation.ran for (e-book, 1), (e-book, 2), (reader, 2), (e-book, 4), once
    // each by webhook-id, every signature verified; nothing from the automation that is off.
    let ran = |got: &[fairtill_testkit::Delivery]| {
        let mut out: Vec<(String, String)> = got
            .iter()
            .filter(|d| d.event() == "automation.ran")
            .map(|d| {
                (
                    d.body["data"]["automation"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    d.body["data"]["order"]["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let mut want = vec![
        ("E-book download".to_string(), order_id(&first)),
        ("E-book download".to_string(), order_id(&second)),
        ("Reader club".to_string(), order_id(&second)),
        ("E-book download".to_string(), order_id(&fourth)),
    ];
    want.sort();
    let got = rx.wait_until(Duration::from_secs(30), |got| ran(got) == want);
    assert_eq!(ran(&got), want);
    for d in got.iter().filter(|d| d.event() == "automation.ran") {
        assert_eq!(d.verified, [true], "standardwebhooks verifies {}", d.id);
    }
    let ids: std::collections::BTreeSet<_> = got
        .iter()
        .filter(|d| d.event() == "automation.ran")
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(ids.len(), 4, "one webhook-id per run");

    // Each run is in its order's history, with what it could not do.
    let o2 = order(order_id(&second)).await;
    let runs = o2["automations"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{o2}");
    let ebook_run = runs
        .iter()
        .find(|r| r["automation"] == "E-book download")
        .unwrap();
    assert!(
        ebook_run["note"]
            .as_str()
            .unwrap()
            .contains("no customer email"),
        "{ebook_run}"
    );
    assert!(ebook_run["webhook_message_id"]
        .as_str()
        .unwrap()
        .starts_with("msg_"));
    let o1 = order(order_id(&first)).await;
    assert_eq!(
        o1["automations"].as_array().unwrap().len(),
        1,
        "once, refund or not: {o1}"
    );
    assert!(o1["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["kind"] == "automation" && m["email"] == "juergen@example.com"));
    assert_eq!(order(order_id(&third)).await["automations"], json!([]));

    // The list counts the orders each ran for; the audit log names who set them.
    let listed = s.api.get_json("/v1/manager/automations", &s.manager).await;
    let runs_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()["runs"]
            .clone()
    };
    assert_eq!(runs_of("E-book download"), 3);
    assert_eq!(runs_of("Reader club"), 1);
    assert_eq!(runs_of("Old promotion"), 0);
    let audit = s
        .api
        .get_json("/v1/manager/audit", &s.manager)
        .await
        .to_string();
    assert!(
        audit.contains("automation_added") && audit.contains("automation_disabled"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automations_on_sqlite() {
    automations(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automations_on_postgres() {
    automations(Kind::Postgres).await;
}
