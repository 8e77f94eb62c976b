//! Device ↔ server over real HTTP on loopback: a real `fairtill-server` process and real device
//! stores. Offline sales reach the server once; offers and the event's sales reach the other
//! booth; a double refund across booths is kept and raised; connections cut at random points
//! and a server killed mid-sync lose nothing and duplicate nothing.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use fairtill_core::event::CaptureMode;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use fairtill_core::offer::OfferLine;
use fairtill_core::tax::TaxCategory;
use fairtill_core::tax::TaxPolicy;
use fairtill_core::SignedDuration;
use fairtill_sync::{sync_once, Schedule};
use uuid::Uuid;

fn no_progress(_: fairtill_sync::Progress) {}

fn mug_offer() -> Vec<OfferLine> {
    vec![OfferLine {
        sku: "MUG".into(),
        name: "Mug".into(),
        unit_price: usd("8"),
        quantity: 2,
        tax_category: TaxCategory::Standard,
    }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_booths_sync_sales_offers_and_a_double_refund() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("server.db"));
    let event = Some(EventId(Uuid::now_v7()));
    let a = Device::enrolled(&server, &server.url, "A1", event).await;
    let b = Device::enrolled(&server, &server.url, "B1", event).await;

    // Offline, A sells twice and saves an offer; B saves an offer.
    let sale = a.sell("100.00");
    a.sell("7.50");
    a.till
        .lock()
        .unwrap()
        .save_offer("Two mugs", usd("1").currency(), mug_offer())
        .unwrap();
    b.till
        .lock()
        .unwrap()
        .save_offer("Mug pair", usd("1").currency(), mug_offer())
        .unwrap();
    // A opens its drawer with 20.00, sells 100.00 more in cash and counts 127.00 (7.00 over).
    {
        let mut till = a.till.lock().unwrap();
        let opened = till.open_till(&a.actor, usd("20")).unwrap();
        assert_eq!(opened.float, usd("20"));
    }
    a.sell("100.00");
    a.till
        .lock()
        .unwrap()
        .close_till(&a.actor, usd("127.00"), "")
        .unwrap();
    assert_eq!(
        a.waiting(),
        9,
        "3 orders, 3 sales, 1 offer, the session opened and closed"
    );

    // Both sync: the server has everything once; each booth has the other's offer, and B has
    // A's sales of the event.
    let report = sync_once(&a.till, &a.client, event, &no_progress)
        .await
        .unwrap();
    assert_eq!(report.pushed, 9);
    assert_eq!(a.waiting(), 0);
    sync_once(&b.till, &b.client, event, &no_progress)
        .await
        .unwrap();
    let report = sync_once(&a.till, &a.client, event, &no_progress)
        .await
        .unwrap();
    assert_eq!((report.pushed, report.pulled), (0, 1), "A pulls B's offer");
    let names = |d: &Device| -> BTreeSet<String> {
        d.till
            .lock()
            .unwrap()
            .offers(false)
            .unwrap()
            .into_iter()
            .map(|o| o.offer.name().to_string())
            .collect()
    };
    let both = BTreeSet::from(["Mug pair".to_string(), "Two mugs".to_string()]);
    assert_eq!(names(&a), both);
    assert_eq!(names(&b), both);
    let on_b = b.till.lock().unwrap().order(sale.order_id).unwrap();
    assert_eq!(
        on_b.order.receipt, sale.receipt,
        "B can look up A's receipt"
    );
    assert_eq!(b.waiting(), 0, "pulled records are never pushed back");

    // Both booths refund 60.00 of A's 100.00 sale while offline.
    for d in [&a, &b] {
        d.till
            .lock()
            .unwrap()
            .refund(
                &d.actor,
                sale.transaction_id,
                RefundStrategy::Amount { amount: usd("60") },
                RefundProgress::Complete,
                None,
            )
            .unwrap();
    }
    sync_once(&a.till, &a.client, event, &no_progress)
        .await
        .unwrap();
    let report = sync_once(&b.till, &b.client, event, &no_progress)
        .await
        .unwrap();
    assert_eq!((report.pushed, report.conflicts), (1, 1));
    for d in [&a, &b] {
        assert_eq!(d.client.status().await.unwrap().open_conflicts, 1);
    }
    // Re-syncing changes nothing, and the server holds each record once.
    sync_once(&a.till, &a.client, event, &no_progress)
        .await
        .unwrap();
    let records = server_records(&server.db);
    let unique: BTreeSet<_> = records.iter().collect();
    assert_eq!(records.len(), unique.len());
    assert_eq!(records.len(), 9 + 1 + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_made_on_a_till_reaches_the_server_and_the_other_tills() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("server.db"));
    let mut a = Device::enrolled(&server, &server.url, "A1", None).await;
    let b = Device::enrolled(&server, &server.url, "B1", None).await;
    let fair = a
        .till
        .lock()
        .unwrap()
        .create_event(
            "Spring Craft Fair",
            usd("1").currency(),
            TaxPolicy::none(),
            CaptureMode::Manual,
            SignedDuration::from_hours(48),
        )
        .unwrap();
    a.actor.event_id = Some(fair.id);
    a.sell("10.00");
    assert_eq!(a.waiting(), 3, "the event, the order and the sale");
    let report = sync_once(&a.till, &a.client, Some(fair.id), &no_progress)
        .await
        .unwrap();
    assert_eq!(report.pushed, 3);
    assert_eq!(a.waiting(), 0);

    // B pulls the event (it may sell there too) and pushes nothing back.
    sync_once(&b.till, &b.client, None, &no_progress)
        .await
        .unwrap();
    let events_of = |d: &Device| d.till.lock().unwrap().events().unwrap();
    assert_eq!(events_of(&b), vec![fair.clone()]);
    assert_eq!(b.waiting(), 0, "a pulled event is not pushed back");

    // A renames it: the change is pushed once, and B gets it.
    let renamed = fairtill_core::event::Event {
        name: "Spring Fair, Hall 2".into(),
        ..fair.clone()
    };
    a.till.lock().unwrap().save_event(&renamed).unwrap();
    assert_eq!(a.waiting(), 1);
    sync_once(&a.till, &a.client, Some(fair.id), &no_progress)
        .await
        .unwrap();
    sync_once(&b.till, &b.client, None, &no_progress)
        .await
        .unwrap();
    assert_eq!(events_of(&b), vec![renamed.clone()]);
    assert_eq!(events_of(&a), vec![renamed]);
    let records = server_records(&server.db);
    assert_eq!(
        records.iter().filter(|(t, _)| t == "event").count(),
        1,
        "{records:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_made_at_a_till_sync_and_the_managers_catalog_wins_where_both_changed() {
    use fairtill_core::catalog::Product;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("server.db"));
    fairtill_testkit::Db::at(&server.db).add_manager("alex");
    let a = Device::enrolled(&server, &server.url, "A1", None).await;
    let b = Device::enrolled(&server, &server.url, "B1", None).await;
    let round = |d: &Device| {
        let (till, client) = (d.till.clone(), d.client.clone());
        async move { sync_once(&till, &client, None, &no_progress).await.unwrap() }
    };
    let mug_of = |d: &Device| d.till.lock().unwrap().product("MUG").unwrap();

    // A makes a mug on the Drinks tab; B gets it, and pushes nothing back.
    let mug = Product::new(
        "MUG",
        "Mug",
        usd("12.50"),
        TaxCategory::Standard,
        Some("4006381333931"),
    )
    .unwrap()
    .with_looks(Some("Drinks"), Some("#2e7d6b"))
    .unwrap();
    let made = a.till.lock().unwrap().save_product(mug).unwrap();
    assert_eq!(made.version, 1);
    assert_eq!(a.waiting(), 1);
    assert_eq!(round(&a).await.pushed, 1);
    round(&b).await;
    assert_eq!(mug_of(&b), made);
    assert_eq!(b.waiting(), 0, "a pulled product is not pushed back");
    let grid = b.till.lock().unwrap().sell_grid(50).unwrap();
    assert_eq!(
        (grid[0].category.as_str(), grid[0].products.len()),
        ("Drinks", 1)
    );

    // A re-prices it: the change (version 2) reaches B.
    let dearer = a
        .till
        .lock()
        .unwrap()
        .save_product(Product {
            unit_price: usd("13.00"),
            ..made.clone()
        })
        .unwrap();
    round(&a).await;
    round(&b).await;
    assert_eq!(mug_of(&b).unit_price, usd("13.00"));
    assert_eq!(mug_of(&b).version, 2);

    // B renames it offline while a manager publishes a new price: both changed version 2.
    // The manager's catalog wins, on B too, and B's change is not kept anywhere.
    let renamed = Product {
        name: "Blue mug".into(),
        ..mug_of(&b)
    };
    b.till.lock().unwrap().save_product(renamed).unwrap();
    let (manager, _) = fairtill_sync::ManagerClient::sign_in(
        &server.url,
        "alex",
        fairtill_testkit::MANAGER_PASSWORD,
    )
    .await
    .unwrap();
    let published = manager
        .publish(&[fairtill_protocol::Record::Product {
            product: Product {
                unit_price: usd("14.00"),
                ..dearer.clone()
            },
        }])
        .await
        .unwrap();
    assert_eq!(published[0].outcome, fairtill_protocol::PushOutcome::Stored);
    // B's round pulls the manager's version (as new as B's change, so it wins) before pushing:
    // B's change is dropped there; had it been pushed first, the server would not keep it.
    round(&b).await;
    for d in [&a, &b] {
        round(d).await;
        let m = mug_of(d);
        assert_eq!(
            (m.name.as_str(), m.unit_price, m.version),
            ("Mug", usd("14.00"), 3)
        );
        assert_eq!(d.waiting(), 0);
    }

    // A change made after the manager's (to version 3) is kept; retiring hides it on B.
    a.till.lock().unwrap().set_retired("MUG", true).unwrap();
    round(&a).await;
    round(&b).await;
    assert!(mug_of(&b).retired);
    assert_eq!(
        b.till
            .lock()
            .unwrap()
            .product_by_code("4006381333931")
            .unwrap(),
        None
    );
    assert!(b
        .till
        .lock()
        .unwrap()
        .search_products("mug", 10)
        .unwrap()
        .is_empty());
    let records = server_records(&server.db);
    assert_eq!(
        records.iter().filter(|(t, _)| t == "product").count(),
        1,
        "one product on the server, at its newest version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_at_random_points_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("server.db"));
    let proxy = CuttingProxy::start(&server.url, 60_000).await;
    let event = Some(EventId(Uuid::now_v7()));
    let a = Device::enrolled(&server, &proxy.url, "A1", event).await;
    let b = Device::enrolled(&server, &proxy.url, "B1", event).await;
    let mut rounds = 0;
    let mut failures = 0;
    let mut resent = 0;
    // Keep selling and syncing through a proxy that cuts every connection somewhere, until at
    // least 100 connections (FAIRTILL_CUTS for the longer run in RELIABILITY.md) were cut
    // mid-request or mid-answer.
    let cuts: u64 = std::env::var("FAIRTILL_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    while proxy.cuts() < cuts {
        rounds += 1;
        for (i, d) in [&a, &b].into_iter().enumerate() {
            for k in 0..3 {
                d.sell(&format!("{}.{:02}", 1 + i, rounds % 90 + k));
            }
            match sync_once(&d.till, &d.client, event, &no_progress).await {
                Ok(report) => resent += report.already_had,
                Err(_) => failures += 1,
            }
        }
        assert!(rounds < cuts * 4, "the proxy is not cutting");
    }
    assert!(
        failures < rounds * 2,
        "some rounds got through whole, so cuts fell in answers and pulls too"
    );
    assert!(
        resent > 0,
        "some cuts fell after the server stored a batch, and the re-send was answered \"already had\""
    );
    // Then the connection holds: everything arrives.
    proxy
        .cutting
        .store(false, std::sync::atomic::Ordering::SeqCst);
    for d in [&a, &b, &a] {
        sync_once(&d.till, &d.client, event, &no_progress)
            .await
            .unwrap();
        assert_eq!(d.waiting(), 0);
    }
    let records = server_records(&server.db);
    let on_server: BTreeSet<String> = records
        .iter()
        .filter(|(t, _)| t == "transaction")
        .map(|(_, id)| id.clone())
        .collect();
    let on_devices: BTreeSet<String> = a
        .own_transactions()
        .union(&b.own_transactions())
        .cloned()
        .collect();
    assert_eq!(
        records.len(),
        on_server.len() * 2,
        "one order per sale, each once"
    );
    assert_eq!(
        on_server, on_devices,
        "the server holds exactly the devices' records"
    );
    // Each booth has the other's sales of the event (pulls were cut too).
    let count = |d: &Device| {
        d.till
            .lock()
            .unwrap()
            .count(&fairtill_store::TxFilter::default())
            .unwrap()
    };
    assert_eq!(usize::try_from(count(&a)).unwrap(), on_server.len());
    assert_eq!(usize::try_from(count(&b)).unwrap(), on_server.len());
    eprintln!(
        "{} cuts over {rounds} rounds ({failures} failed rounds, {resent} records re-sent), {} transactions",
        proxy.cuts(),
        on_server.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut server = serve(&db);
    let address = server.url.trim_start_matches("http://").to_string();
    let a = Device::enrolled(&server, &server.url, "A1", None).await;
    for k in 0..3000 {
        a.sell(&format!("{}.00", 1 + k % 50));
    }
    // Sync in the background and kill the server while batches are going in.
    let till = a.till.clone();
    let client = a.client.clone();
    let round = tokio::spawn(async move { sync_once(&till, &client, None, &no_progress).await });
    // Kill it once the first batches are in, whatever the machine's speed.
    for _ in 0..500 {
        if server_records(&db).len() >= 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    let first = round.await.unwrap();
    assert!(first.is_err(), "the round saw the server go");
    let stored_before = server_records(&db).len();
    assert!(
        stored_before < 6000,
        "killed before the end ({stored_before})"
    );
    // Restarted on the same address, the next sync completes; nothing lost or doubled.
    server = serve_at(&db, &address);
    let handle = fairtill_sync::spawn(
        a.till.clone(),
        a.client.clone(),
        Arc::new(|| None),
        Schedule {
            interval: Duration::from_millis(200),
            ..Schedule::default()
        },
    );
    for _ in 0..300 {
        let s = handle.status();
        if s.last_success.is_some() && s.waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = handle.status();
    handle.stop();
    assert!(status.online && status.waiting == 0, "{status:?}");
    let records = server_records(&server.db);
    let unique: BTreeSet<_> = records.iter().collect();
    assert_eq!(records.len(), 6000);
    assert_eq!(unique.len(), 6000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_https_with_its_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let db = dir.path().join("server.db");
    let mut child = std::process::Command::new(fairtill_testkit::server_bin())
        .env("RUST_LOG", "warn")
        .arg("--database")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{line}");

    // Trusting the event's own authority, a device enrolls over HTTPS.
    let code = new_code(&db, "Booth S");
    let client = fairtill_sync::SyncClient::new(&url, None, Some(ca.pem().as_bytes())).unwrap();
    let (client, enrolled) = client
        .enroll(&code, fairtill_core::ids::DeviceId(Uuid::now_v7()), "S1")
        .await
        .unwrap();
    assert_eq!(enrolled.name, "Booth S");
    assert_eq!(client.status().await.unwrap().name, "Booth S");
    // Without trusting it, the connection is refused: no silent fallback to plain text.
    let untrusting = fairtill_sync::SyncClient::new(&url, None, None).unwrap();
    let err = untrusting.status().await.unwrap_err();
    assert!(
        matches!(err, fairtill_sync::ClientError::Offline(_)),
        "{err}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A backlog whose batch is larger than the server reads at once (long order notes): push sends
/// it in halves until each fits (the client knows the server's limit and does not send a body
/// over it; a server's or proxy's 413 halves the same way). Every record arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_too_large_for_the_server_is_sent_again_in_halves() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("server.db"));
    let a = Device::enrolled(&server, &server.url, "A1", None).await;
    let note = "a long note about the customer's order ".repeat(500);
    {
        let mut till = a.till.lock().unwrap();
        for _ in 0..300 {
            let mut d = draft("5.00");
            d.note = Some(note.clone());
            till.record_sale(&a.actor, d, cash()).unwrap();
        }
    }
    let batch: usize =
        fairtill_sync::pending(&a.till.lock().unwrap(), fairtill_protocol::MAX_BATCH)
            .unwrap()
            .iter()
            .map(|p| serde_json::to_vec(&p.record).unwrap().len())
            .sum();
    assert!(
        batch > fairtill_protocol::MAX_BODY_BYTES,
        "the first batch ({batch} bytes) is over the server's limit"
    );
    let report = fairtill_sync::sync_once(&a.till, &a.client, None, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.pushed, 600, "{report:?}");
    assert_eq!(a.waiting(), 0);
    let records = server_records(&server.db);
    let keys: BTreeSet<_> = records.iter().collect();
    assert_eq!(keys.len(), records.len(), "nothing twice");
    assert_eq!(records.len(), 600);
}
