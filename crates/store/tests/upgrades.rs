//! Upgrades carry data: a till database of every released schema version, with rows in every
//! table, opened by this build, passes SQLite's integrity and foreign-key checks and reads back
//! through the public API exactly as the same till does at the latest version — including what
//! waits to sync (a lost watermark would send records again; a lost `remote` flag would push
//! another till's records as this till's).
//!
//! How a fixture of version V is made: the till's story is recorded once by this build (at the
//! latest version), then every row is copied into a database migrated only to V, through the
//! columns both schemas have, in the order the rows were written. So each fixture holds rows
//! written by the store's own code, laid out as version V laid them out. (What this cannot
//! catch is a stored body whose JSON shape older code wrote differently; the wire format has
//! not changed since version 1.)
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::*;
use fairtill_core::ledger::{PaymentMethod, RefundProgress, RefundStrategy, TxResult};
use fairtill_core::money::Currency;
use fairtill_core::{Clock, SignedDuration, Timestamp};
use fairtill_store::db::{migrations, MIGRATIONS};
use fairtill_store::{DeviceSetup, Remote, Tender, Till};
use rusqlite::Connection;

/// A clock that stands still, so both tills derive the same statuses.
struct Fixed(Timestamp);

impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

fn now() -> Timestamp {
    "2026-11-22T15:00:00Z".parse().unwrap()
}

fn open_at(path: &std::path::Path) -> Till {
    Till::open_with(
        path,
        &DeviceSetup {
            code: "T1".into(),
            name: "Booth 1".into(),
        },
        Box::new(Fixed(now())),
    )
    .unwrap()
}

/// A day at a booth, recorded by this build: every table gets rows.
fn record_the_story(path: &std::path::Path, other: &std::path::Path) {
    let usd = Currency::from_code("USD").unwrap();
    let mut till = open_at(path);
    let event = till
        .create_event(
            "Craft Fair",
            usd,
            fairtill_core::tax::TaxPolicy::none(),
            fairtill_core::event::CaptureMode::Automatic,
            SignedDuration::from_hours(48),
        )
        .unwrap();
    till.set_settings(Some(event.id), "ana").unwrap();
    let who = fairtill_store::Actor {
        staff: "ana".into(),
        event_id: Some(event.id),
    };
    till.import_products(
        "sku,name,price,currency,tax_category,barcode,favourite\n\
         MUG,Blue mug,12.50,USD,standard,4006381333931,yes\n\
         TEA,Green tea,4.20,USD,reduced,,no\n"
            .as_bytes(),
    )
    .unwrap();
    let line = fairtill_core::offer::OfferLine {
        sku: "MUG".into(),
        name: "Blue mug".into(),
        unit_price: common::usd("11.00"),
        quantity: 2,
        tax_category: fairtill_core::tax::TaxCategory::Standard,
    };
    till.save_offer("Two mugs", usd, vec![line.clone()])
        .unwrap();
    let old = till.save_offer("Old mugs", usd, vec![line]).unwrap();
    till.retire_offer(&who, old.id()).unwrap();
    till.open_till(&who, common::usd("50.00")).unwrap();

    let sale = till
        .record_sale(&who, draft(&[("mug", "12.50", 2)]), cash())
        .unwrap();
    till.refund(
        &who,
        sale.transaction_id,
        RefundStrategy::Amount {
            amount: common::usd("5.00"),
        },
        RefundProgress::Pending,
        Some("chipped".into()),
    )
    .unwrap();
    let logged = till
        .log_external_sale(&who, draft(&[("poster", "9.50", 1)]), "Shopify", "#1001")
        .unwrap();
    till.void(&who, logged.transaction_id, Some("entered twice".into()))
        .unwrap();
    let unknown = till
        .record_sale(
            &who,
            draft(&[("tea", "4.20", 1)]),
            Tender {
                result: TxResult::Unknown,
                method: PaymentMethod::Card {
                    last4: Some("4242".into()),
                    approval_code: None,
                },
                ..cash()
            },
        )
        .unwrap();
    till.resolve(&who, unknown.transaction_id, TxResult::Approved, None)
        .unwrap();
    let open = till
        .place_order(&who, draft(&[("card", "3.50", 1)]))
        .unwrap();
    till.write_off(&who, open.id, "customer left").unwrap();
    till.close_till(&who, common::usd("74.50"), "one coin short")
        .unwrap();

    // Another till's sale, pulled; the server refused one record; enrolled.
    let mut b = Till::open_with(
        other,
        &DeviceSetup {
            code: "B1".into(),
            name: "Booth 2".into(),
        },
        Box::new(Fixed(now())),
    )
    .unwrap();
    let theirs = b
        .record_sale(&who, draft(&[("mug", "12.50", 1)]), cash())
        .unwrap();
    let remote = vec![
        Remote::Order(Box::new(b.order(theirs.order_id).unwrap().order)),
        Remote::Transaction(Box::new(b.transaction(theirs.transaction_id).unwrap())),
    ];
    till.apply_remote(&remote, Some(event.id), "42").unwrap();
    till.note_rejection("offer", &old.id().to_string(), "a test refusal")
        .unwrap();
    till.set_sync_server("https://sync.example.org", "Booth 1")
        .unwrap();
    // The server has the first order and the first two transactions.
    let orders = till.outbox_batch("order", 1).unwrap();
    till.outbox_ack("order", orders[0].0).unwrap();
    let txs = till.outbox_batch("transaction", 2).unwrap();
    till.outbox_ack("transaction", txs[1].0).unwrap();
}

