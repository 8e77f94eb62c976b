//! Many devices at once: 20 devices pushing concurrently on each backend, and on PostgreSQL
//! two server processes sharing one database. Every record is stored once, positions have no
//! gaps, and a device pulling while the others push never skips a record.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::*;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::PaymentMethod;
use fairtill_protocol::*;
use serde_json::json;
use uuid::Uuid;

const DEVICES: usize = 20;
const SALES: usize = 30;

async fn pull_all(api: &Api, token: &str, event: EventId, cursor: &mut String) -> Vec<Record> {
    let mut out = Vec::new();
    loop {
        let (status, body) = api
            .post(
                "/v1/pull",
                Some(token),
                json!({ "event_id": event, "cursor": cursor, "limit": 200 }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let page: PullResponse = serde_json::from_value(body).unwrap();
        out.extend(page.records);
        *cursor = page.cursor;
        if !page.more {
            return out;
        }
    }
}

async fn many_devices(db: &Db, servers: &[Server]) {
    let apis: Vec<Api> = servers
        .iter()
        .map(|s| Api {
            http: http(),
            url: s.url.clone(),
        })
        .collect();
    let event = EventId(Uuid::now_v7());
    // An observer device pulls the event while everyone pushes.
    let observer = Till::new(event);
    let observer_token = apis[0]
        .enroll(&new_code(db, "Observer"), observer.device)
        .await;
    let mut pushers = Vec::new();
    for i in 0..DEVICES {
        let api = Api {
            http: http(),
            url: apis[i % apis.len()].url.clone(),
        };
        let mut till = Till::new(event);
        let token = api
            .enroll(&new_code(db, &format!("Booth {i}")), till.device)
            .await;
        pushers.push(tokio::spawn(async move {
            let mut records = Vec::new();
            for k in 0..SALES {
                let (sale, _) = till.sale(&format!("{}.00", k + 1), PaymentMethod::Cash);
                records.extend(sale);
            }
            // Three batches, and the second sent twice (a retry after a lost answer).
            let third = records.len() / 3;
            for chunk in [
                &records[..third],
                &records[third..2 * third],
                &records[third..],
            ] {
                api.push(&token, chunk).await;
            }
            records.len()
        }));
    }
    let observe = {
        let api = Api {
            http: http(),
            url: apis[apis.len() - 1].url.clone(),
        };
        let token = observer_token.clone();
        tokio::spawn(async move {
            let mut cursor = String::new();
            let mut seen = Vec::new();
            for _ in 0..40 {
                seen.extend(pull_all(&api, &token, event, &mut cursor).await);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            (seen, cursor)
        })
    };
    let mut sent = 0;
    for p in pushers {
        sent += p.await.unwrap();
    }
    let (mut seen, mut cursor) = observe.await.unwrap();
    seen.extend(pull_all(&apis[0], &observer_token, event, &mut cursor).await);

    assert_eq!(sent, DEVICES * SALES * 2);
    let keys: Vec<RecordKey> = seen.iter().map(Record::key).collect();
    let unique: BTreeSet<&RecordKey> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "no record pulled twice");
    assert_eq!(
        keys.len(),
        sent,
        "the observer, pulling during the pushes, missed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_devices_push_at_once_on_sqlite() {
    let db = Db::new(Kind::Sqlite);
    let server = serve(&db);
    many_devices(&db, std::slice::from_ref(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_devices_push_at_once_on_postgres() {
    let db = Db::new(Kind::Postgres);
    let server = serve(&db);
    many_devices(&db, std::slice::from_ref(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_postgres_database() {
    let db = Db::new(Kind::Postgres);
    // Both start at once: the schema is created once.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| serve(&db));
        let b = s.spawn(|| serve(&db));
        (a.join().unwrap(), b.join().unwrap())
    });
    many_devices(&db, &[a, b]).await;
}
