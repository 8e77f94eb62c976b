//! Commissions through a real server process on both backends: rules for a staff member and a
//! referrer (and what is refused), a report for a period that counts refunds, voids and
//! write-offs against the sale they reverse, a re-run after a late refund and a void that says
//! what changed since, an event filter, and the CSV.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::processor::setup_with;
use common::*;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use fairtill_core::order::OrderDraft;
use fairtill_core::Timestamp;
use fairtill_protocol::Record;
use serde_json::{json, Value};

fn mugs(d: &mut OrderDraft, quantity: u32) {
    let mut l = d.lines[0].clone();
    l.sku = "MUG".into();
    l.name = "Blue mug".into();
    l.unit_price = usd("10.00");
    l.quantity = quantity;
    d.lines.push(l);
}

async fn commissions(kind: Kind) {
    let s = setup_with(kind, &[]).await;
    let rule = |body: Value| {
        let s = &s;
        async move {
            s.api
                .post("/v1/manager/commission-rules", Some(&s.manager), body)
                .await
        }
    };
    let refused = [
        (
            json!({ "beneficiary": { "kind": "staff", "name": "ana" }, "rate": "0", "scope": { "type": "all" } }),
            "above 0",
        ),
        (
            json!({ "beneficiary": { "kind": "staff", "name": "ana" }, "rate": "ten", "scope": { "type": "all" } }),
            "not a percentage",
        ),
        (
            json!({ "beneficiary": { "kind": "staff", "name": "ana" }, "rate": "7.125", "scope": { "type": "all" } }),
            "two decimals",
        ),
        (
            json!({ "beneficiary": { "kind": "referrer", "name": " " }, "rate": "5", "scope": { "type": "all" } }),
            "who earns",
        ),
        (
            json!({ "beneficiary": { "kind": "staff", "name": "ana" }, "rate": "5", "scope": { "type": "offer", "offer_id": uuid::Uuid::now_v7() } }),
            "has reached the server",
        ),
    ];
    for (body, says) in refused {
        let (status, answer) = rule(body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    let (status, ana) = rule(json!({ "beneficiary": { "kind": "staff", "name": "Ana" }, "rate": "10", "scope": { "type": "all" } })).await;
    assert_eq!(status, 200, "{ana}");
    let (status, club) = rule(json!({ "beneficiary": { "kind": "referrer", "name": "CLUB7" }, "rate": "5.0", "scope": { "type": "product", "sku": "MUG" } })).await;
    assert_eq!(status, 200, "{club}");
    assert_eq!(club["rate"], "5");
    let (status, old) = rule(json!({ "beneficiary": { "kind": "staff", "name": "ana" }, "rate": "50", "scope": { "type": "all" } })).await;
    assert_eq!(status, 200, "{old}");
    let (status, retired) = s
        .api
        .post(
            &format!(
                "/v1/manager/commission-rules/{}/retire",
                old["id"].as_str().unwrap()
            ),
            Some(&s.manager),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{retired}");
    assert!(retired["retired_at"].is_string());

    let event = EventId(uuid::Uuid::now_v7());
    let mut till = Till::new(event);
    till.device = s.device;
    // 1. Ana sells a 30.00 print to a customer CLUB7 referred (no mug: the referrer's rule is
    //    for mugs only).
    let (o1, sale1) = till.sale_with(usd("30.00"), PaymentMethod::Cash, TxResult::Approved, |d| {
        d.referrer = Some("CLUB7".into());
    });
    // 2. A print and two mugs, referred by CLUB7.
    let (o2, _) = till.sale_with(usd("5.00"), PaymentMethod::Cash, TxResult::Approved, |d| {
        mugs(d, 2);
        d.referrer = Some("club7".into());
    });
    // 3. A 20.00 sale logged from a web shop (voided later as a mistake).
    let (o4, logged) = till.sale_with(
        usd("20.00"),
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#1001".into(),
        },
        TxResult::Approved,
        |_| {},
    );
    // 4. 20.00, half paid, the rest written off.
    let (o5, o5_id) = till.open_order("20.00");
    let half = till.run(Command::Pay(Payment {
        kind: PaymentKind::Sale,
        order_ids: vec![o5_id],
        amount: usd("10.00"),
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        replaces: None,
    }));
    let stamp = till.stamp();
    let written = till
        .ledger
        .execute(
            &Command::WriteOff {
                order: o5_id,
                reason: "left without paying".into(),
            },
            &stamp,
        )
        .unwrap();
    let write_off = written
        .into_iter()
        .find_map(|f| match f {
            Fact::WrittenOff { write_off } => Some(Record::WriteOff { write_off }),
            _ => None,
        })
        .unwrap();
    // 5. Ben's sale: not Ana's.
    till.staff = "ben".into();
    let (o3, _) = till.sale("40.00", PaymentMethod::Cash);
    till.staff = "ana".into();
    for records in [&o1, &o2, &o4, &o5, &half, &vec![write_off], &o3] {
        s.api.push(&s.token, records).await;
    }

    let base = till.base;
    let period = json!({
        "from": Timestamp::from_second(base - 3600).unwrap().to_string(),
        "to": Timestamp::from_second(base + 86_400).unwrap().to_string(),
    });
    let run = |body: Value| {
        let s = &s;
        async move {
            s.api
                .post("/v1/manager/commission-runs", Some(&s.manager), body)
                .await
        }
    };
    let (status, first) = run(period.clone()).await;
    assert_eq!(status, 200, "{first}");
    let total = |run: &Value, who: &str| -> (u64, String, String) {
        let t = run["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["beneficiary"] == who)
            .unwrap();
        (
            t["orders"].as_u64().unwrap(),
            t["net"]["amount"].as_str().unwrap().into(),
            t["commission"]["amount"].as_str().unwrap().into(),
        )
    };
    // Ana: 30 + 25 + 20 + 10 (the written-off half never paid) = 85.00 net, 8.50.
    assert_eq!(
        total(&first, "staff Ana"),
        (4, "85.00".into(), "8.50".into()),
        "{first}"
    );
    // CLUB7: the two mugs, 20.00, at 5 %.
    assert_eq!(
        total(&first, "referrer CLUB7"),
        (1, "20.00".into(), "1.00".into()),
        "{first}"
    );
    assert_eq!(
        first["totals"].as_array().unwrap().len(),
        2,
        "the retired rule and Ben earn nothing here"
    );
    assert!(first["previous"].is_null() && first["changes"] == json!([]));

    // Late: a 10.00 refund of the first sale, and the logged sale voided as a mistake.
    let refund = till.run(Command::Refund {
        parent: sale1,
        strategy: RefundStrategy::Amount {
            amount: usd("10.00"),
        },
        progress: RefundProgress::Complete,
        reason: Some("damaged".into()),
    });
    let void = till.run(Command::Void {
        target: logged,
        reason: Some("entered twice".into()),
    });
    s.api.push(&s.token, &refund).await;
    s.api.push(&s.token, &void).await;
    let (status, second) = run(period.clone()).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["previous"], first["id"]);
    assert_eq!(
        total(&second, "staff Ana"),
        (4, "55.00".into(), "5.50".into()),
        "{second}"
    );
    let changes = second["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{second}");
    let change = |receipt: &str| {
        changes
            .iter()
            .find(|c| c["receipt"] == receipt)
            .unwrap()
            .clone()
    };
    let receipt_of = |records: &[Record]| match &records[0] {
        Record::Order { order } => order.receipt.clone(),
        other => panic!("{other:?}"),
    };
    let c1 = change(&receipt_of(&o1));
    assert_eq!(
        (
            c1["before"]["amount"].as_str(),
            c1["after"]["amount"].as_str()
        ),
        (Some("3.00"), Some("2.00"))
    );
    assert!(
        c1["why"]
            .as_str()
            .unwrap()
            .contains("refunded 10.00 USD since"),
        "{c1}"
    );
    let c4 = change(&receipt_of(&o4));
    assert_eq!(c4["after"]["amount"], "0.00");
    assert!(
        c4["why"]
            .as_str()
            .unwrap()
            .contains("voided 20.00 USD since"),
        "{c4}"
    );
    // Run again with nothing new: nothing changed.
    let (_, third) = run(period.clone()).await;
    assert_eq!(third["changes"], json!([]), "{third}");

    // Another event's period holds none of these orders; a period that ends before it starts
    // is refused.
    let mut other = period.clone();
    other["event_id"] = json!(uuid::Uuid::now_v7());
    let (status, none) = run(other).await;
    assert_eq!((status, none["lines"].clone()), (200, json!([])), "{none}");
    let mut backwards = period.clone();
    backwards["to"] = period["from"].clone();
    let (status, answer) = run(backwards).await;
    assert_eq!(status, 400, "{answer}");

    // The CSV: a line per order and rule, amounts as plain decimals beside their currency.
    let id = second["id"].as_str().unwrap();
    let (status, csv) = s
        .api
        .get(
            &format!("/v1/manager/commission-runs/{id}/csv"),
            Some(&s.manager),
        )
        .await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        csv.starts_with('\u{feff}'),
        "for a spreadsheet: a byte-order mark"
    );
    let (_, plain) = s
        .api
        .get(
            &format!("/v1/manager/commission-runs/{id}/csv?plain=true"),
            Some(&s.manager),
        )
        .await;
    assert_eq!(
        plain,
        csv.trim_start_matches('\u{feff}'),
        "plain: the same, with no mark"
    );
    let rows: Vec<&str> = plain.lines().collect();
    assert_eq!(rows[0], "beneficiary,receipt,order_id,sold_at,currency,rate_percent,sold,paid,voided,refunded,written_off,net_sales,commission");
    assert_eq!(rows.len(), 1 + 5, "{csv}");
    let first_sale = rows
        .iter()
        .find(|r| r.starts_with(&format!("staff Ana,{},", receipt_of(&o1))))
        .unwrap();
    assert!(
        first_sale.ends_with(",USD,10,30.00,30.00,0.00,10.00,0.00,20.00,2.00"),
        "{first_sale}"
    );
    let audit = s
        .api
        .get_json("/v1/manager/audit", &s.manager)
        .await
        .to_string();
    assert!(
        audit.contains("commission_rule_added")
            && audit.contains("commissions_run")
            && audit.contains("commission_rule_retired")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commissions_on_sqlite() {
    commissions(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commissions_on_postgres() {
    commissions(Kind::Postgres).await;
}
