//! The manager's side, over real HTTP on both backends: accounts and sign-in, every device's
//! transactions (filters, pages, summary, CSV), the conflict queue with both sides, resolution
//! with a note kept in the audit log, and who may call what.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::HashSet;

use common::*;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use fairtill_protocol::*;
use serde_json::{json, Value};
use uuid::Uuid;

const PASSWORD: &str = MANAGER_PASSWORD;

#[tokio::test]
async fn a_manager_reconciles_two_devices_on_sqlite() {
    a_manager_reconciles_two_devices(Kind::Sqlite).await
}

#[tokio::test]
async fn a_manager_reconciles_two_devices_on_postgres() {
    a_manager_reconciles_two_devices(Kind::Postgres).await
}

async fn a_manager_reconciles_two_devices(kind: Kind) {
    let db = Db::new(kind);
    let code_a = new_code(&db, "Booth 1");
    let code_b = new_code(&db, "Booth 2");
    // A manager account: a short password is refused, a good one is kept as an argon2 hash.
    let short = std::process::Command::new(fairtill_testkit::server_bin())
        .args(["--database", &db.spec, "manager", "add", "--name", "alex"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    let added = cli_with_input(
        &db,
        &["manager", "add", "--name", "alex"],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.contains("alex"), "{added}");
    assert!(cli(&db, &["manager", "list"]).contains("alex"));

    let server = serve(&db);
    let api = Api {
        http: http(),
        url: server.url.clone(),
    };
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    let token_a = api.enroll(&code_a, a.device).await;
    let token_b = api.enroll(&code_b, b.device).await;

    // Booth 1 sells 100.00 cash and logs a 30.00 Shopify sale; booth 2 sells 12.50 by card.
    let (sale, sale_id) = a.sale("100.00", PaymentMethod::Cash);
    api.push(&token_a, &sale).await;
    let (logged, _) = a.sale(
        "30.00",
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#1042".into(),
        },
    );
    api.push(&token_a, &logged).await;
    let (card, _) = b.sale(
        "12.50",
        PaymentMethod::Card {
            last4: Some("4242".into()),
            approval_code: None,
        },
    );
    api.push(&token_b, &card).await;
    // Both booths refund 60.00 of the 100.00 sale while offline: one conflict.
    b.learn(&sale);
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
    api.push(&token_a, &refund_a).await;
    api.push(&token_b, &refund_b).await;

    // Sign-in: a wrong password and an unknown name get the same answer.
    for (name, password) in [("alex", "wrong password!"), ("nobody", PASSWORD)] {
        let (status, body) = api
            .post(
                "/v1/manager/login",
                None,
                json!({ "name": name, "password": password }),
            )
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            body["message"],
            "that manager name and password do not match"
        );
    }
    let manager = api.login("alex", PASSWORD).await;

    // Who may call what: a device token, a forged token and no token are refused.
    let (status, body) = api.get("/v1/manager/transactions", Some(&token_a)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("device token"), "{body}");
    let (status, _) = api.get("/v1/manager/conflicts", Some("forged")).await;
    assert_eq!(status, 401);
    let (status, _) = api.get("/v1/manager/summary", None).await;
    assert_eq!(status, 401);
    let (status, _) = api.get("/v1/status", Some(&manager)).await;
    assert_eq!(status, 401, "a manager token is not a device token");

    // Every device's transactions, newest first: 3 sales and 2 refunds, filterable by device,
    // kind, method and text.
    let all = api.get_json("/v1/manager/transactions", &manager).await;
    let rows = all["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{all}");
    let devices: HashSet<&str> = rows
        .iter()
        .map(|r| r["device_id"].as_str().unwrap())
        .collect();
    assert_eq!(devices.len(), 2);
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(times, sorted, "newest first");
    let only_b = api
        .get_json(
            &format!("/v1/manager/transactions?device={}", b.device),
            &manager,
        )
        .await;
    assert_eq!(only_b["rows"].as_array().unwrap().len(), 2);
    let refunds = api
        .get_json("/v1/manager/transactions?kind=refund", &manager)
        .await;
    assert_eq!(refunds["rows"].as_array().unwrap().len(), 2);
    let found = api
        .get_json("/v1/manager/transactions?text=%231042", &manager)
        .await;
    let found = found["rows"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["external_reference"], "#1042");
    let cash = api
        .get_json("/v1/manager/transactions?method=cash&kind=sale", &manager)
        .await;
    assert_eq!(cash["rows"].as_array().unwrap().len(), 1);

    // Pages of one: every row once, none twice.
    let seen = api.all_transaction_ids("limit=2", &manager).await;
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);

    // Bad filters are a 400 that says what is wrong.
    for (query, words) in [
        ("currency=ZZZ", "currency"),
        ("method=cheque", "cheque"),
        ("kind=gift", "gift"),
        ("from=yesterday", "RFC 3339"),
        ("device=booth-1", "device"),
        ("after=nonsense", "cursor"),
        ("limit=lots", "limit"),
    ] {
        let (status, body) = api
            .get(&format!("/v1/manager/transactions?{query}"), Some(&manager))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(words), "{query}: {body}");
    }

    // The per-currency summary: 142.50 taken, 120.00 refunded (both refunds count).
    let summary = api.get_json("/v1/manager/summary", &manager).await;
    let usd_row = &summary["currencies"][0];
    assert_eq!(usd_row["currency"], "USD");
    assert_eq!(usd_row["gross_sales"]["amount"], "142.50");
    assert_eq!(usd_row["refunded"]["amount"], "120.00");
    assert_eq!(usd_row["net"]["amount"], "22.50");
    let booth_b = api
        .get_json(
            &format!("/v1/manager/summary?device={}", b.device),
            &manager,
        )
        .await;
    assert_eq!(booth_b["currencies"][0]["gross_sales"]["amount"], "12.50");

    // CSV of a filtered set: a header and one line per row, quoted where needed.
    let (status, csv_text) = api
        .get("/v1/manager/transactions.csv?kind=sale", Some(&manager))
        .await;
    assert_eq!(status, 200);
    assert!(
        csv_text.starts_with("\u{feff}id,"),
        "for a spreadsheet by default: a byte-order mark"
    );
    let (_, plain) = api
        .get(
            "/v1/manager/transactions.csv?kind=sale&plain=true",
            Some(&manager),
        )
        .await;
    assert!(plain.starts_with("id,"), "plain=true: no mark, for scripts");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header[0], "id");
    let lines: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let amounts: HashSet<&str> = lines.iter().map(|l| &l[5]).collect();
    assert_eq!(amounts, HashSet::from(["100.00", "30.00", "12.50"]));
    let (status, _) = api
        .get("/v1/manager/transactions.csv?method=cheque", Some(&manager))
        .await;
    assert_eq!(status, 400);

    // The conflict, with both sides.
    let conflicts = api.get_json("/v1/manager/conflicts", &manager).await;
    let conflicts = conflicts.as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(c["kind"], "over_refund");
    let Record::Order { order } = &sale[0] else {
        panic!()
    };
    assert_eq!(
        c["reason"],
        format!(
            "refunds of the sale on receipt {} add up to 120.00 USD, more than its 100.00 USD",
            order.receipt
        ),
        "the sale is named by its receipt"
    );
    assert_eq!(c["devices"].as_array().unwrap().len(), 2);
    let side = |v: &Value| v["transaction"]["id"].as_str().unwrap().to_string();
    let Record::Transaction { transaction: ra } = &refund_a[0] else {
        panic!()
    };
    let Record::Transaction { transaction: rb } = &refund_b[0] else {
        panic!()
    };
    assert_eq!(side(&c["record"]), rb.id.to_string());
    assert_eq!(side(&c["others"][0]), ra.id.to_string());
    let id = c["id"].as_str().unwrap();

    // The order, opened by the manager, shows both booths' refunds and the conflict.
    let opened: ManagerOrder = serde_json::from_value(
        api.get_json(&format!("/v1/manager/orders/{}", order.id), &manager)
            .await,
    )
    .unwrap();
    let kinds: Vec<TxKind> = opened.view.transactions.iter().map(|t| t.kind).collect();
    assert_eq!(kinds, vec![TxKind::Sale, TxKind::Refund, TxKind::Refund]);
    assert_eq!(opened.view.refunded, usd("120.00"));
    assert_eq!(opened.device_names.len(), 2);
    assert!(opened.device_names.values().any(|n| n == "Booth 2"));
    assert_eq!(opened.conflicts.len(), 1);
    assert_eq!(opened.conflicts[0].to_string(), id);
    let (status, _) = api
        .get(
            &format!("/v1/manager/orders/{}", Uuid::now_v7()),
            Some(&manager),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = api
        .get("/v1/manager/orders/receipt-12", Some(&manager))
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("not an order id"), "{body}");

    // Resolving needs a note; it is kept, and the audit log says who did what.
    let path = format!("/v1/manager/conflicts/{id}/resolve");
    let (status, body) = api
        .post(&path, Some(&manager), json!({ "note": "  " }))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api
        .post(&path, Some(&token_a), json!({ "note": "a device tries" }))
        .await;
    assert_eq!(status, 403, "{body}");
    // A correction must be one of the conflict's sides, and the ledger must allow it: money
    // handed back over the counter is not voided. Refused in words, the conflict stays open.
    let (status, body) = api
        .post(
            &path,
            Some(&manager),
            json!({ "note": "void it", "void": sale_id }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not one of this conflict's"),
        "{body}"
    );
    let (status, body) = api
        .post(
            &path,
            Some(&manager),
            json!({ "note": "void it", "void": rb.id }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot be recorded"),
        "{body}"
    );
    let note = "refund B reversed at the terminal";
    let (status, body) = api
        .post(&path, Some(&manager), json!({ "note": note }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resolved_by"], "alex");
    let (status, body) = api
        .post(&path, Some(&manager), json!({ "note": "again" }))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = api
        .post(
            &format!("/v1/manager/conflicts/{}/resolve", Uuid::now_v7()),
            Some(&manager),
            json!({ "note": "x" }),
        )
        .await;
    assert_eq!(status, 404);
    let open = api.get_json("/v1/manager/conflicts", &manager).await;
    assert!(open.as_array().unwrap().is_empty());
    let every = api
        .get_json("/v1/manager/conflicts?include_resolved=true", &manager)
        .await;
    assert_eq!(every[0]["note"], note);
    let audit = api.get_json("/v1/manager/audit", &manager).await;
    let resolved: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "resolve_conflict")
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["note"], note);
    assert_eq!(resolved[0]["actor"], "alex");
    let status_b: DeviceStatus = serde_json::from_value(
        serde_json::from_str(&api.get("/v1/status", Some(&token_b)).await.1).unwrap(),
    )
    .unwrap();
    assert_eq!(status_b.open_conflicts, 0);

    // A device cannot push another device's records.
    let (other, _) = b.sale("1.00", PaymentMethod::Cash);
    let outcomes = api.push(&token_a, &other).await;
    assert!(
        outcomes.iter().all(
            |o| matches!(o, PushOutcome::Invalid { reason } if reason.contains("its own records"))
        ),
        "{outcomes:?}"
    );

    // Events and products published by a manager reach the devices; a new price replaces
    // the old version and is pulled again.
    let fair = fairtill_core::event::Event {
        id: event,
        name: "Craft Fair".into(),
        currency: usd("1").currency(),
        tax: fairtill_core::tax::TaxPolicy::none(),
        capture_mode: fairtill_core::event::CaptureMode::Automatic,
        capture_window: fairtill_core::SignedDuration::from_hours(72),
        offline_cards: fairtill_core::event::OfflineCardLimits::default(),
    };
    let mug = |price: &str| fairtill_core::catalog::Product {
        sku: "MUG".into(),
        name: "Mug".into(),
        unit_price: usd(price),
        tax_category: fairtill_core::tax::TaxCategory::Standard,
        barcode: Some("4006381333931".into()),
        favourite: true,
        category: None,
        colour: None,
        retired: false,
        version: 0,
    };
    let publish = |records: Vec<Record>| {
        let api = &api;
        let manager = &manager;
        async move {
            let (status, body) = api
                .post(
                    "/v1/manager/catalog",
                    Some(manager),
                    json!({ "records": records }),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_value::<PushResponse>(body)
                .unwrap()
                .results
                .into_iter()
                .map(|r| r.outcome)
                .collect::<Vec<_>>()
        }
    };
    let first = publish(vec![
        Record::Event {
            event: fair.clone(),
        },
        Record::Product {
            product: mug("8.00"),
        },
    ])
    .await;
    assert_eq!(first, vec![PushOutcome::Stored, PushOutcome::Stored]);
    let again = publish(vec![Record::Product {
        product: mug("8.00"),
    }])
    .await;
    assert_eq!(again, vec![PushOutcome::AlreadyHad]);
    let (status, _) = api
        .post(
            "/v1/manager/catalog",
            Some(&token_a),
            json!({ "records": [] }),
        )
        .await;
    assert_eq!(status, 403, "devices do not publish");
    let catalog = |records: Vec<Record>| -> Vec<Record> {
        records
            .into_iter()
            .filter(|r| matches!(r, Record::Product { .. } | Record::Event { .. }))
            .collect()
    };
    let (status, body) = api
        .post(
            "/v1/pull",
            Some(&token_a),
            json!({ "event_id": event, "cursor": null, "limit": 1000 }),
        )
        .await;
    assert_eq!(status, 200);
    let page: PullResponse = serde_json::from_value(body).unwrap();
    assert_eq!(catalog(page.records).len(), 2, "the event and the product");
    let raised = publish(vec![Record::Product {
        product: mug("9.50"),
    }])
    .await;
    assert_eq!(raised, vec![PushOutcome::Stored]);
    let (_, body) = api
        .post(
            "/v1/pull",
            Some(&token_a),
            json!({ "event_id": event, "cursor": page.cursor, "limit": 1000 }),
        )
        .await;
    let newer: PullResponse = serde_json::from_value(body).unwrap();
    assert_eq!(
        catalog(newer.records),
        vec![Record::Product {
            product: fairtill_core::catalog::Product {
                version: 2,
                ..mug("9.50")
            }
        }],
        "only the new version (one more than the first), after the cursor"
    );
    // A till's change of that product counts only if made to the version the server has (2):
    // one made to the first version loses to the manager's; one made to the second is kept,
    // and a manager's publish after it becomes the newest again.
    let till_change = |price: &str, version: u32| Record::Product {
        product: fairtill_core::catalog::Product {
            version,
            ..mug(price)
        },
    };
    assert_eq!(
        api.push(&token_a, &[till_change("7.00", 2)]).await,
        vec![PushOutcome::AlreadyHad],
        "changed version 1, which is not the server's any more"
    );
    assert_eq!(
        api.push(&token_a, &[till_change("9.90", 3)]).await,
        vec![PushOutcome::Stored]
    );
    assert_eq!(
        publish(vec![Record::Product {
            product: mug("9.50")
        }])
        .await,
        vec![PushOutcome::Stored]
    );
    let (_, body) = api
        .post(
            "/v1/pull",
            Some(&token_b),
            json!({ "event_id": event, "cursor": newer.cursor, "limit": 1000 }),
        )
        .await;
    let latest: PullResponse = serde_json::from_value(body).unwrap();
    assert_eq!(
        catalog(latest.records).last(),
        Some(&Record::Product {
            product: fairtill_core::catalog::Product {
                version: 4,
                ..mug("9.50")
            }
        })
    );

    // The OpenAPI document describes both sides.
    let (status, doc) = api.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    for path in [
        "/v1/push",
        "/v1/pull",
        "/v1/manager/transactions",
        "/v1/manager/conflicts/{id}/resolve",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    // Every JSON answer names its type (none is a bare object), and the types are described
    // field by field, money included.
    let mut answers = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(schema) = op["responses"]["200"]["content"]
                .get("application/json")
                .map(|c| &c["schema"])
            else {
                continue;
            };
            let named = schema.get("$ref").or_else(|| schema["items"].get("$ref"));
            assert!(named.is_some(), "{method} {path} answers {schema}");
            answers += 1;
        }
    }
    assert!(answers >= 20, "{answers} JSON answers checked");
    let schemas = &doc["components"]["schemas"];
    for (name, field) in [
        ("CloseOut", "open_authorizations"),
        ("CloseOutPart", "over_short"),
        ("CurrencySummary", "canceled"),
        ("SettlementReport", "unmatched_entries_total"),
        ("ColumnMapping", "skip"),
        ("EventSummary", "name"),
        ("TxRow", "external_reference"),
        ("Money", "amount"),
    ] {
        assert!(
            schemas[name]["properties"][field].is_object(),
            "{name}.{field} is not described: {}",
            schemas[name]
        );
    }
    assert_eq!(schemas["Money"]["properties"]["amount"]["type"], "string");
}

#[tokio::test]
async fn a_logged_sale_entered_twice_is_voided_on_resolution_on_sqlite() {
    a_logged_sale_entered_twice_is_voided_on_resolution(Kind::Sqlite).await
}

#[tokio::test]
async fn a_logged_sale_entered_twice_is_voided_on_resolution_on_postgres() {
    a_logged_sale_entered_twice_is_voided_on_resolution(Kind::Postgres).await
}

/// Two booths log the same web-shop payment: the manager resolves the conflict by voiding the
/// second, recorded on the server in their name, and both tills receive the void.
async fn a_logged_sale_entered_twice_is_voided_on_resolution(kind: Kind) {
    let fixture = with_manager(kind, &["Booth 1", "Booth 2"]);
    let api = &fixture.api;
    let (code_a, code_b) = (&fixture.codes[0], &fixture.codes[1]);
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    let token_a = api.enroll(code_a, a.device).await;
    let token_b = api.enroll(code_b, b.device).await;
    let shop = || PaymentMethod::External {
        system: "Shopify".into(),
        reference: "#2001".into(),
    };
    let (first, _) = a.sale("45.00", shop());
    api.push(&token_a, &first).await;
    let (second, second_id) = b.sale("45.00", shop());
    let outcomes = api.push(&token_b, &second).await;
    assert!(
        matches!(outcomes[1], PushOutcome::StoredWithConflict { .. }),
        "{outcomes:?}"
    );
    let manager = api.login("alex", PASSWORD).await;
    let conflicts = api.get_json("/v1/manager/conflicts", &manager).await;
    assert_eq!(conflicts[0]["kind"], "duplicate_reference");
    let id = conflicts[0]["id"].as_str().unwrap().to_string();

    let (status, body) = api
        .post(
            &format!("/v1/manager/conflicts/{id}/resolve"),
            Some(&manager),
            json!({ "note": "duplicate entry, voided", "void": second_id }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resolved_by"], "alex");
    // Voiding it again is refused: the conflict is resolved.
    let (status, _) = api
        .post(
            &format!("/v1/manager/conflicts/{id}/resolve"),
            Some(&manager),
            json!({ "note": "again", "void": second_id }),
        )
        .await;
    assert_eq!(status, 409);

    // The void is in the books, in the manager's name; the money is counted once.
    let voids = api
        .get_json("/v1/manager/transactions?kind=void", &manager)
        .await;
    let row = &voids["rows"][0];
    assert_eq!(row["staff"], "alex (manager)");
    assert_eq!(row["parent_id"], second_id.to_string());
    assert_eq!(row["device_id"], SERVER_DEVICE.to_string());
    let summary = api.get_json("/v1/manager/summary", &manager).await;
    assert_eq!(summary["currencies"][0]["net"]["amount"], "45.00");
    let audit = api.get_json("/v1/manager/audit", &manager).await;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "record_correction"));
    // Both tills receive it when they sync.
    for token in [&token_a, &token_b] {
        let pulled = api.pull(token, event).await;
        assert!(pulled.iter().any(|r| matches!(r,
            Record::Transaction { transaction } if transaction.kind == TxKind::Void
                && transaction.parent == Some(second_id))));
    }
}

#[tokio::test]
async fn events_made_on_tills_are_named_for_the_manager_on_sqlite() {
    events_made_on_tills_are_named_for_the_manager(Kind::Sqlite).await
}

#[tokio::test]
async fn events_made_on_tills_are_named_for_the_manager_on_postgres() {
    events_made_on_tills_are_named_for_the_manager(Kind::Postgres).await
}

async fn events_made_on_tills_are_named_for_the_manager(kind: Kind) {
    let fixture = with_manager(kind, &["Booth 1", "Booth 2"]);
    let api = &fixture.api;
    let manager = api.login("alex", PASSWORD).await;
    let spring = EventId(Uuid::now_v7());
    let mut a = Till::new(spring);
    let b = Till::new(spring);
    let token_a = api.enroll(&fixture.codes[0], a.device).await;
    let token_b = api.enroll(&fixture.codes[1], b.device).await;
    let event = |id: EventId, name: &str| Record::Event {
        event: fairtill_core::event::Event {
            id,
            name: name.into(),
            currency: usd("1").currency(),
            tax: fairtill_core::tax::TaxPolicy::none(),
            capture_mode: fairtill_core::event::CaptureMode::Automatic,
            capture_window: fairtill_core::SignedDuration::from_hours(72),
            offline_cards: fairtill_core::event::OfflineCardLimits::default(),
        },
    };
    let names = || async {
        let events = api.get_json("/v1/manager/events", &manager).await;
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap_or("(no name)").to_string())
            .collect::<Vec<_>>()
    };

    // Booth 1 made the event and sold there: the manager sees it by name.
    let mut records = vec![event(spring, "Spring Craft Fair")];
    records.extend(a.sale("10.00", PaymentMethod::Cash).0);
    let outcomes = api.push(&token_a, &records).await;
    assert!(
        outcomes.iter().all(|o| *o == PushOutcome::Stored),
        "{outcomes:?}"
    );
    assert_eq!(names().await, vec!["Spring Craft Fair"]);

    // Booth 2 pulls it (every till may sell at it) but cannot rename it; booth 1 can.
    let (status, body) = api
        .post(
            "/v1/pull",
            Some(&token_b),
            json!({ "event_id": null, "cursor": null, "limit": 1000 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let page: PullResponse = serde_json::from_value(body).unwrap();
    assert!(page.records.contains(&event(spring, "Spring Craft Fair")));
    assert_eq!(
        api.push(&token_b, &[event(spring, "Taken over")]).await,
        vec![PushOutcome::AlreadyHad]
    );
    assert_eq!(names().await, vec!["Spring Craft Fair"]);
    assert_eq!(
        api.push(&token_a, &[event(spring, "Spring Fair, Hall 2")])
            .await,
        vec![PushOutcome::Stored]
    );
    assert_eq!(
        api.push(&token_a, &[event(spring, "Spring Fair, Hall 2")])
            .await,
        vec![PushOutcome::AlreadyHad],
        "the same version again changes nothing"
    );
    assert_eq!(names().await, vec!["Spring Fair, Hall 2"]);

    // An event a manager published keeps the manager's version; a blank name is refused;
    // products still come only from the server.
    let published = EventId(Uuid::now_v7());
    let (status, body) = api
        .post(
            "/v1/manager/catalog",
            Some(&manager),
            json!({ "records": [event(published, "Autumn Fair")] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        api.push(&token_a, &[event(published, "Booth 1's name for it")])
            .await,
        vec![PushOutcome::AlreadyHad]
    );
    let refused = api
        .push(
            &token_a,
            &[
                event(EventId(Uuid::now_v7()), " "),
                Record::Product {
                    product: fairtill_core::catalog::Product {
                        sku: "MUG".into(),
                        name: "Mug".into(),
                        unit_price: usd("8"),
                        tax_category: fairtill_core::tax::TaxCategory::Standard,
                        barcode: None,
                        favourite: false,
                        category: None,
                        colour: Some("green".into()),
                        retired: false,
                        version: 1,
                    },
                },
            ],
        )
        .await;
    assert!(
        matches!(&refused[0], PushOutcome::Invalid { reason } if reason.contains("name")),
        "{refused:?}"
    );
    assert!(
        matches!(&refused[1], PushOutcome::Invalid { reason } if reason.contains("#rrggbb")),
        "{refused:?}"
    );
}

/// A till whose clock is behind stamps its refund before the sale it refunds: the manager's
/// order still shows the whole history (parents are replayed before their children, whatever
/// the times say).
async fn an_order_reads_when_a_refund_is_stamped_before_its_sale(kind: Kind) {
    let f = with_manager(kind, &["Booth A", "Booth B"]);
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    b.base = a.base - 3600;
    let token_a = f.api.enroll(&f.codes[0], a.device).await;
    let token_b = f.api.enroll(&f.codes[1], b.device).await;
    let (sale, sale_id) = a.sale("40.00", PaymentMethod::Cash);
    f.api.push(&token_a, &sale).await;
    b.learn(&f.api.pull(&token_b, event).await);
    let refund = b.run(Command::Refund {
        parent: sale_id,
        strategy: RefundStrategy::Amount { amount: usd("15") },
        progress: RefundProgress::Complete,
        reason: None,
    });
    assert_eq!(
        f.api.push(&token_b, &refund).await,
        vec![PushOutcome::Stored]
    );
    let manager = f.api.login("alex", MANAGER_PASSWORD).await;
    let Record::Order { order } = &sale[0] else {
        panic!()
    };
    let view = f
        .api
        .get_json(&format!("/v1/manager/orders/{}", order.id), &manager)
        .await;
    assert_eq!(view["view"]["status"], "partly_refunded", "{view}");
}

#[tokio::test]
async fn an_order_reads_when_a_refund_is_stamped_before_its_sale_on_sqlite() {
    an_order_reads_when_a_refund_is_stamped_before_its_sale(Kind::Sqlite).await;
}

#[tokio::test]
async fn an_order_reads_when_a_refund_is_stamped_before_its_sale_on_postgres() {
    an_order_reads_when_a_refund_is_stamped_before_its_sale(Kind::Postgres).await;
}
