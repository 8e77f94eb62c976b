//! Webhook deliveries, from a real `fairtill-server` release process to a receiver on
//! loopback, beside a bare HTTP POST loop to the same receiver in the same run:
//!
//! 1. **Bare POST loop**: 10,000 POSTs of a delivery-sized body, 256 at a time (as many as the
//!    deliverer sends at once), straight to the receiver: what the network and the receiver
//!    allow.
//! 2. **Push cost of the outbox**: 10,000 sales pushed 250 to a batch (500 records) with no
//!    endpoint, then 10,000 with one endpoint receiving `sale.recorded` that is turned off (each
//!    sale writes its event and a stopped delivery in the push's commit; nothing is sent yet).
//! 3. **A backlog delivered**: the endpoint turned on, those 10,000 deliveries sent, signed;
//!    throughput from turning it on to the last arrival, beside the bare loop.
//! 4. **Live**: 10,000 more sales pushed while the deliverer sends: each delivery's delay from
//!    the end of the push that stored it (its sync) to its arrival.
//!
//! `cargo bench -p fairtill-server --bench webhooks [-- --quick]` (`--quick`: 2,000 sales).

#![allow(clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use fairtill_core::Timestamp;
use fairtill_protocol::API_VERSION_HEADER;
use serde_json::{json, Value};

const AT_ONCE: usize = 256;

/// What the receiver saw: order id → arrival, and the webhook-ids.
#[derive(Default)]
struct Seen {
    orders: HashMap<String, Instant>,
    ids: HashMap<String, usize>,
}

async fn receive(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let at = Instant::now();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut seen = seen.lock().unwrap();
    if let Some(order) = v["data"]["id"].as_str() {
        seen.orders.entry(order.to_string()).or_insert(at);
    }
    if let Some(id) = headers.get("webhook-id").and_then(|h| h.to_str().ok()) {
        *seen.ids.entry(id.to_string()).or_insert(0) += 1;
    }
    "ok"
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 2_000 } else { 10_000 };
    let _ = rustls::crypto::ring::default_provider().install_default();

    // The receiver, in this process.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/hooks", post(receive))
        .route("/bare", post(|| async { "ok" }))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let support::Bench {
        db: _db,
        server,
        api,
        device,
        token,
        manager,
    } = support::start().await;
    let http = api.http.clone();

    // 1. The bare POST loop: a delivery-sized body, AT_ONCE in flight.
    let (sample, _) = support::sale(device, 0);
    let body = json!({ "type": "sale.recorded", "timestamp": Timestamp::now().to_string(), "data": sample[0] }).to_string();
    let bare_started = Instant::now();
    let mut flights = tokio::task::JoinSet::new();
    let per = n / AT_ONCE + 1;
    for _ in 0..AT_ONCE {
        let http = http.clone();
        let body = body.clone();
        let url = format!("http://{addr}/bare");
        flights.spawn(async move {
            for _ in 0..per {
                let res = http.post(&url).body(body.clone()).send().await.unwrap();
                let _ = res.bytes().await.unwrap();
            }
        });
    }
    while flights.join_next().await.is_some() {}
    let bare = bare_started.elapsed();
    let bare_rate = (per * AT_ONCE) as f64 / bare.as_secs_f64();

    // 2. Pushes with no endpoint.
    let (_, plain) = api.push_sales(&token, device, n).await;

    // 3. With one endpoint, turned off: the outbox is written, nothing is sent.
    let made = api
        .post(
            "/v1/manager/webhooks",
            &manager,
            json!({ "url": format!("http://{addr}/hooks"), "events": ["sale.recorded"] }),
        )
        .await;
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    let endpoint = made["endpoint"]["id"].as_str().unwrap().to_string();
    let switch = |on: bool| {
        let http = http.clone();
        let url = format!("{}/v1/manager/webhooks/{endpoint}", server.url);
        let manager = manager.clone();
        async move {
            let res = http
                .patch(url)
                .header(
                    API_VERSION_HEADER,
                    fairtill_protocol::API_VERSION.to_string(),
                )
                .bearer_auth(manager)
                .json(&json!({ "enabled": on }))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{}", res.status());
        }
    };
    switch(false).await;
    let (backlog, with_outbox) = api.push_sales(&token, device, n).await;

    // 4. Turned on: the backlog is sent.
    let on = Instant::now();
    switch(true).await;
    let wait_for = |orders: Vec<String>| {
        let seen = Arc::clone(&seen);
        async move {
            let started = Instant::now();
            loop {
                if orders
                    .iter()
                    .all(|o| seen.lock().unwrap().orders.contains_key(o))
                {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "deliveries stopped"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(backlog.keys().cloned().collect()).await;
    let drained = {
        let seen = seen.lock().unwrap();
        backlog
            .keys()
            .map(|o| seen.orders[o])
            .max()
            .unwrap()
            .duration_since(on)
    };

    // 5. Live: pushes while it sends.
    let (ends, live_push) = api.push_sales(&token, device, n).await;
    wait_for(ends.keys().cloned().collect()).await;
    let seen = seen.lock().unwrap();
    let mut delays: Vec<f64> = ends
        .iter()
        .map(|(order, end)| {
            seen.orders[order]
                .saturating_duration_since(*end)
                .as_secs_f64()
                * 1000.0
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    let repeats = seen.ids.values().filter(|c| **c > 1).count();
    let rate = |d: Duration| n as f64 / d.as_secs_f64();

    println!("webhook deliveries, {n} sales a phase, SQLite, release server, receiver on loopback");
    println!(
        "bare POST loop ({AT_ONCE} at a time): {} POSTs in {:.2} s = {:.0}/s",
        per * AT_ONCE,
        bare.as_secs_f64(),
        bare_rate
    );
    println!(
        "push, no endpoint: {:.2} s = {:.0} sales/s",
        plain.as_secs_f64(),
        rate(plain)
    );
    println!(
        "push, one endpoint (off, outbox written): {:.2} s = {:.0} sales/s ({:.2}x the time)",
        with_outbox.as_secs_f64(),
        rate(with_outbox),
        with_outbox.as_secs_f64() / plain.as_secs_f64()
    );
    println!(
        "backlog of {n} delivered in {:.2} s = {:.0}/s ({:.0}% of the bare loop)",
        drained.as_secs_f64(),
        rate(drained),
        100.0 * rate(drained) / bare_rate
    );
    println!(
        "live: push {:.2} s = {:.0} sales/s while sending; delay from its push's end to arrival: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        live_push.as_secs_f64(),
        rate(live_push),
        support::percentile(&delays, 0.5),
        support::percentile(&delays, 0.99),
        support::percentile(&delays, 1.0)
    );
    println!("webhook-ids received more than once: {repeats}");
    drop(server);
}
