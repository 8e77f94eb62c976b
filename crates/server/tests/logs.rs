//! The server's log: one JSON object per line with a request id on every request's events,
//! and no secret in it — not a device token, an enrollment code, a manager's password or
//! token, nor a customer's email or name — even at the most verbose level.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::customer::Customer;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::{PaymentMethod, TxResult};
use uuid::Uuid;

const EMAIL: &str = "ada.lovelace@example.org";
const NAME: &str = "Ada Lovelace";

#[tokio::test]
async fn the_log_is_json_with_request_ids_and_holds_no_secret() {
    let db = Db::new(Kind::Sqlite);
    let code = new_code(&db, "Booth 1");
    cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = serve_logged(&db, &log, "trace");
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };

    let mut till = Till::new(EventId(Uuid::now_v7()));
    let token = api.enroll(&code, till.device).await;
    let (sale, _) = till.sale_with(
        usd("25.00"),
        PaymentMethod::Card {
            last4: None,
            approval_code: None,
        },
        TxResult::Approved,
        |draft| {
            draft.customer = Some(Customer {
                name: Some(NAME.into()),
                email: Some(EMAIL.into()),
                phone: None,
                billing_address: None,
            })
        },
    );
    api.push(&token, &sale).await;
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    // A search for the customer by email, and a failed sign-in with a wrong password.
    let found = api
        .get_json(&format!("/v1/manager/transactions?text={EMAIL}"), &manager)
        .await;
    assert_eq!(found["rows"].as_array().unwrap().len(), 1, "{found}");
    let (status, _) = api
        .post(
            "/v1/manager/login",
            None,
            serde_json::json!({ "name": "alex", "password": "wrong-password-123" }),
        )
        .await;
    assert_eq!(status, 401);
    let (status, body) = api
        .get(
            &format!("/v1/manager/transactions?currency={EMAIL}"),
            Some(&manager),
        )
        .await;
    assert_eq!(status, 400, "a bad filter quoting the email: {body}");
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() > 10, "{text}");
    let answered: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["name"] == "request" && l["status"].is_number())
        .collect();
    assert!(
        answered.len() >= 5,
        "every request is answered in its span: {text}"
    );
    for l in &answered {
        let id = l["span"]["request_id"].as_str().unwrap();
        assert!(Uuid::parse_str(id).is_ok(), "a request id on {l}");
    }
    for secret in [
        token.as_str(),
        code.as_str(),
        MANAGER_PASSWORD,
        "wrong-password-123",
        manager.as_str(),
        EMAIL,
        NAME,
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} reached the log:\n{text}"
        );
    }
}
