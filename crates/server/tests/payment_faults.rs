//! Never twice, never lost: a server killed at each step of a charge and of a refund — after it
//! took the job and before it asked the processor, after the processor answered and before the
//! answer was stored, after it was stored — and started again, many times; a scheduled charge
//! made by a server killed at each step; two server processes on one PostgreSQL database racing
//! for the same charges and scheduled charges; a processor that cannot be reached; and the
//! till's connection cut mid-push, at several points, with the push sent again. Each time, the
//! processor (localstripe, which ignores idempotency keys) is asked how many objects name each
//! ledger transaction: exactly one, of the right amount, and the ledger's result is the
//! processor's.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use fairtill_core::customer::{Customer, CustomerProfile, SavedCard};
use fairtill_core::ids::{CustomerId, DeviceId, EventId, TxId};
use fairtill_core::ledger::{
    Command, Fact, PaymentMethod, RefundProgress, RefundStrategy, ResultChange, TxResult,
};
use fairtill_core::Timestamp;
use fairtill_protocol::Record;
use fairtill_testkit::{Localstripe, TEST_KEY};
use serde_json::{json, Value};
use uuid::Uuid;

/// The steps a server is stopped at (`FAIRTILL_TEST_CRASH_AT`).
const STEPS: [&str; 3] = ["claimed", "answered", "recorded"];
/// Kills per step and kind.
const ROUNDS: usize = 3;

fn start(db: &Db, ls: &Localstripe, crash_at: Option<&str>) -> Server {
    start_at(db, &ls.url, crash_at)
}

