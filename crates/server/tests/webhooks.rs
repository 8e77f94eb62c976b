//! Webhooks to other systems, through a real server process, real localstripe and a real HTTP
//! receiver that checks every signature with the Standard Webhooks project's Python library, on
//! both backends: what a manager registers (and what is refused), which events are sent and
//! with what, retries after an error and after no answer, deduplication by `webhook-id`, a
//! secret rotation signed with both secrets, an endpoint that answers 410, turning it on again,
//! and "send again".
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::processor::{customer, on_file, progress, save_card, setup_with, Setup};
use common::*;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use fairtill_protocol::Record;
use fairtill_testkit::{Delivery, WebhookReceiver};
use serde_json::{json, Value};

const ALL_EVENTS: [&str; 8] = [
    "sale.recorded",
    "payment.approved",
    "payment.declined",
    "refund.completed",
    "order.written_off",
    "conflict.raised",
    "follow_up.started",
    "follow_up.ended",
];

async fn patch(s: &Setup, path: &str, body: Value) -> (u16, Value) {
    s.api.patch(path, &s.manager, body).await
}

async fn register(s: &Setup, url: &str, events: &[&str]) -> (u16, Value) {
    s.api
        .post(
            "/v1/manager/webhooks",
            Some(&s.manager),
            json!({ "url": url, "description": "Fulfilment", "events": events }),
        )
        .await
}

