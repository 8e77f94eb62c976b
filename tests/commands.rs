//! Every Tauri command, called through Tauri's mock runtime exactly as the web UI calls it
//! (JSON arguments in camelCase, JSON results), over a real file-backed till. Errors must
//! arrive as `{ code, message }` with a message a booth worker can act on.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::server::Server;
use fairtill_app::{with_commands, AppState};
use fairtill_store::Till;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _dir: tempfile::TempDir,
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let till = Till::open(&dir.path().join("till.db")).unwrap();
        let app = with_commands(mock_builder())
            .manage(AppState::new(till).unwrap())
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Harness {
            _dir: dir,
            _app: app,
            webview,
        }
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Asserts the command fails with `code` and a message containing `words`.
    fn refused(&self, cmd: &str, args: Value, code: &str, words: &str) {
        let err = self
            .call(cmd, args)
            .expect_err(&format!("{cmd} should fail"));
        assert_eq!(err["code"], code, "{cmd}: {err}");
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains(words),
            "{cmd}: {message:?} lacks {words:?}"
        );
        assert_eq!(
            err.as_object().unwrap().len(),
            2,
            "only code and message: {err}"
        );
    }

    /// An event in EUR with 19 % / 7 % inclusive tax and manual capture; Ana signed on.
    fn at_event(&self) -> Value {
        let event = self.ok(
            "create_event",
            json!({"event": {"name": "Craft Fair", "currency": "EUR", "tax_mode": "inclusive",
                "standard_rate": "19", "reduced_rate": "7", "capture_mode": "manual",
                "capture_window_hours": 48}}),
        );
        self.ok("set_till", json!({"eventId": event["id"], "staff": "Ana"}));
        event
    }

    fn import(&self, csv: &str) -> Result<Value, Value> {
        let path = self._dir.path().join("products.csv");
        std::fs::write(&path, csv).unwrap();
        self.call("import_products", json!({"path": path}))
    }
}

fn line(sku: &str, price: &str, quantity: u32) -> Value {
    json!({"sku": sku, "name": sku.to_lowercase(), "unit_price": {"amount": price, "currency": "EUR"},
        "quantity": quantity, "tax_category": "standard", "discount": null, "price_override_reason": null})
}

fn cart(lines: Vec<Value>) -> Value {
    json!({"lines": lines, "discount": null, "customer": null, "note": null})
}

const PRODUCTS: &str = "sku,name,price,currency,tax_category,barcode,favourite\n\
    MUG,Blue mug,12.50,EUR,standard,4006381333931,yes\n\
    TEA,Green tea,4.20,EUR,reduced,,no\n";

#[test]
fn event_and_till_commands() {
    let h = Harness::new();
    let status = h.ok("till_status", json!({}));
    assert_eq!(status["staff"], "");
    assert_eq!(status["event"], Value::Null);
    h.refused("open_till", json!({"float": "100"}), "invalid", "signed on");
    h.refused(
        "create_event",
        json!({"event": {"name": "X", "currency": "EUR", "tax_mode": "inclusive",
            "standard_rate": "abc", "reduced_rate": "", "capture_mode": "automatic", "capture_window_hours": 24}}),
        "invalid",
        "not a number",
    );
    h.refused(
        "create_event",
        json!({"event": {"name": "X", "currency": "EUR", "tax_mode": "inclusive",
            "standard_rate": "120", "reduced_rate": "", "capture_mode": "automatic", "capture_window_hours": 24}}),
        "invalid",
        "between 0 and 100",
    );
    h.refused(
        "create_event",
        json!({"event": {"name": "X", "currency": "XYZ", "tax_mode": "inclusive",
            "standard_rate": "", "reduced_rate": "", "capture_mode": "automatic", "capture_window_hours": 24}}),
        "invalid",
        "XYZ",
    );
    h.refused(
        "set_till",
        json!({"eventId": "0190a0a0-0000-7000-8000-000000000000", "staff": "Ana"}),
        "not_found",
        "event",
    );
    let event = h.at_event();
    assert_eq!(h.ok("list_events", json!({})).as_array().unwrap().len(), 1);
    let status = h.ok("till_status", json!({}));
    assert_eq!(status["event"]["id"], event["id"]);
    assert_eq!(status["staff"], "Ana");

    h.refused("open_till", json!({"float": "ten"}), "invalid", "float");
    let session = h.ok("open_till", json!({"float": "100.00"}));
    assert_eq!(
        session["float"],
        json!({"amount": "100.00", "currency": "EUR"})
    );
    h.refused(
        "open_till",
        json!({"float": "5"}),
        "invalid",
        "already open",
    );
    h.import(PRODUCTS).unwrap();
    h.ok(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 2)]), "tender": {"type": "cash", "tendered": "30"}}),
    );
    let closed = h.ok(
        "close_till",
        json!({"counted": "124.00", "note": "short a coin"}),
    );
    assert_eq!(closed["close"]["expected"]["amount"], "125.00");
    assert_eq!(closed["close"]["over_short"]["amount"], "-1.00");
    h.refused(
        "close_till",
        json!({"counted": "1", "note": ""}),
        "invalid",
        "not open",
    );
    assert_eq!(
        h.ok("till_sessions", json!({})).as_array().unwrap().len(),
        1
    );
}

