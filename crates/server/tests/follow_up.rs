//! Charges the server makes on its own, on both backends, against localstripe and a real
//! server process: a manager schedules an order's balance for tomorrow (nothing is charged),
//! moves it to now (it is charged once), cancels another; a scheduled charge that is declined
//! is followed up on the retry schedule, queues the customer's message with their
//! update-your-card link, and is recovered when the customer saves a new card there (and the
//! manager finds the customer and their whole record); an offline charge whose customer's
//! account was closed at the processor stops at that hard decline until a manager ends it; a
//! decline at the counter (the customer there) starts no follow-up.
//!
//! localstripe declines only with `card_declined` (a soft decline) and has no "lost card"
//! test number: the hard decline here is the processor refusing to charge a customer whose
//! account is gone, which no retry can fix either.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::processor::{customer, on_file, progress, save_card, setup_with, Setup};
use common::*;
use fairtill_core::ids::{EventId, OrderId};
use fairtill_core::ledger::TxResult;
use fairtill_core::Timestamp;
use fairtill_protocol::{PushOutcome, Record};
use serde_json::{json, Value};

/// Attempts 2 s and 60 s after the first decline, then one more at 120 s.
const RETRIES: &str = "2s,60s,120s";

async fn push_all(s: &Setup, records: &[Record]) {
    let outcomes = s.api.push(&s.token, records).await;
    assert!(
        outcomes.iter().all(|o| *o == PushOutcome::Stored),
        "{outcomes:?}"
    );
}

async fn patch(s: &Setup, path: &str, body: Value) -> (u16, Value) {
    s.api.patch(path, &s.manager, body).await
}

fn at(offset_secs: i64) -> String {
    Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(offset_secs))
        .unwrap()
        .to_string()
}

async fn schedules(s: &Setup) -> Vec<Value> {
    let all = s
        .api
        .get_json("/v1/manager/scheduled-charges?all=true", &s.manager)
        .await;
    all.as_array().unwrap().clone()
}

async fn schedule_of(s: &Setup, id: &Value) -> Value {
    schedules(s)
        .await
        .into_iter()
        .find(|p| p["id"] == *id)
        .unwrap()
}

