//! Settlement from the processor's API, on both backends, against localstripe and a real server
//! process: charges and a refund made through Fairtill are fetched from the processor's balance
//! and match their ledger transactions by the processor's own ids, with no file; a second
//! fetch finds nothing new; a later charge is fetched alone; the processor's payouts to the bank
//! are listed; a server with no processor says why.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::processor::{apply_changes, customer, on_file, progress, save_card, setup, Setup};
use common::*;
use fairtill_core::ids::{EventId, TxId};
use fairtill_core::ledger::{Command, RefundProgress, RefundStrategy, TxResult};
use fairtill_protocol::{PushOutcome, Record};
use serde_json::{json, Value};

fn tx_of(records: &[Record]) -> TxId {
    records
        .iter()
        .find_map(|r| match r {
            Record::Transaction { transaction } => Some(transaction.id),
            _ => None,
        })
        .unwrap()
}

/// Fetches what the processor settled, as the manager: the answer's status and body.
async fn fetch(s: &Setup, query: &str) -> (u16, Value) {
    s.api
        .post(
            &format!("/v1/manager/settlements/processor{query}"),
            Some(&s.manager),
            json!({}),
        )
        .await
}

/// (state, kind, reference, amount, transaction) of each match.
fn matches(report: &Value) -> Vec<(String, String, String, String, String)> {
    let mut out: Vec<_> = report["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["row"]["line"].as_u64().unwrap(),
                (
                    m["state"].as_str().unwrap().to_string(),
                    m["row"]["kind"].as_str().unwrap().to_string(),
                    m["row"]["reference"].as_str().unwrap().to_string(),
                    m["row"]["amount"]["amount"].as_str().unwrap().to_string(),
                    m["entry"]["id"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    out.sort_by_key(|(line, _)| *line);
    out.into_iter().map(|(_, m)| m).collect()
}

async fn settles(kind: Kind) {
    let s = setup(kind).await;
    let event = EventId(uuid::Uuid::now_v7());
    let mut till = Till::new(event);
    till.device = s.device;
    till.base = fairtill_core::Timestamp::now().as_second();
    let ada = customer(s.device, "Ada Lovelace");
    s.api
        .push(
            &s.token,
            &[Record::Customer {
                customer: ada.clone(),
            }],
        )
        .await;
    let card = save_card(&s, ada.id, "4242424242424242").await;
    let mut charged = Vec::new();
    for price in ["25.00", "12.00"] {
        let (records, tx) = till.sale_with(usd(price), on_file(&card), TxResult::Unknown, |_| {});
        assert!(s
            .api
            .push(&s.token, &records)
            .await
            .iter()
            .all(|o| *o == PushOutcome::Stored));
        assert_eq!(progress(&s, tx).await["result"], "approved");
        charged.push(tx);
    }
    apply_changes(&mut till, &s.api.pull(&s.token, event).await);
    let refund = till.run(Command::Refund {
        parent: charged[0],
        strategy: RefundStrategy::Amount {
            amount: usd("5.00"),
        },
        progress: RefundProgress::Pending,
        reason: Some("scratched".into()),
    });
    let refund_tx = tx_of(&refund);
    s.api.push(&s.token, &refund).await;
    assert_eq!(progress(&s, refund_tx).await["result"], "approved");

    let (status, report) = fetch(&s, "").await;
    assert_eq!(status, 200, "{report}");
    assert!(report["import"]["file_name"]
        .as_str()
        .unwrap()
        .starts_with("Stripe balance, "));
    let got = matches(&report);
    assert_eq!(got.len(), 3, "{report:#}");
    let mut intents = Vec::new();
    for tx in &charged {
        let made = s.ls.made_for("/v1/payment_intents", tx).await;
        intents.push(made[0]["id"].as_str().unwrap().to_string());
    }
    let refund_id = s.ls.made_for("/v1/refunds", refund_tx).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let want = vec![
        (
            "matched".to_string(),
            "payment".to_string(),
            intents[0].clone(),
            "25.00".to_string(),
            charged[0].to_string(),
        ),
        (
            "matched".into(),
            "payment".into(),
            intents[1].clone(),
            "12.00".into(),
            charged[1].to_string(),
        ),
        (
            "matched".into(),
            "refund".into(),
            refund_id,
            "5.00".into(),
            refund_tx.to_string(),
        ),
    ];
    // All three in the same second: in any order.
    let (mut got, mut want) = (got, want);
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(report["unmatched_rows"].as_array().unwrap().is_empty());

    // Nothing new: said, and nothing imported.
    let (status, body) = fetch(&s, "").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("nothing new"),
        "{body}"
    );

    // A later charge is fetched alone.
    let (records, later) = till.sale_with(usd("7.50"), on_file(&card), TxResult::Unknown, |_| {});
    s.api.push(&s.token, &records).await;
    assert_eq!(progress(&s, later).await["result"], "approved");
    let (status, report) = fetch(&s, "?window_hours=24").await;
    assert_eq!(status, 200, "{report}");
    let got = matches(&report);
    assert_eq!(got.len(), 1, "{report:#}");
    assert_eq!(
        (got[0].0.as_str(), got[0].3.as_str(), got[0].4.clone()),
        ("matched", "7.50", later.to_string())
    );
    let imports = s.api.get_json("/v1/manager/settlements", &s.manager).await;
    assert_eq!(imports.as_array().unwrap().len(), 2);
    let (status, _) = fetch(&s, "?window_hours=0").await;
    assert_eq!(status, 400);
    // The processor's payouts to the bank, as it lists them (localstripe makes them only by
    // hand, in euros).
    let made = s
        .api
        .http
        .post(format!("{}/v1/payouts", s.ls.url))
        .bearer_auth(fairtill_testkit::TEST_KEY)
        .form(&[("amount", "3150"), ("currency", "eur")])
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "{}", made.text().await.unwrap());
    let payouts = s.api.get_json("/v1/manager/payouts", &s.manager).await;
    let payouts = payouts.as_array().unwrap();
    assert_eq!(payouts.len(), 1, "{payouts:?}");
    assert_eq!(payouts[0]["amount"]["amount"], "31.50");
    assert_eq!(payouts[0]["amount"]["currency"], "EUR");
    assert_eq!(payouts[0]["state"], "pending");
    let arrival: fairtill_core::Timestamp =
        payouts[0]["arrival"].as_str().unwrap().parse().unwrap();
    assert!(
        arrival > fairtill_core::Timestamp::now(),
        "arrives later: {arrival}"
    );
}

#[tokio::test]
async fn processor_settlement_on_sqlite() {
    settles(Kind::Sqlite).await;
}

#[tokio::test]
async fn processor_settlement_on_postgres() {
    settles(Kind::Postgres).await;
}

#[tokio::test]
async fn no_processor_no_fetch() {
    let f = with_manager(Kind::Sqlite, &[]);
    let token = f.api.login("alex", MANAGER_PASSWORD).await;
    let (status, body) = f
        .api
        .post("/v1/manager/settlements/processor", Some(&token), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no card processor"),
        "{body}"
    );
    let (status, _) = f.api.get("/v1/manager/payouts", Some(&token)).await;
    assert_eq!(status, 409);
}
