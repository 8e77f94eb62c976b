//! The `fairtill` binary end to end on a temporary database: what a script would run.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

fn fairtill(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtill"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = fairtill(db, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(db, &all)).unwrap()
}

#[test]
fn record_list_summarize_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let sale = json(
        &db,
        &[
            "--device-code",
            "B3",
            "record",
            "--item",
            "Mug:12.50:2",
            "--item",
            "Poster: A3:9.50",
            "--customer-name",
            "Ada",
        ],
    );
    assert_eq!(sale["receipt"], "B3-000001");
    assert_eq!(sale["total"]["amount"], "34.50");
    ok(
        &db,
        &[
            "record",
            "--item",
            "Print:40",
            "--method",
            "external",
            "--system",
            "Shopify",
            "--reference",
            "#1042",
        ],
    );
    ok(&db, &["record", "--item", "Tea:1200", "--currency", "JPY"]);
    ok(
        &db,
        &[
            "record", "--item", "Mug:5", "--method", "card", "--result", "declined",
        ],
    );

    let page = json(&db, &["list", "--method", "external"]);
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    assert_eq!(page["rows"][0]["external_reference"], "#1042");
    let by_text = json(&db, &["list", "--text", "ada"]);
    assert_eq!(by_text["rows"].as_array().unwrap().len(), 1);

    let summary = json(&db, &["summary"]);
    let currencies = summary["currencies"].as_array().unwrap();
    assert_eq!(currencies.len(), 2);
    let usd = currencies.iter().find(|c| c["currency"] == "USD").unwrap();
    assert_eq!(usd["net"]["amount"], "74.50");
    assert_eq!(usd["declined_count"], 1);
    let text = ok(&db, &["summary", "--currency", "JPY"]);
    assert!(text.contains("JPY") && text.contains("1200"), "{text}");

    let csv_path = dir.path().join("out.csv");
    ok(
        &db,
        &[
            "export",
            "--out",
            csv_path.to_str().unwrap(),
            "--currency",
            "USD",
        ],
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().count(), 4, "header + 3 USD rows:\n{csv}");
    assert!(
        csv.starts_with("\u{feff}id,receipt,created_at,kind,result,amount,currency"),
        "for a spreadsheet by default: a byte-order mark"
    );
    let plain = ok(&db, &["export", "--plain", "--currency", "USD"]);
    assert!(
        plain.starts_with("id,receipt,created_at,kind,result,amount,currency"),
        "--plain: no mark, for scripts"
    );
    assert_eq!(plain, csv.trim_start_matches('\u{feff}'));

    let shown = ok(&db, &["show", "B3-000001"]);
    assert!(
        shown.contains("paid") && shown.contains("Poster: A3"),
        "{shown}"
    );

    let import = dir.path().join("in.csv");
    std::fs::write(&import, "created_at,amount,currency,method,external_system,external_reference\n2026-05-01T10:00:00Z,20.00,EUR,external,Etsy,E-77\n").unwrap();
    let report = json(&db, &["import", import.to_str().unwrap()]);
    assert_eq!(report["imported"], 1);
    let again = fairtill(&db, &["import", import.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("line 2"));
}