fn columns(conn: &Connection, schema: &str, table: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}', '{schema}')"
        ))
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The tables to copy, parents before children (the running totals and the search index are
/// kept by the target's own triggers, so they are not copied).
const TABLES: &[&str] = &[
    "device",
    "events",
    "products",
    "offers",
    "offer_retirements",
    "orders",
    "transactions",
    "transaction_orders",
    "result_changes",
    "write_offs",
    "sync_state",
    "pull_state",
    "sync_rejections",
    "sync_server",
    "till_settings",
    "till_sessions",
    "till_closes",
];

/// A database at `version` holding the story's rows, laid out as that version laid them out.
fn fixture(latest: &std::path::Path, at: &std::path::Path, version: usize) {
    let mut conn = Connection::open(at).unwrap();
    migrations().to_version(&mut conn, version).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS src", [latest.to_str().unwrap()])
        .unwrap();
    let has = |schema: &str, table: &str| !columns(&conn, schema, table).is_empty();
    for table in TABLES {
        if !has("main", table) {
            continue;
        }
        let theirs = columns(&conn, "main", table);
        let common: Vec<String> = columns(&conn, "src", table)
            .into_iter()
            .filter(|c| theirs.contains(c))
            .collect();
        let source = columns(&conn, "src", table);
        // Before version 2 a till pulled nothing: another till's rows cannot be there, nor
        // what hangs off them; and a version syncs only the record types it knew.
        let own = match *table {
            _ if source.contains(&"remote".to_string())
                && !theirs.contains(&"remote".to_string()) =>
            {
                "WHERE remote = 0"
            }
            "transaction_orders" | "result_changes" => {
                "WHERE transaction_id IN (SELECT id FROM main.transactions)"
            }
            "sync_state" => "WHERE record_type IN (SELECT record_type FROM main.sync_state)",
            _ => "",
        };
        let order = if source.contains(&"seq".to_string()) {
            "ORDER BY seq"
        } else {
            ""
        };
        let list = common.join(", ");
        let select = match *table {
            // Only an unknown result may change: a transaction with a history starts unknown,
            // and its result changes bring it to where it is.
            "transactions" => list.replace(
                "result",
                "CASE WHEN EXISTS (SELECT 1 FROM src.result_changes c WHERE c.transaction_id = transactions.id) THEN 'unknown' ELSE result END",
            ),
            _ => list.clone(),
        };
        let verb = match *table {
            // Rows the migrations made themselves are replaced by the story's.
            "sync_state" | "till_settings" => "INSERT OR REPLACE",
            _ => "INSERT",
        };
        conn.execute_batch(&format!(
            "{verb} INTO main.{table} ({list}) SELECT {select} FROM src.{table} {own} {order}"
        ))
        .unwrap_or_else(|e| panic!("version {version}, {table}: {e}"));
    }
    conn.execute_batch("DETACH DATABASE src").unwrap();
}

/// Everything the public API reads, as text to compare.
/// Version 11 numbers each product's versions: a product from before reads at version 0.
const PRODUCT_VERSIONS: usize = 11;

fn read_back(till: &Till, zero_versions: bool) -> Vec<String> {
    let products =
        |found: Vec<fairtill_core::catalog::Product>| -> Vec<fairtill_core::catalog::Product> {
            found
                .into_iter()
                .map(|p| fairtill_core::catalog::Product {
                    version: if zero_versions { 0 } else { p.version },
                    ..p
                })
                .collect()
        };
    let page = till
        .list(&fairtill_store::TxFilter::default(), None, 1000)
        .unwrap();
    let mut out = vec![format!("{:?}", page)];
    for row in &page.rows {
        if let Some(order) = row.order_id {
            out.push(format!("{:?}", till.order(order).unwrap()));
        }
        out.push(format!("{:?}", till.transaction(row.id).unwrap()));
    }
    out.push(format!("{:?}", till.offers(true).unwrap()));
    out.push(format!("{:?}", till.events().unwrap()));
    out.push(format!(
        "{:?}",
        products(till.search_products("mug", 10).unwrap())
    ));
    out.push(format!("{:?}", products(till.favourites(10).unwrap())));
    out.push(format!(
        "{:?}",
        till.summary(&fairtill_store::TxFilter::default()).unwrap()
    ));
    out
}

/// What waits to sync, per record type, as the bodies that would be sent.
fn waiting(till: &Till) -> Vec<(String, BTreeSet<String>)> {
    fairtill_store::RECORD_TYPES
        .iter()
        .map(|(record_type, _)| {
            let bodies = till
                .outbox_batch(record_type, 10_000)
                .unwrap()
                .into_iter()
                .map(|(_, body)| body)
                .collect();
            (record_type.to_string(), bodies)
        })
        .collect()
}

fn check(conn: &Connection, version: usize) {
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "upgraded from version {version}");
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        broken, 0,
        "foreign keys after upgrading from version {version}"
    );
}

