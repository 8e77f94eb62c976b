//! The server's story, over real HTTP against a real `fairtill-server` process: enrollment,
//! idempotent pushes, pulls across devices, conflicts raised (not refused), bad input and
//! revoked or forged tokens refused, and nothing lost across a restart.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::ids::{EventId, TxId};
use fairtill_core::ledger::*;
use fairtill_protocol::*;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_day_of_two_devices_syncing_on_sqlite() {
    a_day_of_two_devices_syncing(Kind::Sqlite).await
}

#[tokio::test]
async fn a_day_of_two_devices_syncing_on_postgres() {
    a_day_of_two_devices_syncing(Kind::Postgres).await
}

async fn a_day_of_two_devices_syncing(kind: Kind) {
    let db = Db::new(kind);
    let code_a = new_code(&db, "Booth 1");
    let code_b = new_code(&db, "Booth 2");
    let server = serve(&db);
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);

    // Enrollment: a code works once; a wrong code or a missing version header is refused.
    let token_a = api.enroll(&code_a.to_lowercase(), a.device).await;
    let (status, body) = api
        .post(
            "/v1/enroll",
            None,
            json!({ "code": code_a, "device_id": b.device, "device_code": "B2" }),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body["message"].as_str().unwrap().contains("already used"));
    let (status, _) = api
        .post(
            "/v1/enroll",
            None,
            json!({ "code": "NOPE-NOPE-NOPE", "device_id": b.device, "device_code": "B2" }),
        )
        .await;
    assert_eq!(status, 401);
    let res = api
        .http
        .post(format!("{}/v1/push", api.url))
        .bearer_auth(&token_a)
        .json(&json!({ "records": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["code"], "client_too_old",
        "no version header: an app older than the header"
    );
    let res = api
        .http
        .post(format!("{}/v1/push", api.url))
        .header(
            API_VERSION_HEADER,
            (fairtill_protocol::API_VERSION + 1).to_string(),
        )
        .bearer_auth(&token_a)
        .json(&json!({ "records": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "server_too_old");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("update the server"));
    // A second enrollment of the same till is a conflict, said as one.
    let (status, body) = api
        .post(
            "/v1/enroll",
            None,
            json!({ "code": code_b.clone(), "device_id": a.device, "device_code": "A1" }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let token_b = api.enroll(&code_b, b.device).await;

    // A sells; pushing twice stores once.
    let (sale, sale_id) = a.sale("100.00", PaymentMethod::Cash);
    assert_eq!(
        api.push(&token_a, &sale).await,
        vec![PushOutcome::Stored, PushOutcome::Stored]
    );
    assert_eq!(
        api.push(&token_a, &sale).await,
        vec![PushOutcome::AlreadyHad, PushOutcome::AlreadyHad]
    );

    // B pulls A's sale (same event), and both refund 60 of it while offline.
    let pulled = api.pull(&token_b, event).await;
    assert_eq!(pulled, sale, "B sees A's order and sale, exactly as pushed");
    assert!(
        api.pull(&token_a, event).await.is_empty(),
        "a device is not sent its own records"
    );
    b.learn(&pulled);
    let refund = |t: &mut Till| {
        t.run(Command::Refund {
            parent: sale_id,
            strategy: RefundStrategy::Amount { amount: usd("60") },
            progress: RefundProgress::Complete,
            reason: None,
        })
    };
    let refund_a = refund(&mut a);
    let refund_b = refund(&mut b);
    assert_eq!(
        api.push(&token_a, &refund_a).await,
        vec![PushOutcome::Stored]
    );
    let outcome = api.push(&token_b, &refund_b).await;
    let PushOutcome::StoredWithConflict { reason, .. } = &outcome[0] else {
        panic!("expected a conflict, got {outcome:?}")
    };
    assert!(
        reason.contains("120.00 USD") && reason.contains("100.00 USD"),
        "{reason}"
    );
    for token in [&token_a, &token_b] {
        let res = api
            .http
            .get(format!("{}/v1/status", api.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status: DeviceStatus = res.json().await.unwrap();
        assert_eq!(
            status.open_conflicts, 1,
            "the conflict concerns both devices"
        );
    }

    // The same external reference logged at two booths, and an offer name taken twice.
    let (logged_a, _) = a.sale(
        "30.00",
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#77".into(),
        },
    );
    let (logged_b, _) = b.sale(
        "30.00",
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#77".into(),
        },
    );
    assert_eq!(
        api.push(&token_a, &logged_a).await,
        vec![PushOutcome::Stored, PushOutcome::Stored]
    );
    assert!(matches!(
        api.push(&token_b, &logged_b).await[1],
        PushOutcome::StoredWithConflict { .. }
    ));
    assert_eq!(
        api.push(&token_a, &[offer("Two mugs")]).await,
        vec![PushOutcome::Stored]
    );
    assert!(matches!(
        api.push(&token_b, &[offer("two mugs")]).await[0],
        PushOutcome::StoredWithConflict { .. }
    ));
    let offers_for_b: Vec<Record> = api
        .pull(&token_b, event)
        .await
        .into_iter()
        .filter(|r| matches!(r, Record::Offer { .. }))
        .collect();
    assert_eq!(offers_for_b.len(), 1, "B receives A's offer");

    // A malformed record is refused with a reason; the others in the batch are stored.
    let (good, _) = a.sale("5.00", PaymentMethod::Cash);
    let Record::Transaction { transaction } = &good[1] else {
        panic!()
    };
    let mut bad = transaction.clone();
    bad.id = TxId(Uuid::now_v7());
    bad.history.push(bad.history[0].clone());
    let outcomes = api
        .push(
            &token_a,
            &[
                good[0].clone(),
                Record::Transaction { transaction: bad },
                good[1].clone(),
            ],
        )
        .await;
    assert!(
        matches!(&outcomes[1], PushOutcome::Invalid { reason } if reason.contains("first result")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2], PushOutcome::Stored);

    // Bad requests: malformed JSON, wrong precision, too many records.
    let res = api
        .http
        .post(format!("{}/v1/push", api.url))
        .header(
            API_VERSION_HEADER,
            fairtill_protocol::API_VERSION.to_string(),
        )
        .bearer_auth(&token_a)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let mut value = serde_json::to_value(&good[1]).unwrap();
    value["transaction"]["amount"] = json!({ "amount": "1.005", "currency": "USD" });
    let (status, body) = api
        .post("/v1/push", Some(&token_a), json!({ "records": [value] }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("decimal places"),
        "{body}"
    );
    value["transaction"]["amount"] = json!({ "amount": "1.00", "currency": "ZZZ" });
    let (status, body) = api
        .post("/v1/push", Some(&token_a), json!({ "records": [value] }))
        .await;
    assert_eq!(status, 400, "an unknown currency: {body}");
    assert!(body["message"].as_str().unwrap().contains("ZZZ"), "{body}");
    value["transaction"]["amount"] = json!(100);
    let (status, body) = api
        .post("/v1/push", Some(&token_a), json!({ "records": [value] }))
        .await;
    assert_eq!(
        status, 400,
        "a number where an amount object belongs: {body}"
    );
    let huge = "x".repeat(MAX_BODY_BYTES + 1);
    let (status, body) = api
        .post(
            "/v1/push",
            Some(&token_a),
            json!({ "records": [], "padding": huge }),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("smaller"),
        "{body}"
    );
    let many: Vec<Record> = (0..MAX_BATCH + 1)
        .map(|i| offer(&format!("Offer {i}")))
        .collect();
    let (status, _) = api
        .post("/v1/push", Some(&token_a), json!({ "records": many }))
        .await;
    assert_eq!(status, 413);

    // Out of order: two full refunds of a sale reach the server before the sale itself; the
    // conflict is raised when the sale arrives.
    let (late_sale, late_id) = a.sale("10.00", PaymentMethod::Cash);
    b.learn(&late_sale);
    let full = |t: &mut Till| {
        t.run(Command::Refund {
            parent: late_id,
            strategy: RefundStrategy::Full,
            progress: RefundProgress::Complete,
            reason: None,
        })
    };
    let (refund_late_a, refund_late_b) = (full(&mut a), full(&mut b));
    assert_eq!(
        api.push(&token_b, &refund_late_b).await,
        vec![PushOutcome::Stored]
    );
    assert_eq!(
        api.push(&token_a, &refund_late_a).await,
        vec![PushOutcome::Stored]
    );
    let outcomes = api.push(&token_a, &late_sale).await;
    assert!(
        matches!(&outcomes[1], PushOutcome::StoredWithConflict { reason, .. } if reason.contains("20.00 USD")),
        "{outcomes:?}"
    );

    // Revoked and forged tokens are refused at once.
    let (status, _) = api
        .post("/v1/push", Some("forged-token"), json!({ "records": [] }))
        .await;
    assert_eq!(status, 401);
    let listed = cli(&db, &["device", "list"]);
    assert!(
        listed.contains("Booth 1") && listed.contains("Booth 2"),
        "{listed}"
    );
    cli(&db, &["device", "revoke", &b.device.to_string()]);
    let (status, body) = api
        .post("/v1/push", Some(&token_b), json!({ "records": [] }))
        .await;
    assert_eq!(status, 401, "{body}");

    // Restarted, the server has everything: re-pushing stores nothing new.
    drop(server);
    let server = serve(&db);
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };
    assert_eq!(
        api.push(&token_a, &sale).await,
        vec![PushOutcome::AlreadyHad, PushOutcome::AlreadyHad]
    );
    assert_eq!(
        api.push(&token_a, &refund_a).await,
        vec![PushOutcome::AlreadyHad]
    );
}
