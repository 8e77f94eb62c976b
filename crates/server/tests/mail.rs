//! Customers' messages by mail, through a real SMTP server (aiosmtpd on a loopback port) and a
//! real server process, on both backends: a declined offline charge's notice is queued while the
//! mail server is down, tried with the reason kept, and sent once it is up — once, with the
//! update-your-card link on the server's public address.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::processor::{customer, on_file, progress, save_card, setup_with, Setup};
use common::*;
use fairtill_core::ids::{EventId, OrderId};
use fairtill_core::ledger::TxResult;
use fairtill_protocol::Record;
use fairtill_testkit::Smtp;
use serde_json::Value;

/// The notice of `order`'s follow-up, once `done` holds (within about 20 s).
async fn notice_until(s: &Setup, order: OrderId, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let all = s
            .api
            .get_json("/v1/manager/follow-ups?all=true", &s.manager)
            .await;
        let notice = all
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["order_id"] == order.to_string())
            .and_then(|f| f["notifications"].get(0).cloned());
        if let Some(n) = notice.filter(&done) {
            return n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the notice of {order} never got there: {all:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn mails(kind: Kind) {
    let port = fairtill_testkit::smtp::free_port();
    let port_text = port.to_string();
    let s = setup_with(
        kind,
        &[
            ("FAIRTILL_RETRY_SCHEDULE", "1h"),
            ("FAIRTILL_PUBLIC_URL", "https://pay.example.org"),
            ("FAIRTILL_SMTP_HOST", "127.0.0.1"),
            ("FAIRTILL_SMTP_PORT", &port_text),
            ("FAIRTILL_SMTP_SECURITY", "none"),
            ("FAIRTILL_MAIL_FROM", "Gallery Night <orders@example.org>"),
            ("FAIRTILL_MAIL_RETRY_SECS", "1"),
            ("FAIRTILL_MAIL_POLL_SECS", "1"),
        ],
    )
    .await;
    let mut offline = Till::new(EventId(uuid::Uuid::now_v7()));
    offline.device = s.device;
    let leo = customer(s.device, "Leo Park");
    s.api
        .push(
            &s.token,
            &[Record::Customer {
                customer: leo.clone(),
            }],
        )
        .await;
    let card = save_card(&s, leo.id, "4000000000000341").await;
    let (records, declined) =
        offline.sale_with(usd("42.00"), on_file(&card), TxResult::Unknown, |_| {});
    let order = match &records[0] {
        Record::Order { order } => order.id,
        other => panic!("{other:?}"),
    };
    s.api.push(&s.token, &records).await;
    assert_eq!(progress(&s, declined).await["result"], "declined");

    // The mail server is down: the notice waits, with why.
    let waiting = notice_until(&s, order, |n| n["attempts"].as_u64() >= Some(2)).await;
    assert_eq!(waiting["state"], "queued", "{waiting}");
    assert!(
        waiting["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{waiting}"
    );

    // Up: sent, once.
    let smtp = Smtp::start_on(port);
    let got = smtp.wait_for(1);
    let sent = notice_until(&s, order, |n| n["state"] == "sent").await;
    assert!(sent["sent_at"].is_string());
    assert!(sent["error"].is_null());
    let mail = &got[0];
    assert!(mail.to.contains("leo@example.com"), "{mail:?}");
    assert!(mail.from.contains("orders@example.org"), "{mail:?}");
    assert!(mail.subject.contains("was declined"), "{mail:?}");
    assert!(
        mail.message_id.contains(sent["id"].as_str().unwrap()),
        "{mail:?}"
    );
    assert!(mail.text.contains("Hello Leo Park,"), "{}", mail.text);
    assert!(mail.text.contains("42.00"), "{}", mail.text);
    assert!(
        mail.text.contains("https://pay.example.org/update-card/"),
        "{}",
        mail.text
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.received().len(), 1, "sent once");
}

#[tokio::test]
async fn mails_on_sqlite() {
    mails(Kind::Sqlite).await;
}

#[tokio::test]
async fn mails_on_postgres() {
    mails(Kind::Postgres).await;
}

/// An order's receipt by email from the Manager workspace: to the customer's address, with the
/// seller's details, an HTML part and the receipt as a PDF whose text (read by `pdftotext`)
/// has the lines, discount, tax, payment and refund; shown in the order's message log as sent.
/// A bad address and an order with none are refused with a message; a template that does not
/// render stops the server at start, naming the file and line.
async fn receipts(kind: Kind) {
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
            ("FAIRTILL_SELLER_NAME", "Gallery Night"),
            ("FAIRTILL_SELLER_ADDRESS", "1 Fair Street|10115 Berlin"),
            ("FAIRTILL_SELLER_TAX_ID", "DE123456789"),
            ("FAIRTILL_TIME_ZONE", "Europe/Berlin"),
        ],
    )
    .await;
    let mut till = Till::new(EventId(uuid::Uuid::now_v7()));
    till.device = s.device;
    let (sale, sale_id) = till.sale_with(
        usd("30.00"),
        fairtill_core::ledger::PaymentMethod::Cash,
        TxResult::Approved,
        |d| {
            let mut mug = d.lines[0].clone();
            mug.name = "Blue mug".into();
            mug.sku = "MUG".into();
            mug.quantity = 2;
            mug.discount = Some(fairtill_core::order::Discount {
                value: fairtill_core::order::DiscountValue::Amount {
                    amount: usd("4.00"),
                },
                reason: "second one".into(),
            });
            d.lines.push(mug);
            d.customer = Some(fairtill_core::customer::Customer {
                name: Some("Jürgen Müller".into()),
                email: Some("juergen@example.com".into()),
                ..Default::default()
            });
        },
    );
    let order = match &sale[0] {
        Record::Order { order } => order.clone(),
        other => panic!("{other:?}"),
    };
    s.api.push(&s.token, &sale).await;
    let refund = till.run(fairtill_core::ledger::Command::Refund {
        parent: sale_id,
        strategy: fairtill_core::ledger::RefundStrategy::Amount {
            amount: usd("5.00"),
        },
        progress: fairtill_core::ledger::RefundProgress::Complete,
        reason: Some("chipped".into()),
    });
    s.api.push(&s.token, &refund).await;
    let path = format!("/v1/manager/orders/{}/receipt-emails", order.id);

    // Refused: a bad address; an order with no customer email and none typed.
    let (status, body) = s
        .api
        .post(
            &path,
            Some(&s.manager),
            serde_json::json!({ "email": "juergen at example" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("is not an email address"),
        "{body}"
    );
    let (walk_in, _) = till.sale("5.00", fairtill_core::ledger::PaymentMethod::Cash);
    s.api.push(&s.token, &walk_in).await;
    let walk_in_id = match &walk_in[0] {
        Record::Order { order } => order.id,
        other => panic!("{other:?}"),
    };
    let (status, body) = s
        .api
        .post(
            &format!("/v1/manager/orders/{walk_in_id}/receipt-emails"),
            Some(&s.manager),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no customer email"),
        "{body}"
    );

    let (status, queued) = s
        .api
        .post(&path, Some(&s.manager), serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{queued}");
    assert_eq!(queued["kind"], "receipt");
    assert_eq!(queued["email"], "juergen@example.com");
    assert_eq!(queued["requested_by"], "alex");
    let got = smtp.wait_for(1);
    let mail = &got[0];
    assert!(mail.to.contains("juergen@example.com"), "{mail:?}");
    assert_eq!(
        mail.subject,
        format!("Your receipt {} from Gallery Night", order.receipt)
    );
    assert!(mail.text.contains("Hello Jürgen Müller,"), "{}", mail.text);
    assert!(mail.text.contains("Total: 86.00 USD"), "{}", mail.text);
    // The receipt's time is the seller's (FAIRTILL_TIME_ZONE), not UTC.
    let local = order
        .created_at
        .to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    assert!(
        mail.text.contains(&format!("of {local} is attached")),
        "{local}: {}",
        mail.text
    );
    let html = mail.html.as_deref().unwrap();
    assert!(html.contains("<strong>86.00 USD</strong>"), "{html}");
    assert_eq!(mail.attachments.len(), 1, "{mail:?}");
    let (name, pdf) = &mail.attachments[0];
    assert_eq!(name, &format!("receipt-{}.pdf", order.receipt));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("receipt.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/setup-system.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for words in [
        "Gallery Night",
        "1 Fair Street",
        "10115 Berlin",
        "Tax number: DE123456789",
        &format!("Receipt {}", order.receipt),
        "Customer: Jürgen Müller",
        "Print",
        "Blue mug",
        "Discount 4.00 USD",
        "Subtotal",
        "90.00 USD",
        "86.00 USD",
        "Payments",
        "Cash",
        "Refunds",
        "5.00 USD",
        "Status: partly refunded",
    ] {
        assert!(text.contains(words), "{words:?} is not in the PDF:\n{text}");
    }

    // The order's message log says it was sent.
    let started = Instant::now();
    loop {
        let o = s
            .api
            .get_json(&format!("/v1/manager/orders/{}", order.id), &s.manager)
            .await;
        let m = &o["messages"][0];
        if m["state"] == "sent" {
            assert_eq!(m["attachment_name"], name.as_str());
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{o:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A till asks for the receipt by email (recorded offline, pushed when it syncs): the
    // server renders it from the order it has and sends it.
    let request = |order_id, email: &str| Record::ReceiptEmail {
        request: fairtill_core::receipt::ReceiptEmail {
            id: uuid::Uuid::now_v7(),
            order_id,
            email: email.into(),
            requested_at: fairtill_core::Timestamp::now(),
            device_id: s.device,
            staff: "ana".into(),
        },
    };
    let pushed = s
        .api
        .push(&s.token, &[request(order.id, "leo@example.com")])
        .await;
    assert!(
        matches!(pushed[0], fairtill_protocol::PushOutcome::Stored),
        "{pushed:?}"
    );
    let got = smtp.wait_for(2);
    let from_till = got
        .iter()
        .find(|m| m.to.contains("leo@example.com"))
        .unwrap();
    assert_eq!(
        from_till.subject,
        format!("Your receipt {} from Gallery Night", order.receipt)
    );
    assert_eq!(from_till.attachments.len(), 1);
    let o = s
        .api
        .get_json(&format!("/v1/manager/orders/{}", order.id), &s.manager)
        .await;
    assert_eq!(o["messages"][1]["requested_by"], "ana at a till", "{o:#}");
    // A request that is not an address is refused; one for an order the server does not have
    // is kept, failed, with why.
    let pushed = s
        .api
        .push(&s.token, &[request(order.id, "leo at example")])
        .await;
    assert!(
        matches!(&pushed[0], fairtill_protocol::PushOutcome::Invalid { reason } if reason.contains("not an email address")),
        "{pushed:?}"
    );
    let unknown = fairtill_core::ids::OrderId(uuid::Uuid::now_v7());
    let pushed = s
        .api
        .push(&s.token, &[request(unknown, "leo@example.com")])
        .await;
    assert!(
        matches!(pushed[0], fairtill_protocol::PushOutcome::Stored),
        "{pushed:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        smtp.received().len(),
        2,
        "nothing sent for an order the server lacks"
    );

    // A template that does not render stops the server at start, saying where.
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("receipt.html"),
        "<p>{{ receipt.seller.name }}</p>\n<p>{{ receipt.totl }}</p>\n",
    )
    .unwrap();
    let db = Db::new(Kind::Sqlite);
    let out = std::process::Command::new(fairtill_testkit::server_bin())
        .arg("--database")
        .arg(&db.spec)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("FAIRTILL_MAIL_TEMPLATES", templates.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("receipt.html:2") && said.contains("totl"),
        "{said}"
    );
    // So does a time zone the machine does not know.
    let out = std::process::Command::new(fairtill_testkit::server_bin())
        .arg("--database")
        .arg(&db.spec)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("FAIRTILL_TIME_ZONE", "Europe/Atlantis")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("\"Europe/Atlantis\" is not a time zone"),
        "{said}"
    );
}

#[tokio::test]
async fn receipts_by_email_on_sqlite() {
    receipts(Kind::Sqlite).await;
}

#[tokio::test]
async fn receipts_by_email_on_postgres() {
    receipts(Kind::Postgres).await;
}