#[test]
fn catalog_commands() {
    let h = Harness::new();
    let err = h
        .import("sku,name,price,currency\nMUG,Mug,1.234,EUR\n,Nameless,1,EUR\n")
        .unwrap_err();
    assert_eq!(err["code"], "invalid");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("nothing was imported"));
    h.refused(
        "import_products",
        json!({"path": "/no/such/file.csv"}),
        "invalid",
        "cannot read",
    );
    assert_eq!(h.import(PRODUCTS).unwrap(), 2);
    let found = h.ok("search_products", json!({"text": "mug"}));
    assert_eq!(found[0]["sku"], "MUG");
    assert_eq!(
        found[0]["unit_price"],
        json!({"amount": "12.50", "currency": "EUR"})
    );
    assert_eq!(
        h.ok("product_by_code", json!({"code": "4006381333931"}))["sku"],
        "MUG"
    );
    assert_eq!(h.ok("product_by_code", json!({"code": "999"})), Value::Null);
    assert_eq!(h.ok("favourites", json!({})).as_array().unwrap().len(), 1);
    h.ok("set_favourite", json!({"sku": "TEA", "favourite": true}));
    assert_eq!(h.ok("favourites", json!({})).as_array().unwrap().len(), 2);
    h.refused(
        "set_favourite",
        json!({"sku": "NOPE", "favourite": true}),
        "not_found",
        "NOPE",
    );
}

#[test]
fn sale_commands() {
    let h = Harness::new();
    h.refused(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 1)]), "tender": {"type": "cash", "tendered": ""}}),
        "invalid",
        "signed on",
    );
    h.at_event();
    assert_eq!(
        h.ok("cart_totals", json!({"cart": cart(vec![])})),
        Value::Null
    );
    let totals = h.ok(
        "cart_totals",
        json!({"cart": cart(vec![line("MUG", "12.50", 2), line("TEA", "4.20", 1)])}),
    );
    assert_eq!(totals["total"]["amount"], "29.20");
    // 19 % included in 25.00 is 3.99; in 4.20 it is 0.67.
    assert_eq!(totals["tax"]["amount"], "4.66");
    let mut discounted = cart(vec![line("MUG", "12.50", 2)]);
    discounted["discount"] =
        json!({"value": {"type": "percent", "percent": "10"}, "reason": "show special"});
    assert_eq!(
        h.ok("cart_totals", json!({"cart": discounted}))["total"]["amount"],
        "22.50"
    );
    let mut overridden = cart(vec![line("MUG", "10.00", 1)]);
    overridden["lines"][0]["price_override_reason"] = json!(null);
    overridden["lines"][0]["discount"] = json!({"value": {"type": "amount", "amount": {"amount": "20.00", "currency": "EUR"}}, "reason": "x"});
    h.refused(
        "cart_totals",
        json!({"cart": overridden}),
        "invalid",
        "line 1",
    );

    h.refused(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 1)]), "tender": {"type": "cash", "tendered": "10"}}),
        "invalid",
        "less than the",
    );
    let receipt = h.ok(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 1)]), "tender": {"type": "cash", "tendered": "20"}}),
    );
    assert_eq!(receipt["change"]["amount"], "7.50");
    // The referrer typed under Alt+M is kept on the order, trimmed, for their commission.
    let mut referred = cart(vec![line("MUG", "12.50", 1)]);
    referred["referrer"] = json!("  CLUB7 ");
    let receipt_ref = h.ok(
        "charge",
        json!({"cart": referred, "tender": {"type": "cash", "tendered": ""}}),
    );
    assert_eq!(receipt_ref["order"]["order"]["referrer"], "CLUB7");
    assert!(
        receipt["order"]["order"].get("referrer").is_none(),
        "absent when none"
    );
    assert!(receipt["sale"]["receipt"]
        .as_str()
        .unwrap()
        .starts_with("T1-"));
    h.refused(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 1)]), "tender": {"type": "card", "last4": "12a4", "approval_code": null}}),
        "invalid",
        "4 digits",
    );
    let logged = h.ok(
        "charge",
        json!({"cart": cart(vec![line("TEA", "4.20", 1)]), "tender": {"type": "external", "system": "Shopify", "reference": "#1001"}}),
    );
    assert_eq!(
        logged["order"]["transactions"][0]["method"]["reference"],
        "#1001"
    );
    h.refused(
        "charge",
        json!({"cart": cart(vec![line("TEA", "4.20", 1)]), "tender": {"type": "external", "system": "Shopify", "reference": "#1001"}}),
        "refused",
        "already logged",
    );
    h.refused(
        "charge",
        json!({"cart": cart(vec![]), "tender": {"type": "card", "last4": null, "approval_code": null}}),
        "invalid",
        "",
    );
    let auth = h.ok(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 1)]), "tender": {"type": "authorize", "last4": "4242", "approval_code": "A1"}}),
    );
    assert_eq!(auth["order"]["status"], "authorized");
    let again = h.ok("receipt", json!({"orderId": auth["sale"]["order_id"]}));
    assert_eq!(again["order"]["receipt"], auth["sale"]["receipt"]);
    h.refused(
        "receipt",
        json!({"orderId": "0190a0a0-0000-7000-8000-000000000000"}),
        "refused",
        "no order",
    );
}

