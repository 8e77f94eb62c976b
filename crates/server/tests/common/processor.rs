//! What the processor tests share: a real server process charging through localstripe (a
//! stateful Stripe emulator on a loopback port), with an enrolled till and a signed-in manager,
//! and the till's way to save a card and ask how a charge stands.

use std::process::Stdio;
use std::time::Duration;

use fairtill_core::customer::{Customer, CustomerProfile, SavedCard};
use fairtill_core::ids::{CustomerId, DeviceId, TxId};
use fairtill_core::ledger::PaymentMethod;
use fairtill_core::Timestamp;
use fairtill_testkit::{Localstripe, TEST_KEY};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{cli_with_input, http, new_code, Api, Db, Kind, Server, MANAGER_PASSWORD};

/// Seconds a customer has to approve offsite in these tests.
pub const APPROVAL_SECS: &str = "4";

pub struct Setup {
    pub api: Api,
    pub ls: Localstripe,
    /// The till's token.
    pub token: String,
    pub device: DeviceId,
    /// The manager "alex"'s token.
    pub manager: String,
    pub _server: Server,
    pub _db: Db,
}

/// A server on `kind` charging through a fresh localstripe, polling every second.
pub async fn setup(kind: Kind) -> Setup {
    setup_with(kind, &[]).await
}

/// Like [`setup`], with more of the server's environment (`extra`).
pub async fn setup_with(kind: Kind, extra: &[(&str, &str)]) -> Setup {
    let ls = Localstripe::start();
    let db = Db::new(kind);
    let code = new_code(&db, "Booth 1");
    cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let js = format!("{}/js.stripe.com/v3/", ls.url);
    let mut env = vec![
        ("FAIRTILL_STRIPE_SECRET_KEY", TEST_KEY),
        ("FAIRTILL_STRIPE_API", ls.url.as_str()),
        ("FAIRTILL_STRIPE_PUBLISHABLE_KEY", "pk_test_fairtill"),
        ("FAIRTILL_STRIPE_JS", js.as_str()),
        ("FAIRTILL_STRIPE_WEBHOOK_SECRET", "whsec_fairtill_test"),
        ("FAIRTILL_PROCESSOR_POLL_SECS", "1"),
        ("FAIRTILL_APPROVAL_SECS", APPROVAL_SECS),
    ];
    env.extend_from_slice(extra);
    let server = Server::start_with(&db, "127.0.0.1:0", Stdio::inherit(), &env);
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };
    let device = DeviceId(Uuid::now_v7());
    let token = api.enroll(&code, device).await;
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    Setup {
        api,
        ls,
        token,
        device,
        manager,
        _server: server,
        _db: db,
    }
}

/// A customer made on `device`, with an address from their first name.
pub fn customer(device: DeviceId, name: &str) -> CustomerProfile {
    let first = name.split(' ').next().unwrap_or(name).to_lowercase();
    CustomerProfile {
        id: CustomerId(Uuid::now_v7()),
        details: Customer {
            name: Some(name.into()),
            email: Some(format!("{first}@example.com")),
            phone: Some("+49 30 1234567".into()),
            billing_address: None,
        },
        updated_at: Timestamp::now(),
        device_id: device,
        staff: "ana".into(),
    }
}

/// Saves a card with `number` for `customer` the way a till does: begin at the server, fill in
/// the processor's form, finish at the server.
pub async fn save_card(s: &Setup, customer: CustomerId, number: &str) -> SavedCard {
    let (status, start) = s
        .api
        .post(
            &format!("/v1/customers/{customer}/card-setups"),
            Some(&s.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{start}");
    assert_eq!(start["publishable_key"], "pk_test_fairtill");
    assert!(start["script_url"]
        .as_str()
        .unwrap()
        .ends_with("/js.stripe.com/v3/"));
    let filled =
        s.ls.fill_card_form(start["client_secret"].as_str().unwrap(), number)
            .await;
    assert_eq!(filled["status"], "succeeded", "{filled}");
    let (status, card) = s
        .api
        .post(
            &format!(
                "/v1/card-setups/{}/finish",
                start["setup_id"].as_str().unwrap()
            ),
            Some(&s.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{card}");
    serde_json::from_value(card).unwrap()
}

/// The card as a till's tender names it.
pub fn on_file(card: &SavedCard) -> PaymentMethod {
    PaymentMethod::CardOnFile {
        customer: card.customer_id,
        card: card.id.clone(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
    }
}

/// Where a charge or refund stands, waiting up to 5 s for the processor's answer.
pub async fn progress(s: &Setup, tx: TxId) -> Value {
    let (status, body) = s
        .api
        .get(&format!("/v1/payments/{tx}?wait_ms=5000"), Some(&s.token))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Asks until the answer's state is `state` (offsite approval and its time limit take polls),
/// for up to about 30 s.
pub async fn progress_until(s: &Setup, tx: TxId, state: &str) -> Value {
    for _ in 0..100 {
        let p = progress(s, tx).await;
        if p["state"] == state {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("{tx} never reached {state}: {}", progress(s, tx).await);
}

/// Applies the result changes among `records` that `till` has not seen (what a till does
/// with what it pulls).
pub fn apply_changes(till: &mut super::Till, records: &[fairtill_protocol::Record]) {
    for r in records {
        if let fairtill_protocol::Record::ResultChange {
            transaction_id,
            n,
            change,
        } = r
        {
            let had = till
                .ledger
                .transaction(*transaction_id)
                .map_or(0, |t| t.history.len() - 1);
            if usize::try_from(*n).unwrap() > had {
                till.ledger
                    .apply(fairtill_core::ledger::Fact::ResultChanged {
                        tx: *transaction_id,
                        change: change.clone(),
                    })
                    .unwrap();
            }
        }
    }
}