#[test]
fn every_released_version_upgrades_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let latest = dir.path().join("latest.db");
    record_the_story(&latest, &dir.path().join("other.db"));
    let reference = open_at(&latest);
    let expected = read_back(&reference, false);
    let expected_unversioned = read_back(&reference, true);
    let expected_waiting = waiting(&reference);
    assert!(
        expected_waiting.iter().any(|(_, b)| !b.is_empty()),
        "the story leaves records waiting"
    );
    let pulled = reference.connection().query_row(
        "SELECT count(*) FROM transactions WHERE remote = 1",
        [],
        |r| r.get::<_, i64>(0),
    );
    assert_eq!(pulled.unwrap(), 1, "the story pulled another till's sale");

    for version in 1..=MIGRATIONS.len() {
        let path = dir.path().join(format!("v{version}.db"));
        fixture(&latest, &path, version);
        let till = open_at(&path);
        check(till.connection(), version);
        let found = read_back(&till, version < PRODUCT_VERSIONS);
        let expected = if version < PRODUCT_VERSIONS {
            &expected_unversioned
        } else {
            &expected
        };
        let skipped_remote = version < 2;
        if skipped_remote {
            // A version-1 till never pulled: the same story without the other till's sale
            // (its order and transaction), so only the list and the summary read differently.
            assert_eq!(found.len(), expected.len() - 2, "from version {version}");
            let differ = found.iter().filter(|f| !expected.contains(f)).count();
            assert!(differ <= 2, "from version 1, {differ} reads differ");
        } else {
            assert_eq!(
                &found, expected,
                "read back after upgrading from version {version}"
            );
            assert_eq!(
                till.sync_server().unwrap(),
                reference.sync_server().unwrap(),
                "from version {version}"
            );
            assert_eq!(
                till.rejections().unwrap(),
                reference.rejections().unwrap(),
                "from version {version}"
            );
            assert_eq!(
                till.pull_cursor(reference.settings().unwrap().event.map(|e| e.id))
                    .unwrap(),
                Some("42".into()),
                "from version {version}"
            );
        }
        if version >= 3 {
            assert_eq!(
                format!("{:?}", till.settings().unwrap()),
                format!("{:?}", reference.settings().unwrap()),
                "from version {version}"
            );
            assert_eq!(
                format!("{:?}", till.sessions(10).unwrap()),
                format!("{:?}", reference.sessions(10).unwrap()),
                "from version {version}"
            );
        }
        // What waits to sync: the same, except records whose type a version did not sync yet
        // (their acknowledgement starts at zero, so all of them wait) and, before version 6,
        // events (pulled and made alike became this till's, which the server answers
        // "already had").
        for ((record_type, want), (_, got)) in expected_waiting.iter().zip(waiting(&till)) {
            let (exists_since, synced_since) = match record_type.as_str() {
                "till_opened" | "till_closed" => (3, 5),
                "event" => (1, 6),
                "product" => (1, PRODUCT_VERSIONS),
                _ => (1, 1),
            };
            // A product from before version 11 waits at version 0.
            let unversioned = |bodies: &BTreeSet<String>| -> BTreeSet<String> {
                bodies
                    .iter()
                    .map(|b| match record_type.as_str() {
                        "product" => {
                            let mut v: serde_json::Value = serde_json::from_str(b).unwrap();
                            v["version"] = 0.into();
                            v.to_string()
                        }
                        _ => b.clone(),
                    })
                    .collect()
            };
            if version < exists_since {
                assert!(
                    got.is_empty(),
                    "no {record_type} before version {exists_since}"
                );
            } else if version >= synced_since {
                assert_eq!(
                    &got, want,
                    "{record_type} waiting after upgrading from {version}"
                );
            } else {
                let all: BTreeSet<String> = reference
                    .outbox_batch(record_type, 10_000)
                    .unwrap()
                    .into_iter()
                    .map(|(_, b)| b)
                    .collect();
                assert!(
                    unversioned(&got).is_superset(&unversioned(&all)),
                    "every {record_type} waits after upgrading from {version}"
                );
            }
        }
    }
}