/// A server whose processor is at `api`.
fn start_at(db: &Db, api: &str, crash_at: Option<&str>) -> Server {
    let mut env = vec![
        ("FAIRTILL_STRIPE_SECRET_KEY", TEST_KEY.to_string()),
        ("FAIRTILL_STRIPE_API", api.to_string()),
        ("FAIRTILL_STRIPE_PUBLISHABLE_KEY", "pk_test_fairtill".into()),
        ("FAIRTILL_PROCESSOR_POLL_SECS", "1".into()),
        ("FAIRTILL_PROCESSOR_LEASE_SECS", "1".into()),
    ];
    if let Some(step) = crash_at {
        env.push(("FAIRTILL_TEST_CRASH_AT", step.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start_with(db, "127.0.0.1:0", Stdio::inherit(), &env)
}

fn api(server: &Server) -> Api {
    Api {
        http: http(),
        url: server.url.clone(),
    }
}

/// Waits for a server told to stop at a step to do so, as a killed process would.
fn stopped(mut server: Server, step: &str) {
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(86), "stopped at {step}: {status}");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server never reached {step}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn saved_card(api: &Api, ls: &Localstripe, token: &str, device: DeviceId) -> SavedCard {
    let customer = CustomerProfile {
        id: CustomerId(Uuid::now_v7()),
        details: Customer {
            name: Some("Ola Nordmann".into()),
            ..Customer::default()
        },
        updated_at: Timestamp::now(),
        device_id: device,
        staff: "ana".into(),
    };
    let id = customer.id;
    api.push(token, &[Record::Customer { customer }]).await;
    let (status, start) = api
        .post(
            &format!("/v1/customers/{id}/card-setups"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{start}");
    let secret = start["client_secret"].as_str().unwrap();
    let setup = start["setup_id"].as_str().unwrap();
    // The processor's card form, as its script posts it.
    let filled = ls.fill_card_form(secret, "4242424242424242").await;
    assert_eq!(filled["status"], "succeeded", "{filled}");
    let (status, card) = api
        .post(
            &format!("/v1/card-setups/{setup}/finish"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    serde_json::from_value(card).unwrap()
}

async fn result_of(api: &Api, token: &str, tx: TxId) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = api
            .get(&format!("/v1/payments/{tx}?wait_ms=2000"), Some(token))
            .await;
        assert_eq!(status, 200, "{body}");
        let p: Value = serde_json::from_str(&body).unwrap();
        if p["state"] == "done" {
            return p;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{tx}: {p}");
    }
}

fn ids(objects: &[Value]) -> Vec<&str> {
    objects.iter().map(|o| o["id"].as_str().unwrap()).collect()
}

fn tx_of(records: &[Record]) -> TxId {
    records
        .iter()
        .rev()
        .find_map(|r| match r {
            Record::Transaction { transaction } => Some(transaction.id),
            _ => None,
        })
        .unwrap()
}

async fn killed_at_every_step(kind: Kind) {
    let ls = Localstripe::start();
    let db = Db::new(kind);
    let code = new_code(&db, "Booth 1");
    let server = start(&db, &ls, None);
    let device = DeviceId(Uuid::now_v7());
    let token = api(&server).enroll(&code, device).await;
    let card = saved_card(&api(&server), &ls, &token, device).await;
    drop(server);
    let method = PaymentMethod::CardOnFile {
        customer: card.customer_id,
        card: card.id.clone(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
    };
    let mut till = common::Till::new(EventId(Uuid::now_v7()));
    till.device = device;

    for step in STEPS {
        for round in 0..ROUNDS {
            // A charge, the server stopped at `step`, then started again.
            let (records, charge) =
                till.sale_with(usd("30.00"), method.clone(), TxResult::Unknown, |_| {});
            let crashing = start(&db, &ls, Some(step));
            api(&crashing).push(&token, &records).await;
            stopped(crashing, step);
            let again = start(&db, &ls, None);
            let p = result_of(&api(&again), &token, charge).await;
            assert_eq!(p["result"], "approved", "charge, {step} #{round}: {p}");
            let made = ls.made_for("/v1/payment_intents", charge).await;
            assert_eq!(made.len(), 1, "charge, {step} #{round}: {:?}", ids(&made));
            assert_eq!(made[0]["amount"], 3000);
            till.ledger
                .apply(Fact::ResultChanged {
                    tx: charge,
                    change: ResultChange {
                        result: TxResult::Approved,
                        at: Timestamp::now(),
                        note: None,
                        expires_at: None,
                    },
                })
                .unwrap();
            drop(again);

            // A refund of part of it, the same way.
            let records = till.run(Command::Refund {
                parent: charge,
                strategy: RefundStrategy::Amount {
                    amount: usd("12.50"),
                },
                progress: RefundProgress::Pending,
                reason: None,
            });
            let refund = tx_of(&records);
            let crashing = start(&db, &ls, Some(step));
            api(&crashing).push(&token, &records).await;
            stopped(crashing, step);
            let again = start(&db, &ls, None);
            let p = result_of(&api(&again), &token, refund).await;
            assert_eq!(p["result"], "approved", "refund, {step} #{round}: {p}");
            let made = ls.made_for("/v1/refunds", refund).await;
            assert_eq!(made.len(), 1, "refund, {step} #{round}: {:?}", ids(&made));
            assert_eq!(made[0]["amount"], 1250);
            drop(again);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_at_each_step_charges_and_refunds_once_on_sqlite() {
    killed_at_every_step(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_at_each_step_charges_and_refunds_once_on_postgres() {
    killed_at_every_step(Kind::Postgres).await;
}

/// Two server processes on one PostgreSQL database, both running their charge runners, with
/// charges pushed to both at once: each charge is made once.
#[tokio::test(flavor = "multi_thread")]
async fn two_server_processes_charge_each_sale_once() {
    let ls = Localstripe::start();
    let db = Db::new(Kind::Postgres);
    let code = new_code(&db, "Booth 1");
    let (one, two) = (start(&db, &ls, None), start(&db, &ls, None));
    let device = DeviceId(Uuid::now_v7());
    let token = api(&one).enroll(&code, device).await;
    let card = saved_card(&api(&one), &ls, &token, device).await;
    let method = PaymentMethod::CardOnFile {
        customer: card.customer_id,
        card: card.id.clone(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
    };
    let mut till = common::Till::new(EventId(Uuid::now_v7()));
    till.device = device;
    let mut charges = Vec::new();
    let mut records = Vec::new();
    for _ in 0..40 {
        let (made, charge) = till.sale_with(usd("5.00"), method.clone(), TxResult::Unknown, |_| {});
        charges.push(charge);
        records.extend(made);
    }
    // Every charge reaches both processes (a till re-sending after a lost answer, through
    // another process behind the load balancer), and both runners wake for them at once.
    let (a, b) = (api(&one), api(&two));
    tokio::join!(a.push(&token, &records), b.push(&token, &records));
    for charge in &charges {
        let p = result_of(&a, &token, *charge).await;
        assert_eq!(p["result"], "approved", "{p}");
        assert_eq!(
            ls.made_for("/v1/payment_intents", *charge).await.len(),
            1,
            "{charge}"
        );
    }
}

/// Schedules the balance of a new order of `price` for now, through `server`; the order.
async fn scheduled_now(
    server: &Server,
    till: &mut common::Till,
    token: &str,
    manager: &str,
    card: &SavedCard,
    price: &str,
) -> fairtill_core::ids::OrderId {
    let (records, order) = till.open_order(price);
    api(server).push(token, &records).await;
    let (status, plan) = api(server)
        .post(
            &format!("/v1/manager/orders/{order}/scheduled-charges"),
            Some(manager),
            json!({ "customer_id": card.customer_id, "charge_at": Timestamp::now() }),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    order
}

/// The one charge the server made for `order`'s schedule, once its answer is in: its
/// transaction and the order's transactions.
async fn charged_once(
    api: &Api,
    manager: &str,
    order: fairtill_core::ids::OrderId,
) -> (String, usize) {
    let started = Instant::now();
    loop {
        let all = api
            .get_json("/v1/manager/scheduled-charges?all=true", manager)
            .await;
        let plan = all
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["order_id"] == order.to_string())
            .cloned()
            .unwrap();
        if plan["result"] == "approved" {
            let view = api
                .get_json(&format!("/v1/manager/orders/{order}"), manager)
                .await;
            let txs = view["view"]["transactions"].as_array().unwrap().len();
            return (plan["transaction_id"].as_str().unwrap().to_string(), txs);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never charged: {plan}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A scheduled charge is made once by a server killed at each step of it and started again:
/// the charge is recorded in the same transaction that marks the schedule charged, and from
/// there it is a job like a till's.
#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_charge_is_made_once_by_a_server_killed_at_each_step() {
    let ls = Localstripe::start();
    let db = Db::new(Kind::Sqlite);
    let code = new_code(&db, "Booth 1");
    cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let server = start(&db, &ls, None);
    let device = DeviceId(Uuid::now_v7());
    let token = api(&server).enroll(&code, device).await;
    let manager = api(&server).login("alex", MANAGER_PASSWORD).await;
    let card = saved_card(&api(&server), &ls, &token, device).await;
    drop(server);
    let mut till = common::Till::new(EventId(Uuid::now_v7()));
    till.device = device;
    for step in STEPS {
        let crashing = start(&db, &ls, Some(step));
        let order = scheduled_now(&crashing, &mut till, &token, &manager, &card, "18.00").await;
        stopped(crashing, step);
        let again = start(&db, &ls, None);
        let (tx, txs) = charged_once(&api(&again), &manager, order).await;
        assert_eq!(txs, 1, "one charge on the order, {step}");
        let made = ls.made_for("/v1/payment_intents", &tx).await;
        assert_eq!(made.len(), 1, "{step}: {:?}", ids(&made));
        assert_eq!(made[0]["amount"], 1800);
        drop(again);
    }
}

/// Two server processes on one PostgreSQL database, both looking for due scheduled charges at
/// once: each schedule is charged once.
#[tokio::test(flavor = "multi_thread")]
async fn two_server_processes_make_each_scheduled_charge_once() {
    let ls = Localstripe::start();
    let db = Db::new(Kind::Postgres);
    let code = new_code(&db, "Booth 1");
    cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let (one, two) = (start(&db, &ls, None), start(&db, &ls, None));
    let device = DeviceId(Uuid::now_v7());
    let token = api(&one).enroll(&code, device).await;
    let manager = api(&one).login("alex", MANAGER_PASSWORD).await;
    let card = saved_card(&api(&one), &ls, &token, device).await;
    let mut till = common::Till::new(EventId(Uuid::now_v7()));
    till.device = device;
    let mut orders = Vec::new();
    for i in 0..20 {
        let server = if i % 2 == 0 { &one } else { &two };
        orders.push(scheduled_now(server, &mut till, &token, &manager, &card, "4.00").await);
    }
    for order in orders {
        let (tx, txs) = charged_once(&api(&two), &manager, order).await;
        assert_eq!(txs, 1, "{order}");
        assert_eq!(
            ls.made_for("/v1/payment_intents", &tx).await.len(),
            1,
            "{order}"
        );
    }
}

/// The processor cannot be reached (nothing listens at its address): the charge waits with the
/// reason, no result is recorded, and once the processor is back it is charged once.
#[tokio::test(flavor = "multi_thread")]
async fn a_processor_that_cannot_be_reached_delays_a_charge_and_records_nothing() {
    let ls = Localstripe::start();
    let db = Db::new(Kind::Sqlite);
    let code = new_code(&db, "Booth 1");
    let server = start(&db, &ls, None);
    let device = DeviceId(Uuid::now_v7());
    let token = api(&server).enroll(&code, device).await;
    let card = saved_card(&api(&server), &ls, &token, device).await;
    drop(server);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = start_at(&db, &nowhere, None);
    let mut till = common::Till::new(EventId(Uuid::now_v7()));
    till.device = device;
    let (records, charge) = till.sale_with(
        usd("18.00"),
        PaymentMethod::CardOnFile {
            customer: card.customer_id,
            card: card.id.clone(),
            brand: card.brand.clone(),
            last4: card.last4.clone(),
        },
        TxResult::Unknown,
        |_| {},
    );
    api(&down).push(&token, &records).await;
    let (status, body) = api(&down)
        .get(&format!("/v1/payments/{charge}?wait_ms=3000"), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let p: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (p["state"].as_str(), p["result"].as_str()),
        (Some("due"), Some("unknown")),
        "{p}"
    );
    assert!(
        p["message"].as_str().unwrap().contains("cannot be reached"),
        "{p}"
    );
    let pulled = api(&down).pull(&token, till.event).await;
    assert!(!pulled
        .iter()
        .any(|r| matches!(r, Record::ResultChange { .. })));
    assert!(ls.made_for("/v1/payment_intents", charge).await.is_empty());
    drop(down);
    let back = start(&db, &ls, None);
    let p = result_of(&api(&back), &token, charge).await;
    assert_eq!(p["result"], "approved", "{p}");
    assert_eq!(ls.made_for("/v1/payment_intents", charge).await.len(), 1);
}

/// The till's connection cut mid-charge: the push is sent whole or in part and the connection
/// dropped before the answer, at several points; the till, hearing nothing, sends it again.
/// Each charge is made once.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_cut_mid_charge_charges_once() {
    use tokio::io::AsyncWriteExt;
    let ls = Localstripe::start();
    let db = Db::new(Kind::Sqlite);
    let code = new_code(&db, "Booth 1");
    let server = start(&db, &ls, None);
    let a = api(&server);
    let device = DeviceId(Uuid::now_v7());
    let token = a.enroll(&code, device).await;
    let card = saved_card(&a, &ls, &token, device).await;
    let method = PaymentMethod::CardOnFile {
        customer: card.customer_id,
        card: card.id.clone(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
    };
    let mut till = common::Till::new(EventId(Uuid::now_v7()));
    till.device = device;
    let address = server.url.trim_start_matches("http://").to_string();
    for cut in 0..8 {
        let (records, charge) =
            till.sale_with(usd("7.00"), method.clone(), TxResult::Unknown, |_| {});
        let body = json!({ "records": records }).to_string();
        let head = format!(
            "POST /v1/push HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
             authorization: Bearer {token}\r\n{}: {}\r\ncontent-length: {}\r\n\r\n",
            fairtill_protocol::API_VERSION_HEADER,
            fairtill_protocol::API_VERSION,
            body.len()
        );
        let mut wire = tokio::net::TcpStream::connect(&address).await.unwrap();
        wire.write_all(head.as_bytes()).await.unwrap();
        // Cut after part of the body, after all of it, or after all of it and a moment.
        let sent = match cut % 3 {
            0 => body.len() / 2,
            _ => body.len(),
        };
        wire.write_all(&body.as_bytes()[..sent]).await.unwrap();
        if cut % 3 == 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(wire);
        // The till heard nothing: it sends the same records again.
        let outcomes = a.push(&token, &records).await;
        assert_eq!(outcomes.len(), 2, "cut {cut}");
        let p = result_of(&a, &token, charge).await;
        assert_eq!(p["result"], "approved", "cut {cut}: {p}");
        assert_eq!(
            ls.made_for("/v1/payment_intents", charge).await.len(),
            1,
            "cut {cut}"
        );
    }
}
