//! Schemathesis (an OpenAPI fuzzer that knows nothing of the server's code) against the served
//! document, on both backends, with a device's and a manager's token: no 5xx; every status,
//! content type, header and body as the document says; every 4xx with the API's error body;
//! every authenticated operation refusing a request without its token. The run is bounded
//! (a fixed number of examples per operation and a fixed seed, so a failure reproduces);
//! RELIABILITY.md gives the longer run.
//!
//! `st` comes from the virtual environment `scripts/test.sh` installs it into.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::Command as Process;

use common::*;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use serde_json::json;
use uuid::Uuid;

/// The checks that must pass: what the document promises, and that authentication is enforced.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance,ignored_auth,missing_required_header";

/// Examples per operation and phase, and the seed, unless FAIRTILL_SCHEMATHESIS_EXAMPLES and
/// FAIRTILL_SCHEMATHESIS_SEED say otherwise (the longer run in RELIABILITY.md).
const EXAMPLES: &str = "25";
const SEED: &str = "20261203";

#[tokio::test]
async fn the_api_is_what_its_document_says_on_sqlite() {
    fuzz(Kind::Sqlite).await
}

#[tokio::test]
async fn the_api_is_what_its_document_says_on_postgres() {
    fuzz(Kind::Postgres).await
}

async fn fuzz(kind: Kind) {
    let Fixture { api, codes, .. } = &with_manager(kind, &["Booth 1", "Booth 2"]);
    // Something to read: sales on two tills, a refund conflict, a webhook endpoint.
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    let device = api.enroll(&codes[0], a.device).await;
    let other = api.enroll(&codes[1], b.device).await;
    let (sale, sale_id) = a.sale("100.00", PaymentMethod::Cash);
    api.push(&device, &sale).await;
    b.learn(&sale);
    for (till, token) in [(&mut a, &device), (&mut b, &other)] {
        let refund = till.run(Command::Refund {
            parent: sale_id,
            strategy: RefundStrategy::Amount { amount: usd("60") },
            progress: RefundProgress::Complete,
            reason: None,
        });
        api.push(token, &refund).await;
    }
    let manager = api.login("alex", MANAGER_PASSWORD).await;
    let receiver = fairtill_testkit::webhooks::WebhookReceiver::start();
    let (status, body) = api
        .post(
            "/v1/manager/webhooks",
            Some(&manager),
            json!({ "url": receiver.url("/hook"), "events": ["sale.recorded"], "description": "books" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "headers = {{ \"{}\" = \"{}\" }}\n\
             [auth.openapi.device_token]\nbearer = \"{device}\"\n\
             [auth.openapi.manager_token]\nbearer = \"{manager}\"\n",
            fairtill_protocol::API_VERSION_HEADER,
            fairtill_protocol::API_VERSION
        ),
    )
    .unwrap();
    let examples =
        std::env::var("FAIRTILL_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| EXAMPLES.into());
    let seed = std::env::var("FAIRTILL_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.into());
    let url = format!("{}/openapi.json", api.url);
    let out = tokio::task::spawn_blocking(move || {
        Process::new("st")
            .arg("--config-file")
            .arg(&config)
            // One worker: two tripped a race in schemathesis's own cache (a KeyError).
            .args(["run", &url, "--no-color", "--workers", "1"])
            .args(["--max-examples", &examples, "--seed", &seed])
            // Signing out would end the manager's token for the rest of the run; it is tested
            // on its own in tests/operator.rs.
            .args(["--exclude-path", "/v1/manager/logout"])
            .args(["--checks", CHECKS])
            // Its example database and any report stay out of the checkout.
            .current_dir(dir.path())
            .output()
            .map(|o| (o, dir))
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| {
        panic!("cannot run schemathesis's `st` ({e}): run scripts/test.sh, which installs it")
    })
    .0;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("passed"), "{text}");
}
