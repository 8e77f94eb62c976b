//! Server upgrades carry data, on both backends: a database of every released server schema
//! version, with rows in every table, is opened by this build's server (which upgrades it) and
//! answers every manager and device read exactly as a server that was always at the latest
//! version does. On SQLite the upgraded file also passes its integrity and foreign-key checks.
//!
//! A fixture of version V is made the way the device's upgrade test makes its own: the story is
//! told once through the API of this build, then every row is copied into a database migrated
//! only to V, through the columns both schemas have (what a version's migrations derive — the
//! running totals, the text indexes, columns filled from the bodies — is left for the upgrade
//! to derive again).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::customer::Customer;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use fairtill_core::Timestamp;
use fairtill_protocol::{PushOutcome, Record};
use serde_json::{json, Value};
use uuid::Uuid;

/// The server's migrations, as released (the same files the backends embed).
const SQLITE: &[&str] = &[
    include_str!("../../../migrations/server/sqlite/0001_init.sql"),
    include_str!("../../../migrations/server/sqlite/0002_closeout.sql"),
    include_str!("../../../migrations/server/sqlite/0003_settlement.sql"),
    include_str!("../../../migrations/server/sqlite/0004_totals.sql"),
    include_str!("../../../migrations/server/sqlite/0005_text_search.sql"),
];
const POSTGRES: &[&str] = &[
    include_str!("../../../migrations/server/postgres/0001_init.sql"),
    include_str!("../../../migrations/server/postgres/0002_closeout.sql"),
    include_str!("../../../migrations/server/postgres/0003_settlement.sql"),
    include_str!("../../../migrations/server/postgres/0004_totals.sql"),
    include_str!("../../../migrations/server/postgres/0005_text_search.sql"),
];

/// The tables a fixture holds, in an order that satisfies every foreign key. The running totals
/// and the text indexes are derived by the migrations that add them.
const TABLES: &[&str] = &[
    "enrollments",
    "devices",
    "managers",
    "manager_tokens",
    "audit_log",
    "records",
    "orders",
    "transactions",
    "result_changes",
    "offers",
    "conflicts",
    "conflict_devices",
    "till_sessions",
    "till_closes",
    "settlement_imports",
    "settlement_rows",
    "settlement_matches",
    "settlement_formats",
];

/// What the story leaves for the reads: tokens and ids.
struct Told {
    manager: String,
    devices: Vec<String>,
    event: EventId,
}

