//! The server's card form page — what a customer opens from a till's window or a link — in a
//! real browser: Debian's chromium, headless, driven by its chromedriver. The page loads the
//! processor's own script (localstripe's copy of Stripe.js), the card is typed into the
//! processor's form, and the server records the card; a card the bank refuses is said on the
//! page and nothing is recorded. And the update-your-card page a declined customer opens from
//! the follow-up's message: a new card saved there is charged at once.
//!
//! Needs `chromium` and `chromium-driver` (`scripts/setup-system.sh test` installs them).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::server::Server;
use common::window::{free_port, grouped, Killed};
use fairtill_core::customer::{Customer, CustomerProfile};
use fairtill_core::ids::{CustomerId, DeviceId};
use fairtill_core::Timestamp;
use fairtill_sync::protocol::Record;
use fairtill_sync::SyncClient;
use fairtill_testkit::Localstripe;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(15);

/// Debian's chromedriver on a free port and a headless chromium it drives (the driver stops
/// when the first value is dropped).
async fn chromium() -> (Killed, Client) {
    let port = free_port();
    let driver = Killed(
        grouped("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) must be installed"),
    );
    (driver, browser(port).await)
}

async fn browser(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=800,700"] }),
    );
    let started = Instant::now();
    loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) if started.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver did not start a browser: {e}"),
        }
    }
}

async fn wait_text(c: &Client, css: &str, words: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(words) {
                    return t;
                }
                assert!(started.elapsed() < WAIT, "{css} says {t:?}, not {words:?}");
            }
        }
        assert!(started.elapsed() < WAIT, "{css} never showed {words:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types a card into the processor's form (localstripe's inputs are named by placeholder).
async fn type_card(c: &Client, number: &str) {
    for (field, value) in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "31"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    ] {
        let input = c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&format!("#card input[placeholder={field}]")))
            .await
            .unwrap();
        input.send_keys(value).await.unwrap();
    }
}

