//! Shared by the server's tests: a database on either backend, a real `fairtill-server`
//! process on a loopback port, an HTTP client, and a device ledger that makes records the way
//! the device store does.
#![allow(clippy::unwrap_used, missing_docs, dead_code)]

use std::process::Stdio;

pub mod processor;

use fairtill_core::event::SaleContext;
use fairtill_core::ids::{DeviceId, EventId, OfferId, OrderId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::money::Money;
use fairtill_core::offer::{Offer, OfferLine};
use fairtill_core::order::{Order, OrderDraft};
use fairtill_core::tax::TaxCategory;
use fairtill_core::Timestamp;
use fairtill_protocol::*;
use serde_json::json;
use uuid::Uuid;

/// An HTTP client. In a workspace build reqwest is unified with the sync client's
/// `rustls-no-provider` feature, so a crypto provider must be installed first (ring, as in
/// the server and the app).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub use fairtill_testkit::orders::usd;
pub use fairtill_testkit::{Db, Kind, Server, MANAGER_PASSWORD};

pub fn serve(db: &Db) -> Server {
    Server::start(db)
}

/// Serves with the log written as JSON at `level` into `log`.
pub fn serve_logged(db: &Db, log: &std::path::Path, level: &str) -> Server {
    let file = std::fs::File::create(log).unwrap();
    Server::start_with(
        db,
        "127.0.0.1:0",
        Stdio::from(file),
        &[("RUST_LOG", level), ("FAIRTILL_LOG_FORMAT", "json")],
    )
}

pub fn cli(db: &Db, args: &[&str]) -> String {
    fairtill_testkit::cli(db, args, "")
}

/// Runs the server's CLI with `input` on its standard input.
pub fn cli_with_input(db: &Db, args: &[&str], input: &str) -> String {
    fairtill_testkit::cli(db, args, input)
}

pub fn new_code(db: &Db, name: &str) -> String {
    db.new_code(name)
}

/// A running server on a fresh database with the manager account "alex" and one enrollment
/// code per till name, in order.
pub struct Fixture {
    pub api: Api,
    pub codes: Vec<String>,
    // Dropped after the server process, then the database.
    _server: Server,
    pub db: Db,
}

/// Makes a database on `kind`, the manager "alex", codes for `tills`, and serves it.
pub fn with_manager(kind: Kind, tills: &[&str]) -> Fixture {
    let db = Db::new(kind);
    let codes = tills.iter().map(|t| new_code(&db, t)).collect();
    cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let server = serve(&db);
    Fixture {
        api: Api {
            http: http(),
            url: server.url.clone(),
        },
        codes,
        _server: server,
        db,
    }
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
}

impl Api {
    /// A client of `server`.
    pub fn to(server: &Server) -> Api {
        Api {
            http: http(),
            url: server.url.clone(),
        }
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// A PATCH with `token`: its status and JSON answer.
    pub async fn patch(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = self
            .http
            .patch(format!("{}{path}", self.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut req = self.http.get(format!("{}{path}", self.url)).header(
            API_VERSION_HEADER,
            fairtill_protocol::API_VERSION.to_string(),
        );
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let (status, body) = self.get(path, Some(token)).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The ids of every transaction `/v1/manager/transactions?{query}` lists, following the
    /// pages to the end (`query` holds the filters and the page size), in the order given.
    pub async fn all_transaction_ids(&self, query: &str, token: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut after = String::new();
        loop {
            let page = self
                .get_json(
                    &format!("/v1/manager/transactions?{query}&after={after}"),
                    token,
                )
                .await;
            ids.extend(
                page["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_str().unwrap().to_string()),
            );
            match page["next"].as_str() {
                Some(next) => after = next.to_string(),
                None => return ids,
            }
        }
    }

    /// Signs in as a manager; the token.
    pub async fn login(&self, name: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/v1/manager/login",
                None,
                json!({ "name": name, "password": password }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn enroll(&self, code: &str, device: DeviceId) -> String {
        let (status, body) = self
            .post(
                "/v1/enroll",
                None,
                json!({ "code": code, "device_id": device, "device_code": "B1" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn push(&self, token: &str, records: &[Record]) -> Vec<PushOutcome> {
        let (status, body) = self
            .post("/v1/push", Some(token), json!({ "records": records }))
            .await;
        assert_eq!(status, 200, "{body}");
        let res: PushResponse = serde_json::from_value(body).unwrap();
        res.results.into_iter().map(|r| r.outcome).collect()
    }

    pub async fn pull(&self, token: &str, event: EventId) -> Vec<Record> {
        let (status, body) = self
            .post(
                "/v1/pull",
                Some(token),
                json!({ "event_id": event, "cursor": null, "limit": 100 }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_value::<PullResponse>(body)
            .unwrap()
            .records
    }
}

/// A device's ledger, making records the way the device store does.
pub struct Till {
    pub ledger: Ledger,
    pub device: DeviceId,
    pub event: EventId,
    pub next: u128,
    /// Who records (default "ana").
    pub staff: String,
    /// The first record's time, in seconds since the epoch (each record is a second later).
    pub base: i64,
}

impl Till {
    pub fn new(event: EventId) -> Self {
        Till {
            ledger: Ledger::new(),
            device: DeviceId(Uuid::now_v7()),
            event,
            next: 0,
            staff: "ana".into(),
            base: 1_780_000_000,
        }
    }

    pub fn stamp(&mut self) -> Stamp {
        self.next += 1;
        let at = Timestamp::from_second(self.base + i64::try_from(self.next).unwrap()).unwrap();
        Stamp {
            id: Uuid::now_v7(),
            at,
            context: SaleContext {
                device_id: self.device,
                event_id: Some(self.event),
                staff: self.staff.clone(),
            },
        }
    }

    pub fn run(&mut self, cmd: Command) -> Vec<Record> {
        let stamp = self.stamp();
        self.ledger
            .execute(&cmd, &stamp)
            .unwrap()
            .into_iter()
            .map(|f| match f {
                Fact::OrderPlaced { order } => Record::Order { order },
                Fact::Recorded { tx } => Record::Transaction { transaction: tx },
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    /// An order of one line at `price` with nothing paid; its records and id.
    pub fn open_order(&mut self, price: &str) -> (Vec<Record>, OrderId) {
        let stamp = self.stamp();
        let order = Order::place(
            OrderId(stamp.id),
            format!("B1-{:06}", self.next),
            stamp.context.clone(),
            stamp.at,
            fairtill_testkit::orders::one_line("PRINT", usd(price)),
        )
        .unwrap();
        let id = order.id;
        let records = self.run(Command::PlaceOrder {
            order: Box::new(order),
        });
        (records, id)
    }

    /// A payment of `amount` for `order` (one part of a split, say).
    pub fn pay(
        &mut self,
        order: OrderId,
        amount: Money,
        method: PaymentMethod,
        result: TxResult,
    ) -> Vec<Record> {
        self.run(Command::Pay(Payment {
            kind: PaymentKind::Sale,
            order_ids: vec![order],
            amount,
            method,
            result,
            replaces: None,
        }))
    }

    pub fn sale(&mut self, amount: &str, method: PaymentMethod) -> (Vec<Record>, TxId) {
        self.sale_with(usd(amount), method, TxResult::Approved, |_| {})
    }

    /// An order of one line at `price`, changed by `tweak` (a discount, say), and a sale of its
    /// total with `result`. The records and the sale's id.
    pub fn sale_with(
        &mut self,
        price: Money,
        method: PaymentMethod,
        result: TxResult,
        tweak: impl FnOnce(&mut OrderDraft),
    ) -> (Vec<Record>, TxId) {
        self.order_and_pay(price, method, result, PaymentKind::Sale, tweak)
    }

    /// An order of one line at `price` and a payment of `kind` for its total.
    pub fn order_and_pay(
        &mut self,
        price: Money,
        method: PaymentMethod,
        result: TxResult,
        kind: PaymentKind,
        tweak: impl FnOnce(&mut OrderDraft),
    ) -> (Vec<Record>, TxId) {
        let stamp = self.stamp();
        let mut draft = fairtill_testkit::orders::one_line("PRINT", price);
        tweak(&mut draft);
        let order = Order::place(
            OrderId(stamp.id),
            format!("B1-{:06}", self.next),
            stamp.context.clone(),
            stamp.at,
            draft,
        )
        .unwrap();
        let mut records = self.run(Command::PlaceOrder {
            order: Box::new(order.clone()),
        });
        records.extend(self.run(Command::Pay(Payment {
            kind,
            order_ids: vec![order.id],
            amount: order.totals().unwrap().total,
            method,
            result,
            replaces: None,
        })));
        let Record::Transaction { transaction } = &records[1] else {
            panic!()
        };
        let id = transaction.id;
        (records, id)
    }

    pub fn learn(&mut self, records: &[Record]) {
        for r in records {
            match r {
                Record::Order { order } => self
                    .ledger
                    .apply(Fact::OrderPlaced {
                        order: order.clone(),
                    })
                    .unwrap(),
                Record::Transaction { transaction } => self
                    .ledger
                    .apply(Fact::Recorded {
                        tx: transaction.clone(),
                    })
                    .unwrap(),
                _ => {}
            }
        }
    }
}

pub fn offer(name: &str) -> Record {
    let line = OfferLine {
        sku: "MUG".into(),
        name: "Mug".into(),
        unit_price: usd("8"),
        quantity: 2,
        tax_category: TaxCategory::Standard,
    };
    Record::Offer {
        offer: Offer::new(
            OfferId(Uuid::now_v7()),
            name,
            usd("1").currency(),
            vec![line],
            Timestamp::UNIX_EPOCH,
        )
        .unwrap(),
    }
}