/// The follow-up of `order`, once it satisfies `done` (within about 20 s).
async fn follow_up_until(s: &Setup, order: OrderId, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..80 {
        let all = s
            .api
            .get_json("/v1/manager/follow-ups?all=true", &s.manager)
            .await;
        if let Some(f) = all
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["order_id"] == order.to_string())
        {
            if done(f) {
                return f.clone();
            }
            last = f.clone();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the follow-up of {order} never got there: {last:#}");
}

fn results(f: &Value) -> Vec<String> {
    f["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap().to_string())
        .collect()
}

/// Intents at the processor for the given ledger transactions' order, by status.
async fn intents_of(s: &Setup, f: &Value) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for a in f["attempts"].as_array().unwrap() {
        let tx = a["transaction_id"].as_str().unwrap();
        for i in s.ls.made_for("/v1/payment_intents", tx).await {
            out.push((
                i["amount"].as_i64().unwrap(),
                i["status"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

async fn scheduled_charges(kind: Kind) {
    let s = setup_with(kind, &[("FAIRTILL_RETRY_SCHEDULE", RETRIES)]).await;
    let event = EventId(uuid::Uuid::now_v7());
    let mut till = Till::new(event);
    till.device = s.device;
    let mia = customer(s.device, "Mia Wong");
    push_all(
        &s,
        &[Record::Customer {
            customer: mia.clone(),
        }],
    )
    .await;
    let visa = save_card(&s, mia.id, "4242424242424242").await;
    let (records, order) = till.open_order("30.00");
    push_all(&s, &records).await;

    // Scheduled for tomorrow: nothing is charged today.
    let path = format!("/v1/manager/orders/{order}/scheduled-charges");
    let (status, plan) = s
        .api
        .post(
            &path,
            Some(&s.manager),
            json!({ "customer_id": mia.id, "charge_at": at(86_400) }),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["state"], "scheduled");
    assert_eq!(plan["card_id"], visa.id.as_str(), "her newest card");
    assert_eq!(plan["balance_due"]["amount"], "30.00", "{plan}");
    assert_eq!(plan["customer_name"], "Mia Wong");
    // One at a time per order, and only of what the customer has saved.
    let (status, body) = s
        .api
        .post(
            &path,
            Some(&s.manager),
            json!({ "customer_id": mia.id, "charge_at": at(60) }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("already has a scheduled charge"));
    let (status, body) = s
        .api
        .post(
            &format!(
                "/v1/manager/orders/{}/scheduled-charges",
                till.open_order("5.00").1
            ),
            Some(&s.manager),
            json!({ "customer_id": mia.id, "charge_at": at(60) }),
        )
        .await;
    assert_eq!(status, 404, "an order the server never received: {body}");
    let (records, other) = till.open_order("12.00");
    push_all(&s, &records).await;
    let (status, body) = s
        .api
        .post(
            &format!("/v1/manager/orders/{other}/scheduled-charges"),
            Some(&s.manager),
            json!({ "customer_id": mia.id, "card_id": "pm_not_hers", "charge_at": at(60) }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("not one of this customer's saved cards"));
    let (status, _) = s
        .api
        .post(
            &path,
            None,
            json!({ "customer_id": mia.id, "charge_at": at(60) }),
        )
        .await;
    assert_eq!(status, 401);

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let waiting = schedule_of(&s, &plan["id"]).await;
    assert_eq!(waiting["state"], "scheduled", "{waiting}");
    assert!(waiting["transaction_id"].is_null());
    assert!(
        s.ls.all("/v1/payment_intents").await.is_empty(),
        "nothing charged before its day"
    );

    // A manager moves it to now: the server charges the balance once, on its own.
    let (status, moved) = patch(
        &s,
        &format!(
            "/v1/manager/scheduled-charges/{}",
            plan["id"].as_str().unwrap()
        ),
        json!({ "charge_at": at(-1) }),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let mut charged = Value::Null;
    for _ in 0..40 {
        charged = schedule_of(&s, &plan["id"]).await;
        if charged["result"] == "approved" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(charged["state"], "charged", "{charged}");
    assert_eq!(charged["result"], "approved", "{charged}");
    assert_eq!(charged["balance_due"]["amount"], "0.00");
    let tx = charged["transaction_id"].as_str().unwrap();
    let made = s.ls.made_for("/v1/payment_intents", tx).await;
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0]["amount"].as_i64(), made[0]["status"].as_str()),
        (Some(3000), Some("succeeded"))
    );
    let view = s
        .api
        .get_json(&format!("/v1/manager/orders/{order}"), &s.manager)
        .await;
    assert_eq!(view["view"]["status"], "paid", "{view}");
    // The tills see the server's charge and its answer.
    let pulled = s.api.pull(&s.token, event).await;
    assert!(pulled.iter().any(
        |r| matches!(r, Record::Transaction { transaction } if transaction.id.to_string() == tx)
    ));
    // Once made, it cannot be moved or canceled.
    let (status, body) = patch(
        &s,
        &format!(
            "/v1/manager/scheduled-charges/{}",
            plan["id"].as_str().unwrap()
        ),
        json!({ "charge_at": at(60) }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("charged"),
        "{body}"
    );

    // Another, canceled before its day: never charged.
    let (status, second) = s
        .api
        .post(
            &format!("/v1/manager/orders/{other}/scheduled-charges"),
            Some(&s.manager),
            json!({ "customer_id": mia.id, "charge_at": at(3) }),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let cancel = format!(
        "/v1/manager/scheduled-charges/{}/cancel",
        second["id"].as_str().unwrap()
    );
    let (status, canceled) = s.api.post(&cancel, Some(&s.manager), json!({})).await;
    assert_eq!(status, 200, "{canceled}");
    assert_eq!(canceled["state"], "canceled");
    let (status, _) = s.api.post(&cancel, Some(&s.manager), json!({})).await;
    assert_eq!(status, 400);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let later = schedule_of(&s, &second["id"]).await;
    assert_eq!(
        (later["state"].as_str(), later["transaction_id"].as_str()),
        (Some("canceled"), None)
    );
    assert_eq!(
        s.ls.all("/v1/payment_intents").await.len(),
        1,
        "only the first was charged"
    );
    let waiting = s
        .api
        .get_json("/v1/manager/scheduled-charges", &s.manager)
        .await;
    assert!(
        waiting.as_array().unwrap().is_empty(),
        "none waits now: {waiting}"
    );

    let audit = s
        .api
        .get_json("/v1/manager/audit", &s.manager)
        .await
        .to_string();
    for action in [
        "schedule_charge",
        "reschedule_charge",
        "cancel_scheduled_charge",
    ] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}

async fn follow_up_recovers(kind: Kind) {
    let s = setup_with(kind, &[("FAIRTILL_RETRY_SCHEDULE", RETRIES)]).await;
    let event = EventId(uuid::Uuid::now_v7());
    let mut till = Till::new(event);
    till.device = s.device;
    let leo = customer(s.device, "Leo Park");
    push_all(
        &s,
        &[Record::Customer {
            customer: leo.clone(),
        }],
    )
    .await;
    // A card that is saved but declined when charged.
    save_card(&s, leo.id, "4000000000000341").await;
    let (records, order) = till.open_order("20.00");
    push_all(&s, &records).await;
    let (status, plan) = s
        .api
        .post(
            &format!("/v1/manager/orders/{order}/scheduled-charges"),
            Some(&s.manager),
            json!({ "customer_id": leo.id, "charge_at": at(-1) }),
        )
        .await;
    assert_eq!(status, 200, "{plan}");

    // Declined: the follow-up begins, and the customer's message is queued with their link.
    let f = follow_up_until(&s, order, |f| !f["attempts"].as_array().unwrap().is_empty()).await;
    assert_eq!(f["customer_name"], "Leo Park");
    assert_eq!(results(&f), ["declined"]);
    let notes = f["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{f:#}");
    assert_eq!(notes[0]["state"], "queued");
    assert_eq!(notes[0]["email"], "leo@example.com");
    assert!(notes[0]["subject"].as_str().unwrap().contains("declined"));
    let body = notes[0]["body"].as_str().unwrap();
    assert!(body.contains("20.00"), "{body}");
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/update-card/"))
        .unwrap();
    let link = &link[link.find("/update-card/").unwrap()..];

    // The first retry, 2 s later, is declined too (a new transaction, a new intent); the next
    // waits for its time.
    let f = follow_up_until(&s, order, |f| {
        results(f) == ["declined", "declined"] && f["state"] == "retrying"
    })
    .await;
    let started = f["started_at"]
        .as_str()
        .unwrap()
        .parse::<Timestamp>()
        .unwrap();
    let next = f["next_at"].as_str().unwrap().parse::<Timestamp>().unwrap();
    assert_eq!(next.duration_since(started).as_secs(), 60, "{f:#}");
    assert_eq!(f["balance_due"]["amount"], "20.00");

    // The customer opens the link and saves another card in the processor's form.
    let (status, page) = s.api.get(link, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Update your card"), "{page}");
    assert!(page.contains("/js.stripe.com/v3/"));
    let secret_at = page.find("seti_").unwrap();
    let secret: String = page[secret_at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(secret.contains("_secret_"), "{secret}");
    let setup = secret.split("_secret_").next().unwrap();
    assert!(page.contains(&format!("/card-form/{setup}/finish")));
    let filled = s.ls.fill_card_form(&secret, "4242424242424242").await;
    assert_eq!(filled["status"], "succeeded", "{filled}");
    let (status, card) = s
        .api
        .post(&format!("/card-form/{setup}/finish"), None, json!({}))
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["last4"], "4242");

    // The next attempt is made at once, with the new card, and is approved.
    let f = follow_up_until(&s, order, |f| f["state"] == "recovered").await;
    assert_eq!(results(&f), ["declined", "declined", "approved"]);
    assert_eq!(f["balance_due"]["amount"], "0.00");
    assert_eq!(
        f["notifications"][0]["state"], "withdrawn",
        "not sent once recovered"
    );
    assert!(f["next_at"].is_null());
    let intents = intents_of(&s, &f).await;
    assert_eq!(
        intents
            .iter()
            .map(|(a, st)| (*a, st.as_str()))
            .collect::<Vec<_>>(),
        [
            (2000, "requires_payment_method"),
            (2000, "requires_payment_method"),
            (2000, "succeeded")
        ],
        "one intent per attempt"
    );
    let view = s
        .api
        .get_json(&format!("/v1/manager/orders/{order}"), &s.manager)
        .await;
    assert_eq!(view["view"]["status"], "paid");
    // The link is spent, and no open follow-up is listed.
    assert_eq!(s.api.get(link, None).await.0, 404);
    let open = s.api.get_json("/v1/manager/follow-ups", &s.manager).await;
    assert!(open.as_array().unwrap().is_empty(), "{open}");

    // The manager finds Leo by part of his name, email or phone, in any case, and opens his
    // record: his card now, the order with every attempt, the follow-up that recovered it.
    for q in ["leo", "LEO%40example", "30%201234", "park"] {
        let found = s
            .api
            .get_json(&format!("/v1/manager/customers?q={q}"), &s.manager)
            .await;
        let found = found.as_array().unwrap();
        assert_eq!(found.len(), 1, "{q}: {found:?}");
        assert_eq!(found[0]["name"], "Leo Park");
        assert_eq!(
            (
                found[0]["cards"].as_u64(),
                found[0]["open_follow_ups"].as_u64()
            ),
            (Some(1), Some(0))
        );
    }
    let none = s
        .api
        .get_json("/v1/manager/customers?q=100%25", &s.manager)
        .await;
    assert!(
        none.as_array().unwrap().is_empty(),
        "a % is a character, not a wildcard: {none}"
    );
    let record = s
        .api
        .get_json(&format!("/v1/manager/customers/{}", leo.id), &s.manager)
        .await;
    assert_eq!(record["customer"]["details"]["email"], "leo@example.com");
    let cards = record["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["last4"], "4242");
    let orders = record["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{record:#}");
    assert_eq!(orders[0]["order"]["id"], order.to_string());
    assert_eq!(orders[0]["status"], "paid");
    assert_eq!(orders[0]["transactions"].as_array().unwrap().len(), 3);
    assert_eq!(record["follow_ups"][0]["state"], "recovered");
    let (status, _) = s
        .api
        .get(
            &format!("/v1/manager/customers/{}", uuid::Uuid::now_v7()),
            Some(&s.manager),
        )
        .await;
    assert_eq!(status, 404);
}

async fn follow_up_stops(kind: Kind) {
    let s = setup_with(kind, &[("FAIRTILL_RETRY_SCHEDULE", RETRIES)]).await;
    let event = EventId(uuid::Uuid::now_v7());
    // This till's records are from months ago: it charged while offline.
    let mut offline = Till::new(event);
    offline.device = s.device;
    let zoe = customer(s.device, "Zoe Brandt");
    push_all(
        &s,
        &[Record::Customer {
            customer: zoe.clone(),
        }],
    )
    .await;
    let card = save_card(&s, zoe.id, "4000000000000341").await;
    let (records, declined) =
        offline.sale_with(usd("15.00"), on_file(&card), TxResult::Unknown, |_| {});
    let order = match &records[0] {
        Record::Order { order } => order.id,
        other => panic!("{other:?}"),
    };
    push_all(&s, &records).await;
    assert_eq!(progress(&s, declined).await["result"], "declined");
    let f = follow_up_until(&s, order, |f| f["state"] == "retrying").await;
    assert_eq!(results(&f), ["declined"]);

    // Her account is closed at the processor before the retry: the card can never be charged
    // again, so the follow-up stops there instead of trying it again.
    let account =
        s.ls.all("/v1/customers")
            .await
            .into_iter()
            .find(|c| c["email"] == "zoe@example.com")
            .unwrap();
    let res = s
        .api
        .http
        .delete(format!(
            "{}/v1/customers/{}",
            s.ls.url,
            account["id"].as_str().unwrap()
        ))
        .bearer_auth(fairtill_testkit::TEST_KEY)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let f = follow_up_until(&s, order, |f| f["state"] == "hard_decline").await;
    assert_eq!(results(&f), ["declined", "declined"]);
    assert!(f["next_at"].is_null());
    assert!(
        f["last_reason"].as_str().unwrap().contains("refused"),
        "{f:#}"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let f = follow_up_until(&s, order, |_| true).await;
    assert_eq!(
        results(&f).len(),
        2,
        "no attempt after a hard decline: {f:#}"
    );

    // A manager ends it: it is no longer open, and its link no longer works.
    let link = f["notifications"][0]["body"].as_str().unwrap().to_string();
    let link = &link[link.find("/update-card/").unwrap()..]
        .trim()
        .to_string();
    let end = format!("/v1/manager/follow-ups/{}/end", f["id"].as_str().unwrap());
    let (status, ended) = s.api.post(&end, Some(&s.manager), json!({})).await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(
        (ended["state"].as_str(), ended["ended_by"].as_str()),
        (Some("ended"), Some("alex"))
    );
    let (status, body) = s.api.post(&end, Some(&s.manager), json!({})).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("already ended"));
    assert_eq!(s.api.get(link, None).await.0, 404);
    let one = s
        .api
        .get_json(
            &format!("/v1/manager/follow-ups/{}", f["id"].as_str().unwrap()),
            &s.manager,
        )
        .await;
    assert_eq!(one["state"], "ended");
    assert!(s
        .api
        .get_json("/v1/manager/audit", &s.manager)
        .await
        .to_string()
        .contains("end_follow_up"));

    // Declined at the counter, with the customer there to pay another way: no follow-up.
    let mut counter = Till::new(event);
    counter.device = s.device;
    counter.base = Timestamp::now().as_second();
    let ada = customer(s.device, "Ada Kim");
    push_all(
        &s,
        &[Record::Customer {
            customer: ada.clone(),
        }],
    )
    .await;
    let fresh = save_card(&s, ada.id, "4000000000000341").await;
    let (records, at_counter) =
        counter.sale_with(usd("9.00"), on_file(&fresh), TxResult::Unknown, |_| {});
    push_all(&s, &records).await;
    assert_eq!(progress(&s, at_counter).await["result"], "declined");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = s
        .api
        .get_json("/v1/manager/follow-ups?all=true", &s.manager)
        .await;
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "only the offline charge's: {all:#}"
    );
}

#[tokio::test]
async fn scheduled_charges_on_sqlite() {
    scheduled_charges(Kind::Sqlite).await;
}

#[tokio::test]
async fn scheduled_charges_on_postgres() {
    scheduled_charges(Kind::Postgres).await;
}

#[tokio::test]
async fn follow_up_recovers_on_sqlite() {
    follow_up_recovers(Kind::Sqlite).await;
}

#[tokio::test]
async fn follow_up_recovers_on_postgres() {
    follow_up_recovers(Kind::Postgres).await;
}

#[tokio::test]
async fn follow_up_stops_on_sqlite() {
    follow_up_stops(Kind::Sqlite).await;
}

#[tokio::test]
async fn follow_up_stops_on_postgres() {
    follow_up_stops(Kind::Postgres).await;
}
