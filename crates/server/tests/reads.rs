//! The manager's quick reads give the answers a plain scan gives, over real HTTP on both
//! backends: the running totals behind the summary (through result changes that arrive before
//! or after their transaction, voids, captures and lapsed authorizations), and the trigram
//! index behind text search (rare text, common text, short text, any case, quotes and `%`).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::*;
use fairtill_core::customer::Customer;
use fairtill_core::ids::{EventId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::*;
use serde_json::Value;
use uuid::Uuid;

/// Before every record of these tests: a summary from then on is read by scanning rows.
const LONG_AGO: &str = "2000-01-01T00:00:00Z";

fn card() -> PaymentMethod {
    PaymentMethod::Card {
        last4: Some("4242".into()),
        approval_code: None,
    }
}

fn external(reference: &str) -> PaymentMethod {
    PaymentMethod::External {
        system: "Square".into(),
        reference: reference.into(),
    }
}

fn result_change(tx: TxId, result: TxResult, at: i64) -> Record {
    Record::ResultChange {
        transaction_id: tx,
        n: 1,
        change: ResultChange {
            result,
            at: Timestamp::from_second(at).unwrap(),
            note: None,
            expires_at: None,
        },
    }
}

/// Pushes in batches the server takes, and checks every record was stored.
async fn push_all(api: &Api, token: &str, records: &[Record]) {
    for batch in records.chunks(MAX_BATCH) {
        let outcomes = api.push(token, batch).await;
        assert!(
            outcomes.iter().all(|o| *o == PushOutcome::Stored),
            "{outcomes:?}"
        );
    }
}

#[tokio::test]
async fn totals_agree_with_a_scan_on_sqlite() {
    totals_agree_with_a_scan(Kind::Sqlite).await
}

#[tokio::test]
async fn totals_agree_with_a_scan_on_postgres() {
    totals_agree_with_a_scan(Kind::Postgres).await
}

async fn totals_agree_with_a_scan(kind: Kind) {
    let fixture = with_manager(kind, &["Booth 1", "Booth 2"]);
    let api = &fixture.api;
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    b.staff = "ben".into();
    let token_a = api.enroll(&fixture.codes[0], a.device).await;
    let token_b = api.enroll(&fixture.codes[1], b.device).await;

    // Booth 1: 100.00 cash; a 40.00 card sale whose result is not known yet; a logged 25.00
    // sale voided as a mistake; a 90.00 authorization (a day to capture, days ago: it lapsed)
    // with 35.00 captured.
    let mut records = a.sale("100", PaymentMethod::Cash).0;
    let (pending, pending_id) = a.sale_with(usd("40"), card(), TxResult::Unknown, |_| {});
    records.extend(pending);
    let (logged, logged_id) = a.sale("25", external("SQ-1"));
    records.extend(logged);
    records.extend(a.run(Command::Void {
        target: logged_id,
        reason: Some("entered twice".into()),
    }));
    let (auth, auth_id) = a.order_and_pay(
        usd("90"),
        card(),
        TxResult::Approved,
        PaymentKind::Authorize {
            capture_window: SignedDuration::from_hours(24),
        },
        |_| {},
    );
    records.extend(auth);
    records.extend(a.run(Command::Capture {
        authorization: auth_id,
        amount: usd("35"),
        result: TxResult::Approved,
    }));
    push_all(api, &token_a, &records).await;

    // Booth 2 learns of a result change before the sale it changes: a 60.00 card sale, pending
    // on the till, approved later; the change is pushed first.
    let (sale_b, sale_b_id) = b.sale_with(usd("60"), card(), TxResult::Unknown, |_| {});
    let later = b.base + 500;
    push_all(
        api,
        &token_b,
        &[result_change(sale_b_id, TxResult::Approved, later)],
    )
    .await;

    let summary = |query: String| {
        let manager = manager.clone();
        async move {
            let totals = api
                .get_json(&format!("/v1/manager/summary?{query}"), &manager)
                .await;
            let scan = api
                .get_json(
                    &format!("/v1/manager/summary?{query}&from={LONG_AGO}"),
                    &manager,
                )
                .await;
            assert_eq!(totals, scan, "{query}");
            totals
        }
    };
    let usd_of = |s: &Value, field: &str| s["currencies"][0][field]["amount"].clone();
    let before = summary(String::new()).await;
    // Gross is approved sales and captures (the pending sale waits), with the sale voided
    // since; net takes the void off.
    assert_eq!(usd_of(&before, "gross_sales"), "160.00", "{before}");
    assert_eq!(before["currencies"][0]["unknown_count"], 1, "{before}");
    assert_eq!(usd_of(&before, "net"), "135.00");
    assert_eq!(usd_of(&before, "voided"), "25.00");
    assert_eq!(usd_of(&before, "captured"), "35.00");
    assert_eq!(usd_of(&before, "canceled"), "55.00", "the lapsed remainder");

    // The sale the change was waiting for arrives, approved; booth 1's pending sale declines.
    push_all(api, &token_b, &sale_b).await;
    push_all(
        api,
        &token_a,
        &[result_change(pending_id, TxResult::Declined, a.base + 600)],
    )
    .await;
    let after = summary(String::new()).await;
    assert_eq!(usd_of(&after, "gross_sales"), "220.00", "{after}");
    assert_eq!(after["currencies"][0]["unknown_count"], 0, "{after}");
    assert_eq!(after["currencies"][0]["declined_count"], 1, "{after}");
    for query in [
        format!("event={event}"),
        format!("device={}", b.device),
        "staff=ben".to_string(),
        "method=card".to_string(),
        "currency=USD&kind=sale".to_string(),
        "result=declined".to_string(),
        format!("event={}", EventId(Uuid::now_v7())),
    ] {
        summary(query).await;
    }
    let only_b = summary(format!("device={}", b.device)).await;
    assert_eq!(usd_of(&only_b, "gross_sales"), "60.00", "{only_b}");
}

#[tokio::test]
async fn text_search_finds_what_a_scan_finds_on_sqlite() {
    text_search_finds_what_a_scan_finds(Kind::Sqlite).await
}

#[tokio::test]
async fn text_search_finds_what_a_scan_finds_on_postgres() {
    text_search_finds_what_a_scan_finds(Kind::Postgres).await
}

/// What a customer, receipt or reference holds, for the expected answers.
struct Sold {
    id: String,
    texts: Vec<String>,
}

async fn text_search_finds_what_a_scan_finds(kind: Kind) {
    let fixture = with_manager(kind, &["Booth 1"]);
    let api = &fixture.api;
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    let mut till = Till::new(EventId(Uuid::now_v7()));
    let token = api.enroll(&fixture.codes[0], till.device).await;

    // More visitors than the index lists by id (so "visitor" is common), and a few rare ones.
    let mut sold = Vec::new();
    let mut records = Vec::new();
    let mut sell = |till: &mut Till, customer: Customer, method: PaymentMethod| {
        let reference = match &method {
            PaymentMethod::External { reference, .. } => Some(reference.clone()),
            _ => None,
        };
        let c = customer.clone();
        let (recs, id) = till.sale_with(usd("10"), method, TxResult::Approved, |d| {
            d.customer = Some(c)
        });
        let Record::Order { order } = &recs[0] else {
            panic!()
        };
        let mut texts = vec![order.receipt.clone()];
        texts.extend(
            [customer.name, customer.email, customer.phone, reference]
                .into_iter()
                .flatten(),
        );
        sold.push(Sold {
            id: id.to_string(),
            texts: texts.iter().map(|t| t.to_lowercase()).collect(),
        });
        records.extend(recs);
    };
    let named = |name: &str| Customer {
        name: Some(name.into()),
        ..Customer::default()
    };
    for i in 0..2100 {
        sell(
            &mut till,
            named(&format!("Fair Visitor {i}")),
            PaymentMethod::Cash,
        );
    }
    sell(
        &mut till,
        Customer {
            name: Some("Zoë Ångström".into()),
            email: Some("zoe@example.org".into()),
            phone: Some("+44 20 7946 0958".into()),
            ..Customer::default()
        },
        card(),
    );
    sell(
        &mut till,
        named("Ada \"Countess\" Lovelace"),
        external("SQ-7F3A%_X"),
    );
    sell(&mut till, named("Grace Hopper"), external("100% paid"));
    push_all(api, &token, &records).await;

    let all_pages = |text: &str| {
        let manager = manager.clone();
        let query = urlencoding(text);
        async move {
            let ids: BTreeSet<String> = api
                .all_transaction_ids(&format!("text={query}&limit=1000"), &manager)
                .await
                .into_iter()
                .collect();
            let summary = api
                .get_json(&format!("/v1/manager/summary?text={query}"), &manager)
                .await;
            (ids, summary)
        }
    };
    for text in [
        "visitor",          // common: every row compared
        "Visitor 42",       // 42, 420–429, 1042, 1420–1429, 2042: the index, any case
        "VISITOR 2099",     // one
        "zoe@example",      // an email
        "7946 09",          // a phone
        "Ångström",         // beyond ASCII, as typed
        "\"Countess\"",     // quotes
        "sq-7f3a%_x",       // a reference with LIKE's own characters
        "100%",             // `%` typed
        "0% p",             // one row, not every row with a 0
        "42",               // two characters: compared row by row
        "B1-000007",        // a receipt
        "nobody like that", // nothing
    ] {
        let needle = text.to_lowercase();
        let expected: BTreeSet<String> = sold
            .iter()
            .filter(|s| s.texts.iter().any(|t| t.contains(&needle)))
            .map(|s| s.id.clone())
            .collect();
        let (found, summary) = all_pages(text).await;
        assert_eq!(found, expected, "{text:?}");
        let count = summary["currencies"]
            .as_array()
            .unwrap()
            .first()
            .map(|c| c["approved_count"].as_u64().unwrap())
            .unwrap_or(0);
        assert_eq!(count, expected.len() as u64, "{text:?}: {summary}");
    }
}

/// `text` as a query string value: every byte but letters and digits percent-encoded.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
