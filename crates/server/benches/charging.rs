//! Charging cards on file, against a real `fairtill-server` release process and localstripe,
//! beside the processor's own round trip in the same run:
//!
//! 1. **Bare processor round trip**: a PaymentIntent created and confirmed straight at
//!    localstripe (what the server's one request costs).
//! 2. **Charge on file, online**: a till's push of the order and its charge, then the server's
//!    answer (`GET /v1/payments/{tx}?wait_ms=`), as the till does from Enter to the receipt.
//! 3. **A sync that brings 1,000 offline charges**: pushed in batches, then every one followed to
//!    its answer; the rate achieved beside the rate limit the server was given, and a count at
//!    the processor that each charge was made exactly once.
//!
//! `cargo bench -p fairtill-server --bench charging [-- --quick] [-- --rate N]` (`--quick`: 200
//! offline charges; `--rate`: requests a second the server may send, default 25, Stripe's
//! test-mode limit). Needs localstripe on `PATH` (scripts/test.sh installs it in a venv).

// Benchmarks count and time with plain casts (percentiles of timings).
#![allow(clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

mod support;

use std::process::Stdio;
use std::time::Instant;

use fairtill_core::customer::{Customer, CustomerProfile, SavedCard};
use fairtill_core::ids::{CustomerId, DeviceId, TxId};
use fairtill_core::ledger::{PaymentMethod, TxResult};
use fairtill_core::Timestamp;
use fairtill_protocol::{Record, API_VERSION_HEADER};
use fairtill_testkit::{Db, Kind, Localstripe, Server, TEST_KEY};
use serde_json::{json, Value};
use uuid::Uuid;

const ONLINE: usize = 30;

struct Till {
    api: support::Api,
    token: String,
    device: DeviceId,
}

impl Till {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.api.post(path, &self.token, body).await
    }

    async fn progress(&self, tx: TxId, wait_ms: u64) -> Value {
        self.api
            .get_json(&format!("/v1/payments/{tx}?wait_ms={wait_ms}"), &self.token)
            .await
    }
}