#[test]
fn order_commands_follow_the_ledger() {
    let h = Harness::new();
    h.at_event();
    let auth = h.ok(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 2)]), "tender": {"type": "authorize", "last4": null, "approval_code": null}}),
    );
    let order_id = auth["sale"]["order_id"].clone();
    let auth_id = auth["sale"]["transaction_id"].clone();
    let detail = h.ok("order_detail", json!({"orderId": order_id}));
    let capture = detail["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "capture")
        .unwrap();
    assert_eq!(capture["refused"], Value::Null);
    assert_eq!(capture["up_to"]["amount"], "25.00");
    h.ok("capture", json!({"txId": auth_id, "amountText": "10"}));
    h.ok("capture", json!({"txId": auth_id, "amountText": "5.00"}));
    h.refused(
        "capture",
        json!({"txId": auth_id, "amountText": "11"}),
        "refused",
        "only 10.00 EUR",
    );
    let detail = h.ok(
        "void_transaction",
        json!({"txId": auth_id, "why": "customer left"}),
    );
    // 15 of 25 captured, the rest released: the order is partly paid, 10 still due.
    assert_eq!(detail["view"]["status"], "partly_paid");
    assert_eq!(detail["view"]["balance_due"]["amount"], "10.00");
    h.refused(
        "void_transaction",
        json!({"txId": auth_id, "why": ""}),
        "refused",
        "already voided",
    );
    h.refused(
        "mark_paid",
        json!({"orderId": order_id, "note": " "}),
        "refused",
        "needs a reason",
    );
    let detail = h.ok(
        "mark_paid",
        json!({"orderId": order_id, "note": "rest paid by bank transfer"}),
    );
    assert_eq!(detail["view"]["status"], "paid");

    // Another authorization, partly captured and released: the rest is written off.
    let auth = h.ok(
        "charge",
        json!({"cart": cart(vec![line("TEA", "4.20", 2)]), "tender": {"type": "authorize", "last4": null, "approval_code": null}}),
    );
    let second = auth["sale"]["transaction_id"].clone();
    h.ok("capture", json!({"txId": second, "amountText": "5"}));
    h.ok("void_transaction", json!({"txId": second, "why": ""}));
    h.refused(
        "write_off",
        json!({"orderId": auth["sale"]["order_id"], "why": ""}),
        "refused",
        "needs a reason",
    );
    let detail = h.ok(
        "write_off",
        json!({"orderId": auth["sale"]["order_id"], "why": "customer left with one"}),
    );
    assert_eq!(detail["view"]["status"], "written_off");

    let sale = h.ok(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 2), line("TEA", "4.20", 1)]), "tender": {"type": "card", "last4": "4242", "approval_code": null}}),
    );
    let sale_id = sale["sale"]["transaction_id"].clone();
    h.refused(
        "refund",
        json!({"txId": sale_id, "refund": {"type": "items", "items": []}, "why": ""}),
        "invalid",
        "at least one item",
    );
    h.ok(
        "refund",
        json!({"txId": sale_id, "refund": {"type": "items", "items": [{"line": 0, "quantity": 1}]}, "why": "chipped"}),
    );
    h.refused(
        "refund",
        json!({"txId": sale_id, "refund": {"type": "full"}, "why": ""}),
        "refused",
        "already refunded",
    );
    h.refused(
        "refund",
        json!({"txId": sale_id, "refund": {"type": "amount", "amount": "20"}, "why": ""}),
        "refused",
        "only 16.70 EUR",
    );
    let detail = h.ok(
        "refund",
        json!({"txId": sale_id, "refund": {"type": "amount", "amount": "16.70"}, "why": ""}),
    );
    assert_eq!(detail["view"]["status"], "refunded");

    let logged = h.ok(
        "charge",
        json!({"cart": cart(vec![line("TEA", "4.20", 1)]), "tender": {"type": "external", "system": "Shopify", "reference": "#7"}}),
    );
    let logged_id = logged["sale"]["transaction_id"].clone();
    let logged_order = logged["sale"]["order_id"].clone();
    h.ok(
        "void_transaction",
        json!({"txId": logged_id, "why": "wrong reference"}),
    );
    let detail = h.ok(
        "replace_sale",
        json!({"txId": logged_id, "system": "Shopify", "reference": "#8"}),
    );
    assert_eq!(detail["view"]["status"], "paid");
    h.refused(
        "replace_sale",
        json!({"txId": logged_id, "system": "Shopify", "reference": "#9"}),
        "refused",
        "already replaced",
    );
    h.refused(
        "mark_paid",
        json!({"orderId": logged_order, "note": "bank transfer"}),
        "refused",
        "",
    );
    h.refused(
        "write_off",
        json!({"orderId": logged_order, "why": "lost"}),
        "refused",
        "",
    );
    h.refused(
        "resolve_result",
        json!({"txId": logged_id, "result": "approved", "note": ""}),
        "refused",
        "only an unknown result can change",
    );
}