async fn deliveries(s: &Setup, endpoint: &str) -> Vec<Value> {
    s.api
        .get_json(
            &format!("/v1/manager/webhooks/{endpoint}/deliveries"),
            &s.manager,
        )
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// Deliveries by `webhook-id`, each with how many times it arrived.
fn by_id(got: &[Delivery]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for d in got {
        *out.entry(d.id.clone()).or_insert(0) += 1;
    }
    out
}

/// The events of the distinct deliveries, as (type, subject id) pairs.
fn events(got: &[Delivery]) -> BTreeSet<(String, String)> {
    got.iter()
        .map(|d| {
            let data = &d.body["data"];
            let subject = data["id"]
                .as_str()
                .or_else(|| data["transaction"]["id"].as_str())
                .unwrap_or_default()
                .to_string();
            (d.event().to_string(), subject)
        })
        .collect()
}

async fn webhooks(kind: Kind) {
    let s = setup_with(
        kind,
        &[
            ("FAIRTILL_WEBHOOK_RETRY_SCHEDULE", "1s,1s,1s"),
            ("FAIRTILL_WEBHOOK_TIMEOUT_SECS", "2"),
        ],
    )
    .await;
    let rx = WebhookReceiver::start();

    // What is refused, each with a message that says why.
    let refused = [
        (
            json!({ "url": "http://example.org/hooks", "events": ["sale.recorded"] }),
            "HTTPS",
        ),
        (
            json!({ "url": format!("http://127.0.0.1:{}/hooks", fairtill_testkit::smtp::free_port()), "events": ["sale.recorded"] }),
            "cannot be reached",
        ),
        (
            json!({ "url": "ftp://127.0.0.1/hooks", "events": ["sale.recorded"] }),
            "https://",
        ),
        (
            json!({ "url": "not a url", "events": ["sale.recorded"] }),
            "not a web address",
        ),
        (
            json!({ "url": rx.url("/hooks"), "events": [] }),
            "at least one event",
        ),
        (
            json!({ "url": rx.url("/hooks"), "events": ["sale.recorded"], "secret": "hunter2" }),
            "whsec_",
        ),
    ];
    for (body, says) in refused {
        let (status, answer) = s
            .api
            .post("/v1/manager/webhooks", Some(&s.manager), body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    let (status, answer) = s
        .api
        .post(
            "/v1/manager/webhooks",
            Some(&s.manager),
            json!({ "url": rx.url("/hooks"), "events": ["sale.made"] }),
        )
        .await;
    assert_eq!(status, 400, "an unknown event: {answer}");
    let (status, _) = s
        .api
        .post(
            "/v1/manager/webhooks",
            None,
            json!({ "url": rx.url("/hooks"), "events": ["sale.recorded"] }),
        )
        .await;
    assert_eq!(status, 401, "only managers register endpoints");

    let (status, made) = register(&s, &rx.url("/hooks"), &ALL_EVENTS).await;
    assert_eq!(status, 200, "{made}");
    let endpoint = made["endpoint"]["id"].as_str().unwrap().to_string();
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{made}");
    assert_eq!(made["endpoint"]["enabled"], true);
    let listed = s.api.get_json("/v1/manager/webhooks", &s.manager).await;
    assert_eq!(listed[0]["id"], endpoint.as_str());
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown only when it is made: {listed}"
    );
    rx.trust(&secret);

    // The first delivery is answered 500, the second not within the timeout: both are tried
    // again, with the same webhook-id.
    rx.plan(&[(500, 0.0), (200, 4.0)]);
    let mut till = Till::new(EventId(uuid::Uuid::now_v7()));
    till.device = s.device;
    let (cash, cash_sale) = till.sale("25.00", PaymentMethod::Cash);
    s.api.push(&s.token, &cash).await;
    // A re-push is "already had": no second event.
    s.api.push(&s.token, &cash).await;
    let refund = till.run(Command::Refund {
        parent: cash_sale,
        strategy: RefundStrategy::Amount {
            amount: usd("5.00"),
        },
        progress: RefundProgress::Complete,
        reason: Some("chipped".into()),
    });
    s.api.push(&s.token, &refund).await;
    // A card on file, approved by the processor, and one it declines.
    let leo = customer(s.device, "Leo Park");
    s.api
        .push(
            &s.token,
            &[Record::Customer {
                customer: leo.clone(),
            }],
        )
        .await;
    let good = save_card(&s, leo.id, "4242424242424242").await;
    let bad = save_card(&s, leo.id, "4000000000000341").await;
    let (charged, charge) = till.sale_with(usd("42.00"), on_file(&good), TxResult::Unknown, |_| {});
    s.api.push(&s.token, &charged).await;
    assert_eq!(progress(&s, charge).await["result"], "approved");
    let (refused_card, decline) =
        till.sale_with(usd("13.00"), on_file(&bad), TxResult::Unknown, |_| {});
    s.api.push(&s.token, &refused_card).await;
    assert_eq!(progress(&s, decline).await["result"], "declined");

    let order_of = |records: &[Record]| match &records[0] {
        Record::Order { order } => order.id.to_string(),
        other => panic!("{other:?}"),
    };
    let refund_id = match &refund[0] {
        Record::Transaction { transaction } => transaction.id.to_string(),
        other => panic!("{other:?}"),
    };
    // The decline reached the server long after the till recorded it (the test till's clock is
    // in the past): a charge taken offline, so its follow-up starts.
    let follow_ups = s.api.get_json("/v1/manager/follow-ups", &s.manager).await;
    let follow_up = follow_ups
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["order_id"] == order_of(&refused_card).as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let expected: BTreeSet<(String, String)> = [
        ("follow_up.started", follow_up),
        ("sale.recorded", order_of(&cash)),
        ("payment.approved", cash_sale.to_string()),
        ("refund.completed", refund_id),
        ("sale.recorded", order_of(&charged)),
        ("payment.approved", charge.to_string()),
        ("sale.recorded", order_of(&refused_card)),
        ("payment.declined", decline.to_string()),
    ]
    .into_iter()
    .map(|(e, id)| (e.to_string(), id))
    .collect();
    // Every event arrives; the server says each was delivered, once per event.
    let got = rx.wait_until(Duration::from_secs(30), |got| events(got) == expected);
    let seen = loop {
        let seen = deliveries(&s, &endpoint).await;
        if seen.len() == expected.len() && seen.iter().all(|d| d["state"] == "delivered") {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let got = rx.wait_until(Duration::from_secs(5), |g| g.len() >= got.len());
    assert_eq!(
        by_id(&got).len(),
        expected.len(),
        "one webhook-id per event"
    );
    for d in &got {
        assert_eq!(d.verified, [true], "standardwebhooks verifies {}", d.id);
        assert!(d.id.starts_with("msg_"), "{}", d.id);
        assert!(d.signature.starts_with("v1,"), "{}", d.signature);
        assert!(d.body["timestamp"].is_string(), "{}", d.body);
    }
    // The 500 and the one that timed out were tried again under the same id (the receiver
    // saw the one it was too slow to answer twice: its id check absorbs that).
    let counts = by_id(&got);
    let first = &got[0];
    assert_eq!(first.answered, 500);
    assert_eq!(counts[&first.id], 2, "{counts:?}");
    let hung = &got[1];
    assert_eq!(
        counts[&hung.id], 2,
        "the timed-out delivery was sent again: {counts:?}"
    );
    let delivered: Vec<&Delivery> = got.iter().collect();
    // The sale's body is the order; the payment's, the transaction and its result.
    let cash_order = delivered
        .iter()
        .find(|d| d.event() == "sale.recorded" && d.body["data"]["id"] == order_of(&cash))
        .unwrap();
    assert_eq!(
        cash_order.body["data"]["receipt"],
        json!(match &cash[0] {
            Record::Order { order } => order.receipt.clone(),
            _ => unreachable!(),
        })
    );
    let declined = delivered
        .iter()
        .find(|d| d.event() == "payment.declined")
        .unwrap();
    assert_eq!(declined.body["data"]["result"], "declined");
    assert_eq!(
        declined.body["data"]["transaction"]["amount"],
        json!({ "amount": "13.00", "currency": "USD" })
    );

    // The manager sees every attempt: the 500, the timeout, then the 2xx.
    let by_message = |id: &str| seen.iter().find(|d| d["message_id"] == id).unwrap().clone();
    let failed_first = by_message(&first.id);
    assert_eq!(failed_first["state"], "delivered", "{failed_first:#}");
    assert_eq!(failed_first["attempts"][0]["status"], 500);
    assert_eq!(failed_first["attempts"][0]["error"], "answered 500");
    assert_eq!(failed_first["attempts"][1]["status"], 200);
    let timed_out = by_message(&hung.id);
    assert!(
        timed_out["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("no answer within 2"),
        "{timed_out:#}"
    );
    assert_eq!(timed_out["attempts"][1]["status"], 200);

    // A rotation: for a day, every delivery carries a signature by each secret.
    let (status, rotated) = s
        .api
        .post(
            &format!("/v1/manager/webhooks/{endpoint}/rotate-secret"),
            Some(&s.manager),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert!(rotated["endpoint"]["previous_secret_until"].is_string());
    rx.trust(&new_secret);
    let before = got.len();
    let (next, _) = till.sale("7.00", PaymentMethod::Cash);
    s.api.push(&s.token, &next).await;
    let got = rx.wait_until(Duration::from_secs(20), |g| g.len() >= before + 2);
    for d in &got[before..] {
        assert_eq!(
            d.verified,
            [true, true],
            "both secrets verify: {}",
            d.signature
        );
        assert_eq!(d.signature.split(' ').count(), 2);
    }

    // "Send again": the same id once more.
    let again = &got[before].id;
    let delivery_id = deliveries(&s, &endpoint)
        .await
        .iter()
        .find(|d| d["message_id"] == again.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, resent) = s
        .api
        .post(
            &format!("/v1/manager/webhook-deliveries/{delivery_id}/resend"),
            Some(&s.manager),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{resent}");
    let got = rx.wait_until(Duration::from_secs(20), |g| by_id(g)[again] == 2);
    let before = got.len();

    // 410 Gone turns the endpoint off; what happens meanwhile waits, stopped; turned on
    // again, it is sent.
    rx.plan(&[(410, 0.0)]);
    let (gone, _) = till.sale("3.00", PaymentMethod::Cash);
    s.api.push(&s.token, &gone).await;
    rx.wait_until(Duration::from_secs(20), |g| g.len() > before);
    let off = loop {
        let list = s.api.get_json("/v1/manager/webhooks", &s.manager).await;
        if list[0]["enabled"] == false {
            break list[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        off["disabled_reason"].as_str().unwrap().contains("410"),
        "{off}"
    );
    let arrived = rx.received().len();
    let (while_off, _) = till.sale("4.00", PaymentMethod::Cash);
    s.api.push(&s.token, &while_off).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        rx.received().len(),
        arrived,
        "nothing is sent to an endpoint that is off"
    );
    let off = &s.api.get_json("/v1/manager/webhooks", &s.manager).await[0];
    assert_eq!(
        off["stopped"], 3,
        "the one answered 410 and the two while off: {off}"
    );
    let (status, on) = patch(
        &s,
        &format!("/v1/manager/webhooks/{endpoint}"),
        json!({ "enabled": true }),
    )
    .await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(on["enabled"], true);
    let got = rx.wait_until(Duration::from_secs(20), |g| {
        let ok: Vec<Delivery> = g.iter().filter(|d| d.answered == 200).cloned().collect();
        events(&ok).contains(&("sale.recorded".to_string(), order_of(&while_off)))
            && events(&ok).contains(&("sale.recorded".to_string(), order_of(&gone)))
    });
    assert!(got.iter().all(|d| d.verified.iter().any(|v| *v)));

    // A manager's changes are in the audit log.
    let audit = s.api.get_json("/v1/manager/audit", &s.manager).await;
    for action in [
        "webhook_added",
        "webhook_secret_rotated",
        "webhook_sent_again",
        "webhook_changed",
    ] {
        assert!(audit.to_string().contains(action), "{action}: {audit}");
    }
}

#[tokio::test]
async fn webhooks_on_sqlite() {
    webhooks(Kind::Sqlite).await;
}

#[tokio::test]
async fn webhooks_on_postgres() {
    webhooks(Kind::Postgres).await;
}

/// A server process of its own on `db`, so a test can kill it and start another.
fn start(db: &Db) -> (Server, Api) {
    let server = Server::start_with(
        db,
        "127.0.0.1:0",
        std::process::Stdio::inherit(),
        &[
            // Enough quick retries to outlast a receiver that is down for a few seconds.
            ("FAIRTILL_WEBHOOK_RETRY_SCHEDULE", &["1s"; 30].join(",")),
            ("FAIRTILL_WEBHOOK_TIMEOUT_SECS", "2"),
        ],
    );
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };
    (server, api)
}

/// A receiver down for a while and back: every event delivered, each once. The server killed
/// while a delivery is on its way: the next process sends it again after the lease, so it
/// arrives at most twice under one id, and nothing is lost.
async fn faults(kind: Kind) {
    let db = Db::new(kind);
    let code = new_code(&db, "Booth 1");
    cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let (mut server, api) = start(&db);
    let mut till = Till::new(EventId(uuid::Uuid::now_v7()));
    let token = api.enroll(&code, till.device).await;
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    let mut rx = WebhookReceiver::start();
    let (status, made) = api
        .post(
            "/v1/manager/webhooks",
            Some(&manager),
            json!({ "url": rx.url("/orders"), "events": ["sale.recorded"] }),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    rx.trust(made["secret"].as_str().unwrap());
    let endpoint = made["endpoint"]["id"].as_str().unwrap().to_string();

    rx.stop();
    for i in 0..20 {
        let (sale, _) = till.sale(&format!("{}.00", i + 1), PaymentMethod::Cash);
        api.push(&token, &sale).await;
    }
    // Every delivery is tried and fails while the receiver is down.
    loop {
        let seen = api
            .get_json(
                &format!("/v1/manager/webhooks/{endpoint}/deliveries"),
                &manager,
            )
            .await;
        let seen = seen.as_array().unwrap();
        if seen.len() == 20
            && seen.iter().all(|d| {
                d["attempts"][0]["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("could not connect"))
            })
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    rx.resume();
    let got = rx.wait_until(Duration::from_secs(30), |g| by_id(g).len() == 20);
    assert_eq!(got.len(), 20, "each exactly once: {:?}", by_id(&got));
    assert!(got.iter().all(|d| d.verified == [true]));

    // Killed mid-delivery.
    rx.plan(&[(200, 8.0)]);
    let (sale, _) = till.sale("99.00", PaymentMethod::Cash);
    api.push(&token, &sale).await;
    let got = rx.wait_until(Duration::from_secs(20), |g| g.len() == 21);
    let in_flight = got[20].id.clone();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let (_server, api) = start(&db);
    let got = rx.wait_until(Duration::from_secs(30), |g| by_id(g)[&in_flight] == 2);
    let counts = by_id(&got);
    assert_eq!(counts.len(), 21, "nothing lost");
    assert!(
        counts
            .iter()
            .all(|(id, n)| *n == 1 || (id == &in_flight && *n == 2)),
        "at most one duplicate, of the one in flight: {counts:?}"
    );
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    loop {
        let seen = api
            .get_json(
                &format!("/v1/manager/webhooks/{endpoint}/deliveries"),
                &manager,
            )
            .await;
        if seen
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "delivered")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn webhook_faults_on_sqlite() {
    faults(Kind::Sqlite).await;
}

#[tokio::test]
async fn webhook_faults_on_postgres() {
    faults(Kind::Postgres).await;
}
