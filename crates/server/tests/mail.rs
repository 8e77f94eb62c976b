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