/// A day of two tills and a manager, through the API: rows in every table.
async fn tell_the_story(api: &Api, codes: &[String]) -> Told {
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    let token_a = api.enroll(&codes[0], a.device).await;
    let token_b = api.enroll(&codes[1], b.device).await;

    let (sale, sale_id) = a.sale_with(
        usd("100.00"),
        PaymentMethod::Cash,
        TxResult::Approved,
        |d| {
            d.customer = Some(Customer {
                name: Some("Ada Lovelace".into()),
                email: Some("ada@example.org".into()),
                phone: None,
                billing_address: None,
            })
        },
    );
    let (card, card_id) = a.sale_with(
        usd("22.50"),
        PaymentMethod::Card {
            last4: Some("4242".into()),
            approval_code: Some("A1".into()),
        },
        TxResult::Unknown,
        |_| {},
    );
    let mut records = [sale.clone(), card].concat();
    records.push(Record::ResultChange {
        transaction_id: card_id,
        n: 1,
        change: ResultChange {
            result: TxResult::Approved,
            at: Timestamp::from_second(a.base + 60).unwrap(),
            note: Some("terminal said yes".into()),
            expires_at: None,
        },
    });
    records.push(offer("Two mugs"));
    let session = Uuid::now_v7();
    records.push(Record::TillOpened {
        session_id: session,
        device_id: a.device,
        event_id: Some(event),
        float: usd("50"),
        opened_at: Timestamp::from_second(a.base).unwrap(),
        opened_by: "ana".into(),
    });
    records.push(Record::TillClosed {
        session_id: session,
        closed_at: Timestamp::from_second(a.base + 3000).unwrap(),
        closed_by: "ana".into(),
        counted: usd("149.50"),
        expected: usd("150.00"),
        note: Some("a coin short".into()),
    });
    let outcomes = api.push(&token_a, &records).await;
    assert!(
        outcomes.iter().all(|o| *o == PushOutcome::Stored),
        "{outcomes:?}"
    );

    // B pulls A's sale and refunds most of it, as A did: a conflict. Both log one payment.
    b.learn(&api.pull(&token_b, event).await);
    let refund = |t: &mut Till| {
        t.run(Command::Refund {
            parent: sale_id,
            strategy: RefundStrategy::Amount { amount: usd("60") },
            progress: RefundProgress::Complete,
            reason: None,
        })
    };
    api.push(&token_a, &refund(&mut a)).await;
    api.push(&token_b, &refund(&mut b)).await;
    let shop = PaymentMethod::External {
        system: "Shopify".into(),
        reference: "#1001".into(),
    };
    api.push(&token_a, &a.sale("30.00", shop.clone()).0).await;
    api.push(&token_b, &b.sale("30.00", shop).0).await;

    let manager = api.login("alex", MANAGER_PASSWORD).await;
    let conflicts = api.get_json("/v1/manager/conflicts", &manager).await;
    let id = conflicts[0]["id"].as_str().unwrap().to_string();
    let (status, body) = api
        .post(
            &format!("/v1/manager/conflicts/{id}/resolve"),
            Some(&manager),
            json!({ "note": "refund B reversed at the terminal" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let res = api
        .http
        .post(format!(
            "{}/v1/manager/settlements?file_name=stripe.csv&currency=USD",
            api.url
        ))
        .header(
            fairtill_protocol::API_VERSION_HEADER,
            fairtill_protocol::API_VERSION.to_string(),
        )
        .header("content-type", "text/csv")
        .bearer_auth(&manager)
        .body(include_bytes!("fixtures/stripe-unified-payments.csv").to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    let (status, body) = api
        .post(
            "/v1/manager/settlement-formats",
            Some(&manager),
            json!({ "name": "Booth bank", "reference": ["Ref"], "amount": ["Betrag"], "date": ["Tag"], "day_first": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Told {
        manager,
        devices: vec![token_a, token_b],
        event,
    }
}

/// Without what depends on the moment it was read.
fn steady(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            map.remove("generated_at");
            for (_, x) in map.iter_mut() {
                *x = steady(x.take());
            }
        }
        Value::Array(items) => {
            for x in items.iter_mut() {
                *x = steady(x.take());
            }
        }
        _ => {}
    }
    v
}

/// Every read of the manager's and the devices' API, by name, with the version since which
/// the story's rows behind it exist in a fixture.
async fn read_back(api: &Api, told: &Told) -> Vec<(&'static str, u32, Value)> {
    let m = &told.manager;
    let e = told.event;
    let mut out = Vec::new();
    for (name, since, path) in [
        ("devices", 1, "/v1/manager/devices".to_string()),
        (
            "transactions",
            1,
            "/v1/manager/transactions?limit=1000".into(),
        ),
        ("summary", 1, "/v1/manager/summary".into()),
        (
            "text search",
            1,
            "/v1/manager/transactions?text=lovelace".into(),
        ),
        (
            "reference search",
            1,
            "/v1/manager/transactions?text=1001".into(),
        ),
        (
            "conflicts",
            1,
            "/v1/manager/conflicts?include_resolved=true".into(),
        ),
        ("audit", 1, "/v1/manager/audit".into()),
        ("events", 1, "/v1/manager/events".into()),
        ("close-out", 2, format!("/v1/manager/closeout?event={e}")),
        (
            "sales by hour",
            2,
            format!("/v1/manager/sales-by-hour?event={e}"),
        ),
        ("settlements", 3, "/v1/manager/settlements".into()),
        ("formats", 3, "/v1/manager/settlement-formats".into()),
    ] {
        out.push((name, since, steady(api.get_json(&path, m).await)));
    }
    let page = api.get_json("/v1/manager/transactions?limit=1000", m).await;
    for row in page["rows"].as_array().unwrap() {
        if let Some(order) = row["order_id"].as_str() {
            let v = api
                .get_json(&format!("/v1/manager/orders/{order}"), m)
                .await;
            out.push(("order", 1, steady(v)));
        }
    }
    let imports = api.get_json("/v1/manager/settlements", m).await;
    for import in imports.as_array().unwrap() {
        let id = import["id"].as_str().unwrap();
        let v = api
            .get_json(&format!("/v1/manager/settlements/{id}"), m)
            .await;
        out.push(("settlement report", 3, steady(v)));
    }
    for token in &told.devices {
        let (status, v) = api
            .post(
                "/v1/pull",
                Some(token),
                json!({ "event_id": e, "cursor": null, "limit": 500 }),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        out.push(("pull", 1, v));
        out.push(("status", 1, api.get_json("/v1/status", token).await));
    }
    out
}

/// Copies the story's rows into a database of `kind` migrated only to `version`.
fn fixture(kind: Kind, latest: &Db, version: usize) -> Db {
    let db = Db::new(kind);
    match kind {
        Kind::Sqlite => {
            let mut conn = rusqlite::Connection::open(&db.spec).unwrap();
            let migrations = rusqlite_migration::Migrations::new(
                SQLITE
                    .iter()
                    .map(|sql| rusqlite_migration::M::up(sql))
                    .collect(),
            );
            migrations.to_version(&mut conn, version).unwrap();
            conn.execute("ATTACH DATABASE ?1 AS src", [&latest.spec])
                .unwrap();
            let columns = |schema: &str, table: &str| -> Vec<String> {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT name FROM pragma_table_info('{table}', '{schema}')"
                    ))
                    .unwrap();
                stmt.query_map([], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            };
            for table in TABLES {
                let theirs = columns("main", table);
                let source = columns("src", table);
                let list = source
                    .iter()
                    .filter(|c| theirs.contains(c))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if list.is_empty() {
                    continue;
                }
                conn.execute_batch(&format!(
                    "INSERT INTO main.{table} ({list}) SELECT {list} FROM src.{table} ORDER BY rowid"
                ))
                .unwrap_or_else(|e| panic!("version {version}, {table}: {e}"));
            }
        }
        Kind::Postgres => {
            let (from, to) = (latest.spec.clone(), db.spec.clone());
            std::thread::spawn(move || {
                let mut source = postgres::Client::connect(&from, postgres::NoTls).unwrap();
                let mut target = postgres::Client::connect(&to, postgres::NoTls).unwrap();
                for sql in &POSTGRES[..version] {
                    target.batch_execute(sql).unwrap();
                }
                target
                    .batch_execute(&format!(
                        "CREATE TABLE fairtill_schema (version BIGINT NOT NULL);
                         INSERT INTO fairtill_schema VALUES ({version})"
                    ))
                    .unwrap();
                let columns = |c: &mut postgres::Client, table: &str| -> Vec<String> {
                    c.query(
                        "SELECT column_name::text FROM information_schema.columns
                         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                        &[&table],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
                };
                for table in TABLES {
                    let theirs = columns(&mut target, table);
                    let list = columns(&mut source, table)
                        .into_iter()
                        .filter(|c| theirs.contains(c))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if list.is_empty() {
                        continue;
                    }
                    let mut rows = Vec::new();
                    std::io::Read::read_to_end(
                        &mut source
                            .copy_out(&format!("COPY (SELECT {list} FROM {table}) TO STDOUT"))
                            .unwrap(),
                        &mut rows,
                    )
                    .unwrap();
                    let mut writer = target
                        .copy_in(&format!("COPY {table} ({list}) FROM STDIN"))
                        .unwrap();
                    std::io::Write::write_all(&mut writer, &rows).unwrap();
                    writer.finish().unwrap_or_else(|e| panic!("version {version}, {table}: {e}"));
                }
            })
            .join()
            .unwrap();
        }
    }
    db
}

async fn upgrades_carry_data(kind: Kind) {
    let latest = Db::new(kind);
    let codes = vec![new_code(&latest, "Booth 1"), new_code(&latest, "Booth 2")];
    new_code(&latest, "Booth 3 (not enrolled yet)");
    cli_with_input(
        &latest,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let server = serve(&latest);
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };
    let told = tell_the_story(&api, &codes).await;
    let expected = read_back(&api, &told).await;
    drop(server);

    for version in 1..=SQLITE.len() {
        let db = fixture(kind, &latest, version);
        let server = serve(&db);
        let api = Api {
            http: http(),
            url: server.url.clone(),
        };
        let found = read_back(&api, &told).await;
        drop(server);
        // What a version had the tables for reads back the same; the rest is not there.
        let held = |reads: &[(&'static str, u32, Value)]| -> Vec<(&'static str, Value)> {
            reads
                .iter()
                .filter(|(_, since, _)| version >= *since as usize)
                .map(|(name, _, v)| (*name, v.clone()))
                .collect()
        };
        let (want, got) = (held(&expected), held(&found));
        assert_eq!(got.len(), want.len(), "reads from version {version}");
        for ((name, want), (_, got)) in want.iter().zip(&got) {
            assert_eq!(got, want, "{name} after upgrading from version {version}");
        }
        if kind == Kind::Sqlite {
            let conn = rusqlite::Connection::open(&db.spec).unwrap();
            let ok: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok", "version {version}");
            let broken: i64 = conn
                .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(broken, 0, "version {version}");
        }
    }
}

#[tokio::test]
async fn every_released_sqlite_version_upgrades_with_its_rows() {
    upgrades_carry_data(Kind::Sqlite).await;
}

#[tokio::test]
async fn every_released_postgres_version_upgrades_with_its_rows() {
    upgrades_carry_data(Kind::Postgres).await;
}