fn shot_dir() -> std::path::PathBuf {
    if std::env::var_os("FAIRTILL_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_saves_a_card_in_the_card_form_page() {
    let dir = tempfile::tempdir().unwrap();
    let ls = Localstripe::start();
    let server = Server::charging(dir.path(), "127.0.0.1:0", &ls, &[]);
    let device = DeviceId(Uuid::now_v7());
    let (client, _) = SyncClient::new(&server.url, None, None)
        .unwrap()
        .enroll(&server.code("Booth 1"), device, "B1")
        .await
        .unwrap();
    let customer = CustomerId(Uuid::now_v7());
    client
        .push(vec![Record::Customer {
            customer: CustomerProfile {
                id: customer,
                details: Customer {
                    name: Some("Noor Haddad".into()),
                    email: Some("noor@example.com".into()),
                    ..Customer::default()
                },
                updated_at: Timestamp::now(),
                device_id: device,
                staff: "ana".into(),
            },
        }])
        .await
        .unwrap();

    let (_driver, c) = chromium().await;

    // A card the bank refuses: said on the page, nothing recorded.
    let refused = client.start_card_setup(customer).await.unwrap();
    c.goto(&format!("{}{}", server.url, refused.form_path))
        .await
        .unwrap();
    type_card(&c, "4000000000000002").await;
    c.find(Locator::Css("#save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#message.problem", "declined").await;

    // A good card: saved, and the server records it for the customer.
    let setup = client.start_card_setup(customer).await.unwrap();
    c.goto(&format!("{}{}", server.url, setup.form_path))
        .await
        .unwrap();
    type_card(&c, "4242424242424242").await;
    let dir_shots = shot_dir();
    std::fs::create_dir_all(&dir_shots).unwrap();
    std::fs::write(
        dir_shots.join("card-form-page.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.find(Locator::Css("#save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#message.done", "Card saved: Visa ending 4242").await;
    std::fs::write(
        dir_shots.join("card-form-page-saved.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    let pulled = client.pull(None, None, 100).await.unwrap();
    let cards: Vec<_> = pulled
        .records
        .iter()
        .filter_map(|r| match r {
            Record::CardSaved { card } => Some(card.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(
        (cards[0].customer_id, cards[0].last4.as_str()),
        (customer, "4242")
    );

    // A setup the server does not know gets a plain page, not a form.
    c.goto(&format!("{}/card-form/seti_unknown", server.url))
        .await
        .unwrap();
    wait_text(&c, "body", "not known here").await;
    c.close().await.unwrap();
    drop(server);
}

/// The follow-up of `order` as the manager sees it, once `done` holds (within about 20 s).
async fn follow_up_until(
    manager: &fairtill_sync::ManagerClient,
    order: fairtill_core::ids::OrderId,
    done: impl Fn(&fairtill_sync::protocol::FollowUp) -> bool,
) -> fairtill_sync::protocol::FollowUp {
    let started = Instant::now();
    loop {
        let all = manager.follow_ups(true).await.unwrap();
        if let Some(f) = all.into_iter().find(|f| f.order_id == order) {
            if done(&f) {
                return f;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "stuck: {f:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no follow-up of {order}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A scheduled charge is declined; the customer opens the update-your-card link from the message
/// the server queued, in a real browser, and saves another card in the processor's form; the
/// follow-up charges it at once and the order is paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_customer_updates_their_card_from_the_link() {
    use fairtill_core::ids::{EventId, OrderId};
    use fairtill_core::ledger::TxResult;
    use fairtill_sync::protocol::{FollowUpState, ScheduleRequest};

    let dir = tempfile::tempdir().unwrap();
    let ls = Localstripe::start();
    let server = Server::charging(
        dir.path(),
        "127.0.0.1:0",
        &ls,
        &[("FAIRTILL_RETRY_SCHEDULE", "1h")],
    );
    let device = DeviceId(Uuid::now_v7());
    let (client, _) = SyncClient::new(&server.url, None, None)
        .unwrap()
        .enroll(&server.code("Booth 1"), device, "B1")
        .await
        .unwrap();
    let customer = CustomerId(Uuid::now_v7());
    let context = fairtill_core::event::SaleContext {
        device_id: device,
        event_id: Some(EventId(Uuid::now_v7())),
        staff: "ana".into(),
    };
    let order = fairtill_core::order::Order::place(
        OrderId(Uuid::now_v7()),
        "B1-000042".into(),
        context,
        Timestamp::now(),
        fairtill_testkit::orders::one_line("PRINT", fairtill_testkit::orders::usd("48.00")),
    )
    .unwrap();
    client
        .push(vec![
            Record::Customer {
                customer: CustomerProfile {
                    id: customer,
                    details: Customer {
                        name: Some("Noor Haddad".into()),
                        email: Some("noor@example.com".into()),
                        ..Customer::default()
                    },
                    updated_at: Timestamp::now(),
                    device_id: device,
                    staff: "ana".into(),
                },
            },
            Record::Order {
                order: Box::new(order.clone()),
            },
        ])
        .await
        .unwrap();
    // Her card on file is declined when charged.
    let setup = client.start_card_setup(customer).await.unwrap();
    let filled = ls
        .fill_card_form(&setup.client_secret, "4000000000000341")
        .await;
    assert_eq!(filled["status"], "succeeded", "{filled}");
    client.finish_card_setup(&setup.setup_id).await.unwrap();

    // A manager schedules the balance for now: it is declined, and the follow-up begins.
    let (manager, _) = fairtill_sync::ManagerClient::sign_in(
        &server.url,
        "alex",
        fairtill_testkit::MANAGER_PASSWORD,
    )
    .await
    .unwrap();
    manager
        .schedule_charge(
            order.id,
            &ScheduleRequest {
                customer_id: customer,
                card_id: None,
                charge_at: Timestamp::now(),
            },
        )
        .await
        .unwrap();
    let f = follow_up_until(&manager, order.id, |f| !f.notifications.is_empty()).await;
    assert_eq!(f.state, FollowUpState::Retrying);
    let body = &f.notifications[0].body;
    let at = body.find("/update-card/").unwrap();
    let path: String = body[at..].split_whitespace().next().unwrap().to_string();

    let (_driver, c) = chromium().await;
    c.goto(&format!("{}{path}", server.url)).await.unwrap();
    wait_text(&c, "h1", "Update your card").await;
    wait_text(&c, "body", "48.00").await;
    type_card(&c, "4242424242424242").await;
    let dir_shots = shot_dir();
    std::fs::create_dir_all(&dir_shots).unwrap();
    std::fs::write(
        dir_shots.join("update-card-page.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.find(Locator::Css("#save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#message.done", "Card saved: Visa ending 4242").await;

    // Charged again at once with the new card: recovered, the order paid.
    let f = follow_up_until(&manager, order.id, |f| f.state == FollowUpState::Recovered).await;
    let results: Vec<TxResult> = f.attempts.iter().map(|a| a.result).collect();
    assert_eq!(results, [TxResult::Declined, TxResult::Approved]);
    assert!(!f.balance_due.is_positive());
    // The link is spent: a plain page, no form.
    c.goto(&format!("{}{path}", server.url)).await.unwrap();
    wait_text(&c, "body", "no longer works").await;
    c.close().await.unwrap();
    drop(server);
}
