//! Recording a sale on the server with automations configured, beside the limits in the same
//! run: a bare durable insert of the same two record bodies (a file-backed SQLite in WAL with
//! `synchronous=FULL`, one transaction a sale, as the push commits) and a bare HTTP round trip
//! to the same server (a refused request).
//!
//! 1. A till pushes one sale at a time (an order and its cash payment, the live case: each push
//!    one commit), 500 times, with no automation.
//! 2. Twenty automations are added (nineteen for other products, and one for the sold product
//!    that emails the customer and calls a webhook endpoint that is turned off, so its deliveries
//!    are written, stopped, and nothing goes on the network), and 500 more sales are pushed:
//!    every one runs an automation in its commit.
//!
//! On the till, recording a sale does nothing for automations (they run on the server after
//! sync): its own benchmark (`cargo bench --bench till`) is the till's figure.
//!
//! `cargo bench -p fairtill-server --bench automations [-- --quick]` (`--quick`: 100 sales).

#![allow(clippy::unwrap_used, missing_docs)]
#![allow(clippy::cast_precision_loss)]

mod support;

use std::time::{Duration, Instant};

use fairtill_protocol::{Record, API_VERSION_HEADER};
use serde_json::json;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (support::percentile(&v, 0.5), support::percentile(&v, 0.99))
}

/// The same bodies, inserted and committed durably, one sale a transaction.
fn bare_inserts(sales: &[Vec<Record>]) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("bare.db")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE records (record_type TEXT NOT NULL, record_id TEXT NOT NULL, body TEXT NOT NULL,
                               PRIMARY KEY (record_type, record_id));",
    )
    .unwrap();
    let mut out = Vec::with_capacity(sales.len());
    for sale in sales {
        let started = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for r in sale {
            let key = r.key();
            conn.execute(
                "INSERT INTO records (record_type, record_id, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![
                    format!("{:?}", key.record_type),
                    key.id,
                    serde_json::to_string(r).unwrap()
                ],
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        out.push(ms(started.elapsed()));
    }
    out
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 100 } else { 500 };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let b = support::start().await;

    // The limits: the bare insert of the same bodies, and the bare round trip.
    let sales: Vec<Vec<Record>> = (0..2 * n).map(|i| support::sale(b.device, i).0).collect();
    let bare = summary(bare_inserts(&sales[..n]));
    let mut trips = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let res = b
            .api
            .http
            .get(format!("{}/v1/status", b.api.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let _ = res.bytes().await.unwrap();
        trips.push(ms(started.elapsed()));
    }
    let trip = summary(trips);

    let push_each = |from: usize| {
        let (api, token, sales) = (&b.api, &b.token, &sales);
        async move {
            let mut out = Vec::with_capacity(n);
            for sale in &sales[from..from + n] {
                let started = Instant::now();
                api.post("/v1/push", token, json!({ "records": sale }))
                    .await;
                out.push(ms(started.elapsed()));
            }
            out
        }
    };
    // 1. No automation.
    let plain = summary(push_each(0).await);

    // 2. Twenty automations; every sale runs one (an email queued, a webhook written, stopped).
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = receiver.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route("/hooks", axum::routing::post(|| async { "ok" }));
        axum::serve(receiver, app).await.unwrap();
    });
    let made = b
        .api
        .post(
            "/v1/manager/webhooks",
            &b.manager,
            json!({ "url": format!("http://{addr}/hooks"), "events": ["sale.recorded"] }),
        )
        .await;
    let endpoint = made["endpoint"]["id"].as_str().unwrap().to_string();
    let off = b
        .api
        .http
        .patch(format!("{}/v1/manager/webhooks/{endpoint}", b.api.url))
        .header(
            API_VERSION_HEADER,
            fairtill_protocol::API_VERSION.to_string(),
        )
        .bearer_auth(&b.manager)
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert!(off.status().is_success());
    for i in 0..20 {
        let sku = if i == 19 {
            "PRINT".to_string()
        } else {
            format!("OTHER{i}")
        };
        b.api
            .post(
                "/v1/manager/automations",
                &b.manager,
                json!({
                    "name": format!("Automation {i}"),
                    "trigger": { "type": "product", "sku": sku },
                    "email": { "subject": "Your {{ automation }}", "body": "Hello {{ customer_name }}, receipt {{ receipt }}." },
                    "webhook_endpoint_id": endpoint,
                }),
            )
            .await;
    }
    let with = summary(push_each(n).await);
    let listed = b.api.get_json("/v1/manager/automations", &b.manager).await;
    let ran: u64 = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["runs"].as_u64().unwrap())
        .sum();
    assert_eq!(ran, n as u64, "every sale with automations ran one");

    println!("record one sale on the server (a push of its order and payment), n={n}:");
    println!("| what | p50 | p99 |");
    println!("|---|---|---|");
    println!("| bare durable insert of the same two bodies (WAL, synchronous=FULL, one commit) | {:.2} ms | {:.2} ms |", bare.0, bare.1);
    println!(
        "| bare HTTP round trip to the server (a refused request) | {:.2} ms | {:.2} ms |",
        trip.0, trip.1
    );
    println!(
        "| push, no automation | {:.2} ms | {:.2} ms |",
        plain.0, plain.1
    );
    println!(
        "| push, 20 automations (one runs: email queued, webhook written) | {:.2} ms | {:.2} ms |",
        with.0, with.1
    );
    println!(
        "with automations: {:.2}x the bare insert at p50 ({:.2}x with the round trip added to it), {:.2}x the push without",
        with.0 / bare.0,
        with.0 / (bare.0 + trip.0),
        with.0 / plain.0
    );
}