/// An order of one 10.00 line and a charge of it to `card`, as a till records them.
fn sale(till: &Till, n: usize, customer: CustomerId, card: &SavedCard) -> (Vec<Record>, TxId) {
    let method = PaymentMethod::CardOnFile {
        customer,
        card: card.id.clone(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
    };
    let (records, _, tx) = support::sale_paid_by(till.device, n, method, TxResult::Unknown);
    (records, tx)
}

fn summary(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (support::percentile(&ms, 0.5), support::percentile(&ms, 0.9))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let rate: u32 = args
        .iter()
        .position(|a| a == "--rate")
        .and_then(|i| args.get(i + 1))
        .map_or(25, |r| r.parse().unwrap());
    let offline = if quick { 200 } else { 1000 };
    let _ = rustls::crypto::ring::default_provider().install_default();

    let ls = Localstripe::start();
    let db = Db::new(Kind::Sqlite);
    let code = db.new_code("Bench till");
    let rate_text = rate.to_string();
    let server = Server::start_with(
        &db,
        "127.0.0.1:0",
        Stdio::inherit(),
        &[
            ("FAIRTILL_STRIPE_SECRET_KEY", TEST_KEY),
            ("FAIRTILL_STRIPE_API", &ls.url),
            ("FAIRTILL_STRIPE_PUBLISHABLE_KEY", "pk_test_bench"),
            ("FAIRTILL_STRIPE_RATE", &rate_text),
        ],
    );
    let http = reqwest::Client::new();
    let device = DeviceId(Uuid::now_v7());
    let enrolled: Value = http
        .post(format!("{}/v1/enroll", server.url))
        .header(
            API_VERSION_HEADER,
            fairtill_protocol::API_VERSION.to_string(),
        )
        .json(&json!({ "code": code, "device_id": device, "device_code": "B1" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let till = Till {
        api: support::Api {
            http: http.clone(),
            url: server.url.clone(),
        },
        token: enrolled["token"].as_str().unwrap().to_string(),
        device,
    };

    // A customer with a saved card, through the card setup (the test plays the card form).
    let customer = CustomerId(Uuid::now_v7());
    let profile = CustomerProfile {
        id: customer,
        details: Customer {
            name: Some("Bench Customer".into()),
            ..Customer::default()
        },
        updated_at: Timestamp::now(),
        device_id: device,
        staff: "ana".into(),
    };
    till.post(
        "/v1/push",
        json!({ "records": [Record::Customer { customer: profile }] }),
    )
    .await;
    let setup = till
        .post(&format!("/v1/customers/{customer}/card-setups"), json!({}))
        .await;
    let secret = setup["client_secret"].as_str().unwrap();
    let id = setup["setup_id"].as_str().unwrap();
    ls.fill_card_form(secret, "4242424242424242").await;
    let card: SavedCard = serde_json::from_value(
        till.post(&format!("/v1/card-setups/{id}/finish"), json!({}))
            .await,
    )
    .unwrap();
    let processor_customer = ls.get(&format!("/v1/payment_methods/{}", card.id)).await;
    let processor_customer = processor_customer["customer"].as_str().unwrap().to_string();

    // 1. The processor's own round trip.
    let mut bare = Vec::new();
    for _ in 0..ONLINE {
        let started = Instant::now();
        let res = http
            .post(format!("{}/v1/payment_intents", ls.url))
            .bearer_auth(TEST_KEY)
            .form(&[
                ("amount", "1000"),
                ("currency", "usd"),
                ("customer", processor_customer.as_str()),
                ("payment_method", card.id.as_str()),
                ("confirm", "true"),
                ("off_session", "true"),
            ])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let _ = res.bytes().await.unwrap();
        bare.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    // 2. A charge on file, online: push, then the answer. A till charges one customer at a
    // time: the charges are spaced wider than the rate limit's gap, so no charge waits for
    // another's slot and what is timed is the server's own work.
    let mut online = Vec::new();
    for n in 0..ONLINE {
        tokio::time::sleep(std::time::Duration::from_millis(
            2000 / u64::from(rate.max(1)) + 50,
        ))
        .await;
        let (records, tx) = sale(&till, n, customer, &card);
        let started = Instant::now();
        till.post("/v1/push", json!({ "records": records })).await;
        let answer = till.progress(tx, 10_000).await;
        online.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(answer["result"], "approved", "{answer}");
    }

    // 3. A sync that brings `offline` charges at once.
    let mut records = Vec::new();
    let mut txs = Vec::new();
    for n in 0..offline {
        let (r, tx) = sale(&till, ONLINE + n, customer, &card);
        records.extend(r);
        txs.push(tx);
    }
    let started = Instant::now();
    for batch in records.chunks(fairtill_protocol::MAX_BATCH) {
        till.post("/v1/push", json!({ "records": batch })).await;
    }
    for tx in &txs {
        loop {
            let answer = till.progress(*tx, 10_000).await;
            if answer["state"] == "done" {
                assert_eq!(answer["result"], "approved", "{answer}");
                break;
            }
        }
    }
    let all_sent = started.elapsed();

    // Exactly once, counted at the processor.
    let mut made = std::collections::HashMap::<String, usize>::new();
    for pi in ls.all("/v1/payment_intents").await {
        if let Some(t) = pi["metadata"]["fairtill_tx"].as_str() {
            *made.entry(t.to_string()).or_default() += 1;
        }
    }
    let once = txs
        .iter()
        .filter(|t| made.get(&t.to_string()) == Some(&1))
        .count();
    drop(server);

    let (bare50, bare90) = summary(bare);
    let (on50, on90) = summary(online);
    let achieved = offline as f64 / all_sent.as_secs_f64();
    println!("charging (SQLite server, localstripe; rate limit {rate}/s)");
    println!("| | p50 | p90 |");
    println!("|---|---|---|");
    println!("| bare processor round trip (create + confirm) | {bare50:.1} ms | {bare90:.1} ms |");
    println!(
        "| charge on file, online: push → answer | {on50:.1} ms | {on90:.1} ms | (+{:.1} ms over the processor)",
        on50 - bare50
    );
    println!(
        "{offline} offline charges in one sync: all answered in {:.1} s = {achieved:.1} charges/s against a limit of {rate} requests/s; made exactly once: {once}/{offline}",
        all_sent.as_secs_f64()
    );
    assert_eq!(once, offline, "a charge was made twice or not at all");
}
