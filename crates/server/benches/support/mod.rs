//! What the server's benchmarks share: a fixture sale, a small API client, and a release server
//! on SQLite with an enrolled till and a signed-in manager.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fairtill_core::event::SaleContext;
use fairtill_core::ids::{DeviceId, OrderId, TxId};
use fairtill_core::ledger::{
    Command, Fact, Ledger, Payment, PaymentKind, PaymentMethod, Stamp, TxResult,
};
use fairtill_core::order::Order;
use fairtill_core::Timestamp;
use fairtill_protocol::{Record, API_VERSION_HEADER};
use fairtill_testkit::{Db, Kind, Server, MANAGER_PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

/// Sales per push: two records each, up to the batch limit.
pub const BATCH: usize = fairtill_protocol::MAX_BATCH / 2;

/// A sale of one 10.00 line of `PRINT`: its order and cash payment, and the order's id.
pub fn sale(device: DeviceId, n: usize) -> (Vec<Record>, String) {
    let (records, order, _) = sale_paid_by(device, n, PaymentMethod::Cash, TxResult::Approved);
    (records, order)
}

/// An order of one 10.00 line of `PRINT` and a payment of it by `method` with `result`, as a
/// till records them: the records, the order's id and the payment's.
pub fn sale_paid_by(
    device: DeviceId,
    n: usize,
    method: PaymentMethod,
    result: TxResult,
) -> (Vec<Record>, String, TxId) {
    let now = Timestamp::now();
    let context = SaleContext {
        device_id: device,
        event_id: None,
        staff: "ana".into(),
    };
    let order = Order::place(
        OrderId(Uuid::now_v7()),
        format!("B1-{n:06}"),
        context.clone(),
        now,
        fairtill_testkit::orders::one_line("PRINT", fairtill_testkit::orders::usd("10.00")),
    )
    .unwrap();
    let mut ledger = Ledger::new();
    let stamp = |id| Stamp {
        id,
        at: now,
        context: context.clone(),
    };
    ledger
        .execute(
            &Command::PlaceOrder {
                order: Box::new(order.clone()),
            },
            &stamp(order.id.0),
        )
        .unwrap();
    let facts = ledger
        .execute(
            &Command::Pay(Payment {
                kind: PaymentKind::Sale,
                order_ids: vec![order.id],
                amount: fairtill_testkit::orders::usd("10.00"),
                method,
                result,
                replaces: None,
            }),
            &stamp(Uuid::now_v7()),
        )
        .unwrap();
    let Some(Fact::Recorded { tx }) = facts.into_iter().next() else {
        panic!("no sale recorded")
    };
    let (order_id, tx_id) = (order.id.to_string(), tx.id);
    (
        vec![
            Record::Order {
                order: Box::new(order),
            },
            Record::Transaction { transaction: tx },
        ],
        order_id,
        tx_id,
    )
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
}

impl Api {
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let res = self
            .http
            .get(format!("{}{path}", self.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    /// Pushes `n` sales in batches; each order's push end, and the time it all took.
    pub async fn push_sales(
        &self,
        token: &str,
        device: DeviceId,
        n: usize,
    ) -> (HashMap<String, Instant>, Duration) {
        let mut ends = HashMap::new();
        let started = Instant::now();
        let mut made = 0;
        while made < n {
            let mut records = Vec::new();
            let mut ids = Vec::new();
            for _ in 0..BATCH.min(n - made) {
                let (r, id) = sale(device, made);
                records.extend(r);
                ids.push(id);
                made += 1;
            }
            self.post("/v1/push", token, json!({ "records": records }))
                .await;
            let end = Instant::now();
            for id in ids {
                ends.insert(id, end);
            }
        }
        (ends, started.elapsed())
    }
}

/// A release server on a fresh SQLite database, a till enrolled and the manager signed in.
pub struct Bench {
    pub db: Db,
    pub server: Server,
    pub api: Api,
    pub device: DeviceId,
    pub token: String,
    pub manager: String,
}

pub async fn start() -> Bench {
    let db = Db::new(Kind::Sqlite);
    let code = db.new_code("Bench till");
    db.add_manager("alex");
    let server = Server::start_with(&db, "127.0.0.1:0", Stdio::inherit(), &[]);
    let http = reqwest::Client::new();
    let api = Api {
        http: http.clone(),
        url: server.url.clone(),
    };
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
    let token = enrolled["token"].as_str().unwrap().to_string();
    let login: Value = http
        .post(format!("{}/v1/manager/login", server.url))
        .header(
            API_VERSION_HEADER,
            fairtill_protocol::API_VERSION.to_string(),
        )
        .json(&json!({ "name": "alex", "password": MANAGER_PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let manager = login["token"].as_str().unwrap().to_string();
    Bench {
        db,
        server,
        api,
        device,
        token,
        manager,
    }
}