#[test]
fn transactions_and_offers_commands() {
    let h = Harness::new();
    h.at_event();
    for (sku, tender) in [
        ("MUG", json!({"type": "cash", "tendered": ""})),
        (
            "TEA",
            json!({"type": "external", "system": "Square", "reference": "SQ-1"}),
        ),
    ] {
        h.ok(
            "charge",
            json!({"cart": cart(vec![line(sku, "5.00", 1)]), "tender": tender}),
        );
    }
    let all = h.ok("list_transactions", json!({"filter": {}, "after": null}));
    assert_eq!(all["rows"].as_array().unwrap().len(), 2);
    let filter = json!({"method": "external"});
    let page = h.ok(
        "list_transactions",
        json!({"filter": filter, "after": null}),
    );
    assert_eq!(page["rows"][0]["external_reference"], "SQ-1");
    h.refused(
        "list_transactions",
        json!({"filter": {"method": "cheque"}, "after": null}),
        "invalid",
        "cheque",
    );
    let summary = h.ok("transactions_summary", json!({"filter": {}}));
    assert_eq!(summary["currencies"][0]["net"]["amount"], "10.00");
    let out = h._dir.path().join("out.csv");
    assert_eq!(
        h.ok(
            "export_transactions",
            json!({"filter": filter, "path": out, "plain": false})
        ),
        1
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with('\u{feff}'),
        "for a spreadsheet: a byte-order mark"
    );
    assert!(text.contains("SQ-1") && !text.contains(",cash,"), "{text}");
    let plain = h._dir.path().join("plain.csv");
    h.ok(
        "export_transactions",
        json!({"filter": filter, "path": plain, "plain": true}),
    );
    assert_eq!(
        std::fs::read_to_string(&plain).unwrap(),
        text.trim_start_matches('\u{feff}'),
        "plain: the same rows with no mark"
    );
    h.refused(
        "export_transactions",
        json!({"filter": {}, "path": "/no/such/dir/out.csv", "plain": false}),
        "invalid",
        "cannot write",
    );
    h.refused(
        "export_transactions",
        json!({"filter": {}, "path": " ", "plain": false}),
        "invalid",
        "choose where",
    );

    let offer = h.ok(
        "save_offer",
        json!({"name": "Mug + tea", "cart": cart(vec![line("MUG", "10.00", 1), line("TEA", "3.00", 2)])}),
    );
    h.refused(
        "save_offer",
        json!({"name": "mug + TEA", "cart": cart(vec![line("MUG", "10.00", 1)])}),
        "invalid",
        "already exists",
    );
    h.refused(
        "save_offer",
        json!({"name": "Empty", "cart": cart(vec![])}),
        "invalid",
        "empty",
    );
    assert_eq!(
        h.ok("list_offers", json!({"includeRetired": false}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    h.ok("retire_offer", json!({"offerId": offer["id"]}));
    assert_eq!(
        h.ok("list_offers", json!({"includeRetired": false}))
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        h.ok("list_offers", json!({"includeRetired": true}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    h.refused(
        "retire_offer",
        json!({"offerId": offer["id"]}),
        "invalid",
        "already retired",
    );
}

#[test]
fn sync_commands_answer_without_a_server() {
    let h = Harness::new();
    let state = h.ok("sync_state", json!({}));
    assert_eq!(state["server_url"], Value::Null);
    assert_eq!(h.ok("sync_now", json!({}))["server_url"], Value::Null);
    h.refused(
        "enroll_device",
        json!({"serverUrl": "http://127.0.0.1:9", "code": " "}),
        "invalid",
        "enrollment code",
    );
    h.refused(
        "enroll_device",
        json!({"serverUrl": "http://127.0.0.1:9", "code": "ABCD"}),
        "offline",
        "",
    );
    h.ok("disconnect_server", json!({}));
}

/// Needs the system keyring (the README's test command runs the suite in a D-Bus session with
/// gnome-keyring unlocked): the device and manager tokens are kept there.
#[test]
fn manager_commands_read_the_server() {
    let h = Harness::new();
    let server = Server::start(h._dir.path());
    // Before signing in, nothing is shown.
    h.refused(
        "manager_devices",
        json!({}),
        "sign_in",
        "sign in as a manager",
    );
    assert_eq!(h.ok("manager_session", json!({})), Value::Null);

    // The till sells by card and in cash, enrolls, and syncs.
    let event = h.at_event();
    h.ok("open_till", json!({"float": "50.00"}));
    let sale = h.ok(
        "charge",
        json!({"cart": cart(vec![line("MUG", "12.50", 2)]),
               "tender": {"type": "card", "last4": "4242", "approval_code": "A1B2C3"}}),
    );
    h.ok(
        "charge",
        json!({"cart": cart(vec![line("TEA", "4.20", 1)]), "tender": {"type": "cash", "tendered": "5.00"}}),
    );
    h.ok("close_till", json!({"counted": "54.20", "note": ""}));
    h.ok(
        "enroll_device",
        json!({"serverUrl": server.url, "code": server.code("Booth 1")}),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        h.ok("sync_now", json!({}));
        if h.ok("sync_state", json!({}))["status"]["waiting"] == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the till synced");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // Sign in: a wrong password is refused in words; the right one opens the workspace.
    h.refused(
        "manager_sign_in",
        json!({"serverUrl": server.url, "name": "alex", "password": "wrong password"}),
        "sign_in",
        "do not match",
    );
    h.refused(
        "manager_sign_in",
        json!({"serverUrl": server.url, "name": "", "password": ""}),
        "invalid",
        "name and password",
    );
    let session = h.ok(
        "manager_sign_in",
        json!({"serverUrl": server.url, "name": "alex", "password": "booth-manager-2026"}),
    );
    assert_eq!(session["name"], "alex");
    assert_eq!(h.ok("manager_session", json!({}))["name"], "alex");
    // The token is in the keyring: the sign-in resumes after a restart.
    let resumed = h.ok(
        "manager_resume",
        json!({"serverUrl": server.url, "name": "alex"}),
    );
    assert_eq!(resumed["name"], "alex");

    let devices = h.ok("manager_devices", json!({}));
    assert_eq!(devices[0]["name"], "Booth 1");
    let events = h.ok("manager_events", json!({}));
    assert_eq!(events[0]["id"], event["id"]);
    assert_eq!(events[0]["transactions"], 2);
    let filter = json!({"from": null, "to": null, "event_id": event["id"], "staff": null, "kinds": [],
        "results": [], "currency": null, "method": "card", "text": null});
    let page = h.ok(
        "manager_transactions",
        json!({"filter": filter, "deviceId": devices[0]["id"], "after": null}),
    );
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    assert_eq!(page["rows"][0]["amount"]["amount"], "25.00");
    let summary = h.ok(
        "manager_summary",
        json!({"filter": filter, "deviceId": null}),
    );
    assert_eq!(summary["currencies"][0]["net"]["amount"], "25.00");
    h.refused(
        "manager_transactions",
        json!({"filter": filter, "deviceId": "booth", "after": null}),
        "invalid",
        "not a till id",
    );
    let csv_path = h._dir.path().join("all.csv");
    assert!(
        h.ok(
            "manager_export_transactions",
            json!({"filter": filter, "deviceId": null, "path": csv_path, "plain": false}),
        )
        .as_u64()
        .unwrap()
            > 0
    );
    let all = std::fs::read_to_string(&csv_path).unwrap();
    assert!(
        all.starts_with('\u{feff}') && all.contains("25.00"),
        "{all}"
    );
    let order = h.ok(
        "manager_order",
        json!({"orderId": sale["order"]["order"]["id"]}),
    );
    assert_eq!(order["view"]["status"], "paid");

    // Close-out: the drawer counted 54.20 against 54.20 expected.
    let close = h.ok(
        "manager_close_out",
        json!({"eventId": event["id"], "deviceId": null, "staff": null}),
    );
    assert_eq!(
        close["whole"]["summary"]["currencies"][0]["net"]["amount"],
        "29.20"
    );
    assert_eq!(
        close["sessions"][0]["close"]["over_short"]["amount"],
        "0.00"
    );
    let sessions_path = h._dir.path().join("sessions.csv");
    h.ok(
        "manager_export_close_out",
        json!({"eventId": event["id"], "deviceId": null, "staff": "Ana", "part": "sessions", "path": sessions_path}),
    );
    assert!(std::fs::read_to_string(&sessions_path)
        .unwrap()
        .contains("54.20"));
    h.refused(
        "manager_close_out",
        json!({"eventId": "fair", "deviceId": null, "staff": null}),
        "invalid",
        "not an event id",
    );
    let hours = h.ok("manager_sales_by_hour", json!({"eventId": event["id"]}));
    assert_eq!(hours.as_array().unwrap().len(), 2);
    assert_eq!(
        h.ok("manager_conflicts", json!({"includeResolved": true})),
        json!([])
    );
    h.refused(
        "manager_resolve_conflict",
        json!({"conflictId": "c0ffee00-0000-7000-8000-000000000000", "note": " "}),
        "invalid",
        "say what was done",
    );

    // Settlement: the terminal's export names the card sale by its approval code.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let file = h._dir.path().join("sumup.csv");
    std::fs::write(
        &file,
        format!(
            "E-Mail,Datum,Transaktions-ID,Transaktionsart,Status,Kartentyp,Letzte 4 Ziffern,Durchgeführt mit,Zahlungsmethode,Eingabemodus,Autorisierungscode,Beschreibung,Betrag inkl. MwSt.\n\
             a@b.c,{today},TX1,Umsatz,Erfolgreich,VISA,**** 4242,CREDIT,POS,CONTACTLESS,A1B2C3,2 x Mug,25.0\n"
        ),
    )
    .unwrap();
    h.refused(
        "manager_import_settlement",
        json!({"path": file, "format": null, "currency": null, "windowHours": null, "eventId": null}),
        "refused",
        "no currency column",
    );
    let report = h.ok(
        "manager_import_settlement",
        json!({"path": file, "format": null, "currency": "EUR", "windowHours": 24, "eventId": event["id"]}),
    );
    assert_eq!(report["matches"][0]["state"], "matched");
    assert_eq!(report["import"]["format"], "SumUp transactions");
    let id = report["import"]["id"].clone();
    assert_eq!(h.ok("manager_settlements", json!({}))[0]["id"], id);
    assert_eq!(
        h.ok("manager_settlement", json!({"importId": id}))["matches"][0]["state"],
        "matched"
    );
    h.refused(
        "manager_decide",
        json!({"importId": id, "line": 2, "action": "confirm", "transactionId": null}),
        "refused",
        "not a suggestion",
    );
    let rejected = h.ok(
        "manager_decide",
        json!({"importId": id, "line": 2, "action": "reject", "transactionId": null}),
    );
    assert_eq!(rejected["unmatched_rows"].as_array().unwrap().len(), 1);
    let formats = h.ok("manager_formats", json!({}));
    assert!(formats.as_array().unwrap().len() >= 6);
    let saved = h.ok(
        "manager_save_format",
        json!({"mapping": {"name": "Bank", "reference": ["Ref"], "amount": ["Amount"], "date": ["Day"],
            "currency": [], "time": [], "kind": [], "refund_kinds": [], "payment_kinds": [], "skip": [],
            "last4": [], "approval_code": [], "day_first": true}}),
    );
    assert_eq!(saved["name"], "Bank");

    // Signing out tells the server (the token stops working there) and forgets the token
    // here: nothing is shown, and nothing resumes.
    assert_eq!(h.ok("manager_sign_out", json!({})), Value::Bool(true));
    h.refused(
        "manager_events",
        json!({}),
        "sign_in",
        "sign in as a manager",
    );
    assert_eq!(
        h.ok(
            "manager_resume",
            json!({"serverUrl": server.url, "name": "alex"})
        ),
        Value::Null
    );

    // With the server gone the workspace says it needs a connection, and stays signed in.
    h.ok(
        "manager_sign_in",
        json!({"serverUrl": server.url, "name": "alex", "password": "booth-manager-2026"}),
    );
    drop(server);
    h.refused("manager_events", json!({}), "offline", "needs a connection");
    assert_eq!(h.ok("manager_session", json!({}))["name"], "alex");
    // Signing out offline still forgets the token here, and says the server was not told.
    assert_eq!(h.ok("manager_sign_out", json!({})), Value::Bool(false));
    assert_eq!(h.ok("manager_session", json!({})), Value::Null);
}

/// A database another program holds is "busy" and a full disk is "disk_full", each in words a
/// booth worker can act on (never SQLite's own text), and neither loses a recorded sale: once
/// the lock is gone or space is free, the same sale goes through.
#[test]
fn storage_problems_reach_the_ui_in_booth_words() {
    let h = Harness::new();
    h.at_event();
    let sale = json!({"cart": cart(vec![line("MUG", "12.50", 1)]), "tender": {"type": "cash", "tendered": ""}});
    h.ok("charge", sale.clone());
    let state = h._app.state::<AppState>();
    state
        .till
        .lock()
        .unwrap()
        .connection()
        .busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();

    // Another program holds the write lock.
    let other = rusqlite::Connection::open(h._dir.path().join("till.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    h.refused("charge", sale.clone(), "busy", "busy for a moment");
    other.execute_batch("ROLLBACK").unwrap();
    drop(other);
    h.ok("charge", sale.clone());

    // The disk fills up: the database may not grow by a page.
    let pages: i64 = {
        let till = state.till.lock().unwrap();
        let conn = till.connection();
        let pages = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "max_page_count", pages).unwrap();
        pages
    };
    let mut refused_at = None;
    for n in 0..200 {
        match h.call("charge", sale.clone()) {
            Ok(_) => {}
            Err(e) => {
                refused_at = Some((n, e));
                break;
            }
        }
    }
    let (_, err) = refused_at.expect("the database filled up");
    assert_eq!(err["code"], "disk_full", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("disk is full"), "{message}");
    assert!(
        !message.contains("database or disk is full"),
        "not SQLite's words: {message}"
    );
    {
        let till = state.till.lock().unwrap();
        till.connection()
            .pragma_update(None, "max_page_count", pages * 100)
            .unwrap();
    }
    let before = h.ok("transactions_summary", json!({"filter": {}}));
    h.ok("charge", sale);
    let after = h.ok("transactions_summary", json!({"filter": {}}));
    assert_ne!(before, after, "selling goes on once there is space");
}

/// The app's log is written to a file, and no token, enrollment code, password or customer
/// detail reaches it.
#[test]
fn the_app_log_holds_no_secret() {
    const EMAIL: &str = "grace.hopper@example.org";
    const NAME: &str = "Grace Hopper";
    let logs = tempfile::tempdir().unwrap();
    let guard = fairtill_app::logging::init(logs.path()).unwrap();
    let h = Harness::new();
    let server = Server::start(h._dir.path());
    h.at_event();
    let mut with_customer = cart(vec![line("MUG", "12.50", 1)]);
    with_customer["customer"] = json!({"name": NAME, "email": EMAIL, "phone": "+49 30 1234567"});
    h.ok(
        "charge",
        json!({"cart": with_customer, "tender": {"type": "card", "last4": "4242", "approval_code": "A1"}}),
    );
    let found = h.ok(
        "list_transactions",
        json!({"filter": {"text": EMAIL}, "after": null}),
    );
    assert_eq!(found["rows"].as_array().unwrap().len(), 1, "{found}");
    let code = server.code("Booth 1");
    h.ok(
        "enroll_device",
        json!({"serverUrl": server.url, "code": code}),
    );
    let device = h._app.state::<AppState>().till.lock().unwrap().device().id;
    let url = fairtill_sync::normalize_url(&server.url).unwrap();
    let device_token = fairtill_sync::Credential::new(&url, device)
        .unwrap()
        .load()
        .unwrap()
        .expect("the device token is in the keyring");
    h.ok("sync_now", json!({}));
    h.refused(
        "manager_sign_in",
        json!({"serverUrl": server.url, "name": "alex", "password": "not-the-password-42"}),
        "sign_in",
        "do not match",
    );
    h.ok(
        "manager_sign_in",
        json!({"serverUrl": server.url, "name": "alex", "password": "booth-manager-2026"}),
    );
    let manager_token = fairtill_sync::Credential::for_manager(&url, "alex")
        .unwrap()
        .load()
        .unwrap()
        .expect("the manager token is in the keyring");
    h.ok("manager_events", json!({}));
    h.ok("manager_sign_out", json!({}));
    h.ok("disconnect_server", json!({}));
    drop(guard);

    let mut text = String::new();
    for entry in std::fs::read_dir(logs.path()).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(text.contains("sale recorded"), "sales are logged: {text}");
    assert!(
        text.contains("error=SignIn"),
        "refusals are logged by code: {text}"
    );
    for secret in [
        EMAIL,
        NAME,
        "1234567",
        code.as_str(),
        "not-the-password-42",
        "booth-manager-2026",
        device_token.as_str(),
        manager_token.as_str(),
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} reached the log:\n{text}"
        );
    }
}

#[test]
fn card_on_file_commands_keep_to_the_events_offline_limits() {
    use fairtill_core::customer::SavedCard;
    use fairtill_store::Remote;
    let h = Harness::new();
    h.refused(
        "create_event",
        json!({"event": {"name": "Night Market", "currency": "EUR", "tax_mode": "inclusive",
            "standard_rate": "19", "reduced_rate": "7", "capture_mode": "automatic",
            "capture_window_hours": 48, "offline_largest": "30.00", "offline_total": "50.00",
            "offline_hours": 100}}),
        "invalid",
        "1 to 72 hours",
    );
    let event = h.ok(
        "create_event",
        json!({"event": {"name": "Night Market", "currency": "EUR", "tax_mode": "inclusive",
            "standard_rate": "19", "reduced_rate": "7", "capture_mode": "automatic",
            "capture_window_hours": 48, "offline_largest": "30.00", "offline_total": "50.00",
            "offline_hours": 24}}),
    );
    assert_eq!(
        event["offline_cards"],
        json!({"largest_minor": 3000, "total_minor": 5000, "oldest_hours": 24})
    );
    h.ok("set_till", json!({"eventId": event["id"], "staff": "Ana"}));

    h.refused(
        "save_customer",
        json!({"id": null, "details": {"name": "Mia", "email": "not-an-email", "phone": null, "billing_address": null}}),
        "invalid",
        "not an email address",
    );
    let mia = h.ok(
        "save_customer",
        json!({"id": null, "details": {"name": "Mia Wong", "email": "mia@example.com", "phone": "030 1234567", "billing_address": null}}),
    );
    let id: fairtill_core::ids::CustomerId =
        serde_json::from_value(mia["profile"]["id"].clone()).unwrap();
    // The server saved her card (pulled by sync).
    let card = SavedCard {
        id: "pm_visa".into(),
        customer_id: id,
        brand: "visa".into(),
        last4: "4242".into(),
        exp_month: 9,
        exp_year: 2031,
        saved_at: jiff::Timestamp::now(),
    };
    h._app
        .state::<AppState>()
        .till
        .lock()
        .unwrap()
        .apply_remote(&[Remote::CardSaved(card)], None, "1")
        .unwrap();
    let found = h.ok("find_customers", json!({"text": "1234567"}));
    assert_eq!(found[0]["cards"][0]["last4"], "4242");

    // The till is not connected: every charge to the card is an offline one.
    let on_file = json!({"type": "card_on_file", "customer": id, "card": "pm_visa", "hold": false});
    h.refused(
        "charge",
        json!({"cart": cart(vec![line("PRINT", "40.00", 1)]), "tender": on_file}),
        "invalid",
        "at most",
    );
    let first = h.ok(
        "charge",
        json!({"cart": cart(vec![line("PRINT", "25.00", 1)]), "tender": on_file}),
    );
    assert_eq!(
        first["order"]["transactions"][0]["history"][0]["result"],
        "unknown"
    );
    h.ok(
        "charge",
        json!({"cart": cart(vec![line("PRINT", "25.00", 1)]), "tender": on_file}),
    );
    h.refused(
        "charge",
        json!({"cart": cart(vec![line("PRINT", "10.00", 1)]), "tender": on_file}),
        "invalid",
        "already waits",
    );
    let waiting = h.ok(
        "payment_result",
        json!({"transactionId": first["sale"]["transaction_id"]}),
    );
    assert_eq!(waiting["state"], "due");
    assert!(waiting["message"]
        .as_str()
        .unwrap()
        .contains("not connected to a server"));
    h.refused(
        "charge",
        json!({"cart": cart(vec![line("PRINT", "5.00", 1)]),
            "tender": {"type": "card_on_file", "customer": id, "card": "pm_gone", "hold": false}}),
        "invalid",
        "no longer on file",
    );
}

#[test]
fn a_split_payment_is_paid_in_parts_and_refunded_across_them() {
    let h = Harness::new();
    h.at_event();
    let mut items = cart(vec![line("MUG", "12.50", 2)]);
    items["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sku": "", "name": "Strap repair", "unit_price": {"amount": "10.00", "currency": "EUR"},
            "quantity": 1, "tax_category": "reduced", "discount": null, "price_override_reason": null}));
    h.refused(
        "charge",
        json!({"cart": items, "tender": {"type": "cash", "tendered": ""}, "part": "40"}),
        "invalid",
        "more than the 35.00 EUR still due",
    );
    h.refused(
        "charge",
        json!({"cart": items, "tender": {"type": "cash", "tendered": "10"}, "part": "20"}),
        "invalid",
        "less than the 20.00 EUR to pay",
    );
    // 20 of 35 in cash (a 50 note: 30 change on the cash part only), then the rest by card.
    let first = h.ok(
        "charge",
        json!({"cart": items, "tender": {"type": "cash", "tendered": "50"}, "part": "20"}),
    );
    assert_eq!(first["change"]["amount"], "30.00");
    assert_eq!(first["order"]["status"], "partly_paid");
    assert_eq!(first["order"]["balance_due"]["amount"], "15.00");
    let order_id = first["sale"]["order_id"].clone();
    h.refused(
        "pay_part",
        json!({"orderId": order_id, "tender": {"type": "card", "last4": "4242", "approval_code": null}, "part": "0"}),
        "invalid",
        "more than zero",
    );
    let last = h.ok(
        "pay_part",
        json!({"orderId": order_id, "tender": {"type": "card", "last4": "4242", "approval_code": null}}),
    );
    assert_eq!(last["order"]["status"], "paid");
    assert_eq!(
        last["sale"]["receipt"], first["sale"]["receipt"],
        "one receipt"
    );
    assert_eq!(last["change"], Value::Null, "no change on a card part");
    let parts: Vec<_> = last["order"]["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["method"]["type"].as_str().unwrap(),
                t["amount"]["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(parts, [("cash", "20.00"), ("card", "15.00")]);
    h.refused(
        "pay_part",
        json!({"orderId": order_id, "tender": {"type": "cash", "tendered": ""}}),
        "invalid",
        "nothing left to pay",
    );
    // The refund action of the card part offers what every part can give back.
    let detail = h.ok("order_detail", json!({"orderId": order_id}));
    let card_part = last["sale"]["transaction_id"].clone();
    let offered = detail["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "refund" && a["target"] == card_part)
        .unwrap();
    assert_eq!(offered["up_to"]["amount"], "35.00");
    // Both mugs (25.00) asked of the card part (15.00): the other 10.00 comes back in cash.
    let refunded = h.ok(
        "refund",
        json!({"txId": card_part, "refund": {"type": "items", "items": [{"line": 0, "quantity": 2}]}, "why": "wrong colour"}),
    );
    let refunds: Vec<_> = refunded["view"]["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"]["amount"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refunds, ["15.00", "10.00"]);
    assert_eq!(refunded["view"]["refunded"]["amount"], "25.00");
    assert_eq!(refunded["view"]["status"], "partly_refunded");
}

#[test]
fn products_are_made_changed_and_retired_from_the_catalog_screen() {
    let h = Harness::new();
    let jam = json!({"sku": "JAM", "name": "Plum jam", "price": "5,50", "tax_category": "reduced",
        "barcode": "", "favourite": false, "category": "Honey & jam", "colour": "#A33A6B"});
    h.refused(
        "save_product",
        json!({"product": jam}),
        "invalid",
        "choose the event first",
    );
    h.at_event();
    let saved = h.ok("save_product", json!({"product": jam}));
    assert_eq!(
        saved["unit_price"],
        json!({"amount": "5.50", "currency": "EUR"})
    );
    assert_eq!(
        (saved["colour"].as_str(), saved["version"].as_u64()),
        (Some("#a33a6b"), Some(1))
    );
    let mut bad = jam.clone();
    bad["colour"] = json!("plum");
    h.refused(
        "save_product",
        json!({"product": bad}),
        "invalid",
        "#rrggbb",
    );
    bad["colour"] = json!("");
    bad["price"] = json!("5.555");
    h.refused("save_product", json!({"product": bad}), "invalid", "price");
    let mut dearer = jam.clone();
    dearer["price"] = json!("6.00");
    assert_eq!(
        h.ok("save_product", json!({"product": dearer}))["version"],
        2
    );
    let grid = h.ok("sell_grid", json!({}));
    assert_eq!(grid[0]["category"], "Honey & jam");
    assert_eq!(grid[0]["products"][0]["unit_price"]["amount"], "6.00");
    let retired = h.ok("retire_product", json!({"sku": "JAM", "retired": true}));
    assert_eq!(retired["retired"], true);
    assert_eq!(h.ok("sell_grid", json!({})), json!([]));
    assert_eq!(h.ok("search_products", json!({"text": "plum"})), json!([]));
    let listed = h.ok("catalog_products", json!({"text": "honey"}));
    assert_eq!(
        listed[0]["sku"], "JAM",
        "found by its category, retired too"
    );
    h.refused(
        "retire_product",
        json!({"sku": "NOPE", "retired": true}),
        "not_found",
        "NOPE",
    );
}

#[test]
fn the_first_run_sample_list_is_written_as_a_spreadsheet_saves_it_and_imported() {
    let h = Harness::new();
    h.refused(
        "import_sample_products",
        json!({}),
        "invalid",
        "choose the event first",
    );
    h.at_event();
    let sample = h._dir.path().join("sample.csv");
    h.ok("write_sample_products", json!({"path": sample}));
    let text = std::fs::read(&sample).unwrap();
    assert!(text.starts_with(b"\xEF\xBB\xBFsku,name,price,currency"));
    assert!(text.windows(2).any(|w| w == b"\r\n"), "CRLF line ends");
    assert_eq!(h.ok("import_products", json!({"path": sample})), 7);
    assert_eq!(
        h.ok("import_sample_products", json!({})),
        7,
        "the same seven, again"
    );
    let tabs: Vec<String> = h
        .ok("sell_grid", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["category"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tabs, ["Food", "Kitchen", "Paper", ""]);
}