#[test]
fn bad_input_and_refusals_have_clear_errors_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let out = fairtill(
        &db,
        &["record", "--item", "Tea:1000.5", "--currency", "JPY"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1000.5") && err.contains("JPY"), "{err}");
    let out = fairtill(
        &db,
        &[
            "record", "--item", "Mug:5", "--method", "external", "--system", "Shop",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reference"));
    ok(
        &db,
        &[
            "record",
            "--item",
            "Print:40",
            "--method",
            "external",
            "--system",
            "Shopify",
            "--reference",
            "#1",
        ],
    );
    let dup = fairtill(
        &db,
        &[
            "record",
            "--item",
            "Print:40",
            "--method",
            "external",
            "--system",
            "Shopify",
            "--reference",
            "#1",
        ],
    );
    assert_eq!(dup.status.code(), Some(3), "a refusal by a rule");
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already logged"));
    let help = ok(&db, &["export", "--help"]);
    assert!(help.contains("--currency"));
}

#[test]
fn offers_backup_restore_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let offer = json(
        &db,
        &["offers", "save", "--name", "Two mugs", "--item", "Mug:8:2"],
    );
    let id = offer["id"].as_str().unwrap().to_string();
    assert_eq!(json(&db, &["offers", "list"]).as_array().unwrap().len(), 1);
    ok(&db, &["offers", "retire", &id]);
    assert_eq!(json(&db, &["offers", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(
        json(&db, &["offers", "list", "--all"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    ok(&db, &["record", "--item", "Mug:5"]);
    let backup = dir.path().join("b.db");
    ok(&db, &["backup", "--out", backup.to_str().unwrap()]);
    ok(&db, &["record", "--item", "Mug:6"]);
    let restored = ok(&db, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(restored.contains("kept at"), "{restored}");
    assert_eq!(json(&db, &["list"])["rows"].as_array().unwrap().len(), 1);
    let check = json(&db, &["check"]);
    assert_eq!(check["integrity_ok"], true);
}

#[test]
fn record_reads_a_sale_from_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let sale = dir.path().join("sale.json");
    std::fs::write(
        &sale,
        r##"{
          "draft": {
            "currency": "EUR",
            "lines": [{ "sku": "MUG", "name": "Mug", "unit_price": { "amount": "9.90", "currency": "EUR" },
                        "quantity": 2, "tax_category": "standard", "discount": null, "price_override_reason": null }],
            "discount": { "value": { "type": "percent", "percent": "10" }, "reason": "show special" },
            "tax": { "mode": "inclusive", "standard_rate": "19", "reduced_rate": "7" },
            "customer": { "name": "Grace", "email": "grace@example.org", "phone": null, "billing_address": null },
            "note": null
          },
          "tender": { "kind": { "type": "sale" }, "method": { "type": "external", "system": "Shopify", "reference": "#9" },
                      "result": "approved", "amount": null }
        }"##,
    )
    .unwrap();
    let recorded = json(&db, &["record", "--from-json", sale.to_str().unwrap()]);
    assert_eq!(recorded["total"]["amount"], "17.82", "19.80 less 10 %");
    let page = json(&db, &["list", "--text", "grace"]);
    assert_eq!(page["rows"][0]["external_reference"], "#9");
    std::fs::write(&sale, r#"{"draft": {"currency": "JPY"}}"#).unwrap();
    let bad = fairtill(&db, &["record", "--from-json", sale.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not valid"));
}

#[test]
fn record_sells_typed_amounts_with_no_product() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let sale = json(
        &db,
        &[
            "record",
            "--currency",
            "EUR",
            "--amount",
            "12.50:Repair: strap",
            "--amount",
            "3",
            "--item",
            "Mug:5",
        ],
    );
    assert_eq!(sale["total"]["amount"], "20.50");
    let order = json(&db, &["show", sale["receipt"].as_str().unwrap()]);
    let lines = order["order"]["lines"].as_array().unwrap();
    let names: Vec<_> = lines
        .iter()
        .map(|l| (l["sku"].as_str().unwrap(), l["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [("MUG", "Mug"), ("", "Repair: strap"), ("", "Custom amount")],
        "typed amounts have no SKU and are named by their note"
    );
    for bad in ["0", "-2", "abc:note"] {
        let out = fairtill(&db, &["record", "--currency", "EUR", "--amount", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    assert_eq!(json(&db, &["list"])["rows"].as_array().unwrap().len(), 1);
}

#[test]
fn every_ledger_action_of_the_order_screen_is_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let code = |args: &[&str]| fairtill(&db, args).status.code();

    // Capture twice from an authorization, then void the rest.
    let auth = json(
        &db,
        &[
            "record",
            "--item",
            "Print:40",
            "--method",
            "card",
            "--authorize",
        ],
    );
    let auth_tx = auth["transaction_id"].as_str().unwrap().to_string();
    json(&db, &["act", "capture", &auth_tx, "--amount", "15"]);
    assert_eq!(
        code(&["act", "capture", &auth_tx, "--amount", "30"]),
        Some(3),
        "beyond the authorization"
    );
    let voided = json(&db, &["act", "void", &auth_tx, "--reason", "customer left"]);
    assert_eq!(voided["status"], "partly_paid");
    assert_eq!(voided["balance_due"]["amount"], "25.00");
    // What is due: marked paid, by bank transfer.
    let receipt = auth["receipt"].as_str().unwrap();
    let paid = json(
        &db,
        &["act", "mark-paid", receipt, "--note", "bank transfer"],
    );
    assert_eq!(paid["status"], "paid");

    // Refunds: an item, an amount, then all of another sale; each refusal as in the app.
    let sale = json(&db, &["record", "--item", "Mug:10:3", "--item", "Card:4"]);
    let sale_tx = sale["transaction_id"].as_str().unwrap().to_string();
    let one = json(
        &db,
        &[
            "act", "refund", &sale_tx, "--item", "1:2", "--reason", "chipped",
        ],
    );
    assert_eq!(one["refunded"]["amount"], "20.00");
    assert_eq!(
        code(&["act", "refund", &sale_tx, "--item", "1:2"]),
        Some(3),
        "one mug left"
    );
    assert_eq!(
        code(&["act", "refund", &sale_tx, "--item", "0:1"]),
        Some(2),
        "lines count from 1"
    );
    assert_eq!(
        code(&["act", "refund", &sale_tx]),
        Some(2),
        "say what to refund"
    );
    json(&db, &["act", "refund", &sale_tx, "--amount", "14"]);
    assert_eq!(
        code(&["act", "refund", &sale_tx, "--amount", "0.01"]),
        Some(3),
        "nothing left"
    );
    let other = json(&db, &["record", "--item", "Tea:4.20"]);
    let all = json(
        &db,
        &[
            "act",
            "refund",
            other["transaction_id"].as_str().unwrap(),
            "--all",
        ],
    );
    assert_eq!(all["status"], "refunded");

    // A credit beyond a refund, with the manager who permits it.
    let credited = json(
        &db,
        &[
            "act",
            "credit",
            "--amount",
            "5",
            "--order",
            sale["receipt"].as_str().unwrap(),
            "--approved-by",
            "Sam",
            "--reason",
            "goodwill",
        ],
    );
    let credit = credited["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "credit")
        .unwrap()
        .clone();
    assert_eq!(credit["approved_by"], "Sam");
    assert_eq!(
        code(&[
            "act",
            "credit",
            "--amount",
            "5",
            "--approved-by",
            " ",
            "--reason",
            "x"
        ]),
        Some(3),
        "a credit needs a manager"
    );

    // A logged sale entered by mistake: voided, then replaced by the right payment.
    let logged = json(
        &db,
        &[
            "record",
            "--item",
            "Bag:18",
            "--method",
            "external",
            "--system",
            "Shopify",
            "--reference",
            "#77",
        ],
    );
    let logged_tx = logged["transaction_id"].as_str().unwrap().to_string();
    json(&db, &["act", "void", &logged_tx, "--reason", "wrong order"]);
    let replaced = json(&db, &["act", "replace", &logged_tx, "--method", "cash"]);
    assert_eq!(replaced["status"], "paid");
    assert_eq!(
        code(&["act", "replace", &logged_tx]),
        Some(3),
        "replaced once"
    );

    // A result that was not known, recorded; an open order written off.
    let unknown = json(
        &db,
        &[
            "record", "--item", "Jar:6", "--method", "card", "--result", "unknown",
        ],
    );
    let unknown_tx = unknown["transaction_id"].as_str().unwrap().to_string();
    let declined = json(
        &db,
        &[
            "act",
            "resolve",
            &unknown_tx,
            "--result",
            "declined",
            "--note",
            "terminal said no",
        ],
    );
    assert_eq!(declined["status"], "open");
    assert_eq!(
        code(&["act", "resolve", &unknown_tx, "--result", "approved"]),
        Some(3),
        "decided already"
    );
    let written = json(
        &db,
        &[
            "act",
            "write-off",
            unknown["receipt"].as_str().unwrap(),
            "--reason",
            "customer gone",
        ],
    );
    assert_eq!(written["status"], "written_off");
    assert_eq!(code(&["act", "void", "not-an-id"]), Some(2));
}
