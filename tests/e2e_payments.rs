//! Cards on file in the real app window, against a real server charging localstripe (a Stripe
//! emulator): a new customer at the till, their card saved, charged from Sell by keyboard and
//! approved; a card the bank declines, said on the receipt; a charge made while the server is
//! down, waiting, then approved once it is back; a hold captured in part from Transactions (the
//! processor's release of the rest shown) and part of the capture refunded at the processor; the
//! declined order's balance scheduled by a manager, declined again and followed up, with the
//! customer's message shown, then ended; the customer's record in the Manager workspace; and
//! the processor's settled money fetched and matched, and its payouts listed.
//! Afterwards no test card number is in the till's database, the server's database or either
//! log.
//!
//! The card form itself opens in a window of its own, serving the processor's script; this test
//! does there what that script does (posts the card to the processor with the setup's client
//! secret), because WebKitWebDriver drives only the window it started.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::server::Server;
use common::window::*;
use fairtill_testkit::{Localstripe, Smtp, TEST_KEY};
use fantoccini::key::Key;
use serde_json::json;

const PRODUCTS: &str = "sku,name,price,currency,tax_category,barcode,favourite\n\
PRINT,Art print,25.00,EUR,standard,,yes\n";

const CARDS: [&str; 3] = ["4242424242424242", "4000000000000341", "4000000000003220"];

/// The server, charging through `ls` and sending mail through `smtp`.
fn serve(dir: &std::path::Path, bind: &str, ls: &Localstripe, smtp: &Smtp) -> Server {
    let port = smtp.port.to_string();
    Server::charging(
        dir,
        bind,
        ls,
        &[
            ("FAIRTILL_SMTP_HOST", "127.0.0.1"),
            ("FAIRTILL_SMTP_PORT", &port),
            ("FAIRTILL_SMTP_SECURITY", "none"),
            ("FAIRTILL_MAIL_FROM", "Gallery Night <orders@example.org>"),
            ("FAIRTILL_MAIL_POLL_SECS", "1"),
            ("FAIRTILL_SELLER_NAME", "Gallery Night"),
        ],
    )
}

/// What the processor's card form script does with the card the customer types: posts it to
/// the processor with the newest setup's client secret.
async fn customer_types_card(ls: &Localstripe, number: &str) {
    let setups = ls.all("/v1/setup_intents").await;
    let setup = setups
        .iter()
        .find(|s| s["status"] == "requires_payment_method")
        .expect("a card setup waits for the form");
    let answer = ls
        .fill_card_form(setup["client_secret"].as_str().unwrap(), number)
        .await;
    assert_eq!(answer["status"], "succeeded", "{answer}");
}

/// Saves a card for the customer shown in the tender (opens the form, fills it, saves).
async fn save_card(ui: &Ui, ls: &Localstripe, number: &str) {
    ui.click("[data-testid=save-card]").await;
    ui.el("[data-testid=card-form-open]").await;
    customer_types_card(ls, number).await;
    ui.click("[data-testid=card-form-done]").await;
    ui.wait_text("[data-testid=saved-cards]", &number[12..])
        .await;
}

/// Puts one print in the cart and opens the Card on file tender, by keyboard.
async fn sell_one(ui: &Ui) {
    ui.keys(&key(Key::F1)).await;
    ui.el("[data-testid=search]").await;
    ui.keys("print").await;
    ui.el("[data-testid=results]").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_count("[data-testid=cart-line]", 1).await;
    ui.keys(&key(Key::F11)).await;
    ui.el("[data-testid=card-on-file]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_on_file_in_the_real_window() {
    within_limit(cards_on_file()).await;
}

async fn cards_on_file() {
    let dir = tempfile::tempdir().unwrap();
    let ls = Localstripe::start();
    let smtp = Smtp::start();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let server = serve(dir.path(), &bind, &ls, &smtp);
    let db = dir.path().join("till.db");
    // The app's log goes beside its database, to be scanned at the end (the app inherits this
    // process's environment through tauri-driver).
    std::env::set_var("FAIRTILL_LOG_DIR", dir.path().join("logs"));
    let products = dir.path().join("products.csv");
    std::fs::write(&products, PRODUCTS).unwrap();
    let session = Session::start(&db).await;
    let ui = session.ui();

    step("Sign on, make the event, import products, connect to the server.");
    ui.sign_on("Ana").await;
    ui.set("[data-testid=event-name]", "Gallery Night").await;
    ui.el("[data-testid=event-offline-largest]").await;
    ui.c.execute(
        "document.querySelector('[data-testid=event-offline-hours]').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    ui.shot("event-offline-limits").await;
    ui.click("[data-testid=event-create]").await;
    ui.wait_text("[data-testid=current-event]", "Gallery Night")
        .await;
    ui.import_products(&products, "Imported 1 product").await;
    ui.connect_to_server(&server.url, &server.code("Gallery till"), "Gallery till")
        .await;

    step("A new customer, their card saved, charged from Sell by keyboard: approved.");
    sell_one(&ui).await;
    ui.click("[data-testid=new-customer]").await;
    ui.el("[data-testid=new-customer-name]").await;
    ui.keys(&format!(
        "Mia Wong{}mia@example.com{}",
        key(Key::Tab),
        key(Key::Enter)
    ))
    .await;
    ui.wait_text("[data-testid=chosen-customer]", "Mia Wong")
        .await;
    ui.el("[data-testid=no-card]").await;
    save_card(&ui, &ls, CARDS[0]).await;
    ui.wait_text("[data-testid=saved-cards]", "Visa ••4242")
        .await;
    ui.shot("card-on-file").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=charge-result]", "Approved")
        .await;
    ui.wait_text("[data-testid=receipt]", "Paid: Card on file Visa ••4242")
        .await;
    ui.shot("card-on-file-approved").await;
    ui.keys(&key(Key::Enter)).await;

    step("The server is down: the charge waits; once it is back, it is approved.");
    drop(server);
    sell_one(&ui).await;
    ui.keys("mia").await;
    ui.el("[data-testid=customer-results]").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=saved-cards]", "4242").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=charge-result]", "Waiting to charge")
        .await;
    ui.wait_text("[data-testid=receipt]", "To charge: Card on file")
        .await;
    ui.shot("card-on-file-waiting").await;
    // Still offline, the customer asks for the receipt by email: E, her address is there, Enter.
    ui.keys("e").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=receipt-email-done]", "once this till syncs")
        .await;
    ui.shot("receipt-email-offline").await;
    let server = serve(dir.path(), &bind, &ls, &smtp);
    ui.click("[data-testid=charge-again]").await;
    ui.wait_text("[data-testid=charge-result]", "Approved")
        .await;
    // The till syncs the request; the server sends the receipt with its PDF.
    ui.wait_text("[data-testid=receipt-email-done]", "The server has it")
        .await;
    let mail = smtp.wait_for(1);
    assert!(mail[0].to.contains("mia@"), "{:?}", mail[0]);
    assert!(mail[0].subject.starts_with("Your receipt"), "{:?}", mail[0]);
    assert_eq!(mail[0].attachments.len(), 1, "the receipt's PDF");
    ui.keys(&key(Key::Enter)).await;

    step("A hold on the card, captured in part from Transactions (the processor releases the rest), and part of the capture refunded.");
    sell_one(&ui).await;
    ui.keys("mia").await;
    ui.el("[data-testid=customer-results]").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=saved-cards]", "4242").await;
    ui.click("[data-testid=on-file-hold]").await;
    ui.wait_text("[data-testid=pay]", "Hold on the card").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=charge-result]", "Held on the card")
        .await;
    ui.wait_text("[data-testid=receipt]", "Held: Card on file Visa ••4242")
        .await;
    ui.shot("card-on-file-held").await;
    ui.keys(&key(Key::Enter)).await;
    ui.keys(&key(Key::F2)).await;
    ui.open_row("Authorization").await;
    ui.wait_text("[data-testid=order-status]", "Authorized")
        .await;
    ui.action("capture").await;
    ui.set("[data-testid=action-amount]", "20.00").await;
    ui.confirm().await;
    ui.wait_text("[data-testid=order-done]", "Capture").await;
    ui.wait_text(
        "[data-testid=history]",
        "released by the card processor when",
    )
    .await;
    // 5.00 of the order is still due: the customer pays it another way.
    ui.wait_text("[data-testid=order-status]", "Partly paid")
        .await;
    ui.wait_text(
        "[data-testid=why-capture]",
        "captures an authorization once",
    )
    .await;
    ui.shot("card-on-file-captured").await;
    ui.action("refund").await;
    ui.click("[data-testid=action-form] input[value=amount]")
        .await;
    ui.set("[data-testid=action-amount]", "5.00").await;
    ui.set("[data-testid=action-why]", "frame scratched").await;
    ui.confirm().await;
    ui.wait_text("[data-testid=order-refunded]", "5.00").await;
    ui.wait_text("[data-testid=order-status]", "Partly refunded")
        .await;
    ui.shot("card-on-file-refunded").await;
    let intents = ls.all("/v1/payment_intents").await;
    let held = intents
        .iter()
        .find(|p| p["capture_method"] == "manual")
        .expect("the hold at the processor");
    assert_eq!(held["status"], "succeeded", "{held}");
    let refunds = ls.all("/v1/refunds").await;
    assert!(
        refunds
            .iter()
            .any(|r| r["amount"] == 500 && r["metadata"]["fairtill_tx"].is_string()),
        "{refunds:?}"
    );
    ui.keys(&key(Key::F1)).await;

    step("A returning customer found by name; a card the bank declines replaces the first.");
    sell_one(&ui).await;
    ui.keys("mia").await;
    ui.el("[data-testid=customer-results]").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=chosen-customer]", "Mia Wong")
        .await;
    save_card(&ui, &ls, CARDS[1]).await;
    // The card it replaces is removed on the till too (the server removed it as it saved this one).
    assert!(!ui.text("[data-testid=saved-cards]").await.contains("4242"));
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=charge-result]", "Declined")
        .await;
    ui.wait_text(
        "[data-testid=receipt]",
        "Not charged: Card on file Visa ••0341",
    )
    .await;
    ui.shot("card-on-file-declined").await;
    ui.keys(&key(Key::Enter)).await;

    step("The manager schedules the declined order's balance: declined again, so its follow-up begins with a message for the customer; the manager ends it.");
    ui.keys(&key(Key::F5)).await;
    ui.set("[data-testid=manager-url]", &server.url).await;
    ui.set("[data-testid=manager-name]", "alex").await;
    ui.set(
        "[data-testid=manager-password]",
        fairtill_testkit::MANAGER_PASSWORD,
    )
    .await;
    ui.click("[data-testid=manager-submit]").await;
    ui.wait_text("[data-testid=manager-who]", "alex").await;
    open_manager_row(&ui, "Card on file", "Declined").await;
    ui.wait_text("[data-testid=schedule-charge]", "Balance due")
        .await;
    // A minute ago, in the window's own clock: due at once.
    ui.c.execute(
        "const i = document.querySelector('[data-testid=schedule-at]');
         const d = new Date(Date.now() - 60000), p = (n) => String(n).padStart(2, '0');
         i.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
         i.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![],
    )
    .await
    .unwrap();
    ui.shot("manager-schedule-charge").await;
    ui.click("[data-testid=schedule-submit]").await;
    ui.wait_text("[data-testid=schedule-done]", "will be charged")
        .await;
    ui.click("[data-testid=manager-tab-follow-up]").await;
    ui.wait_text("[data-testid=follow-up-state]", "Retrying")
        .await;
    ui.wait_text("[data-testid=follow-up-attempt]", "Declined")
        .await;
    ui.click("[data-testid=follow-up-message] summary").await;
    ui.wait_text("[data-testid=follow-up-message]", "/update-card/")
        .await;
    // The server's mail server takes the customer's notice before the manager ends it.
    ui.wait_text("[data-testid=follow-up-message]", "mia@example.com: sent")
        .await;
    ui.shot("manager-follow-up").await;
    ui.click("[data-testid=follow-up-end]").await;
    ui.wait_text("[data-testid=follow-up-done]", "ended").await;
    ui.el("[data-testid=no-follow-ups]").await;
    // Its balance scheduled again, for tomorrow (the form's default): moved, then canceled.
    ui.click("[data-testid=manager-tab-transactions]").await;
    open_manager_row(&ui, "Card on file", "Declined").await;
    ui.click("[data-testid=schedule-submit]").await;
    ui.wait_text("[data-testid=schedule-done]", "will be charged")
        .await;
    ui.click("[data-testid=manager-tab-follow-up]").await;
    ui.wait_text("[data-testid=scheduled-state]", "Scheduled")
        .await;
    ui.c.execute(
        "const i = document.querySelector('[data-testid=scheduled-date]');
         const d = new Date(Date.now() + 2 * 86400000), p = (n) => String(n).padStart(2, '0');
         i.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:30`;
         i.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![],
    )
    .await
    .unwrap();
    ui.click("[data-testid=scheduled-move]").await;
    ui.wait_text("[data-testid=follow-up-done]", "now charges")
        .await;
    ui.wait_text("[data-testid=scheduled-charge]", "9:30").await;
    ui.shot("manager-scheduled-charge").await;
    ui.click("[data-testid=scheduled-cancel]").await;
    ui.wait_text("[data-testid=follow-up-done]", "canceled")
        .await;
    ui.el("[data-testid=no-scheduled]").await;
    // Her record: the card she has now, every order, the follow-up that was ended.
    ui.click("[data-testid=manager-tab-customers]").await;
    ui.set("[data-testid=customer-search]", "MIA@").await;
    ui.wait_count("[data-testid=customer-match]", 1).await;
    ui.click("[data-testid=customer-match]").await;
    ui.wait_text("[data-testid=customer-record]", "mia@example.com")
        .await;
    ui.wait_text("[data-testid=customer-card]", "••0341").await;
    ui.wait_count("[data-testid=customer-order]", 4).await;
    ui.wait_text("[data-testid=follow-up-state]", "Ended by a manager")
        .await;
    // The notice went out before the follow-up ended: it stays sent.
    ui.wait_text("[data-testid=follow-up-message]", "mia@example.com: sent")
        .await;
    assert!(smtp
        .received()
        .iter()
        .any(|m| m.to.contains("mia@") && m.subject.contains("was declined")));
    ui.shot("manager-customer").await;
    ui.keys(&key(Key::F1)).await;

    step(
        "A card whose bank asks the customer to approve: the receipt shows the link as a QR code.",
    );
    sell_one(&ui).await;
    ui.keys("mia").await;
    ui.el("[data-testid=customer-results]").await;
    ui.keys(&key(Key::Enter)).await;
    save_card(&ui, &ls, "4000000000003220").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=charge-result]", "approve").await;
    ui.el("[data-testid=approval-qr] svg").await;
    let link = ui.text("[data-testid=approval-link]").await;
    assert!(
        link.starts_with(&format!("{}/approve/", server.url)),
        "{link}"
    );
    ui.shot("card-on-file-approval").await;
    // The customer approves on their phone (what the approval page's script does).
    let http = reqwest::Client::new();
    let page = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Approve with my bank"), "{page}");
    let intents = ls.all("/v1/payment_intents").await;
    let waiting = intents
        .iter()
        .find(|p| p["status"] == "requires_action")
        .unwrap();
    let approved = http
        .post(format!(
            "{}/v1/payment_intents/{}/_authenticate?success=true",
            ls.url,
            waiting["id"].as_str().unwrap()
        ))
        .body(
            json!({ "key": "pk_test_fairtill", "client_secret": waiting["client_secret"] })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert!(approved.status().is_success());
    http.post(format!("{link}/done")).send().await.unwrap();
    // The server reads the answer from the processor at its next look; the till asks again
    // until it has it (a waiting answer comes back at once).
    let started = std::time::Instant::now();
    while !ui
        .text("[data-testid=charge-result]")
        .await
        .contains("Approved")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "never approved"
        );
        if ui.count("[data-testid=charge-again]:not([disabled])").await > 0 {
            ui.click("[data-testid=charge-again]").await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    ui.keys(&key(Key::Enter)).await;

    step("The manager fetches what the processor settled and matches it, no file.");
    ui.keys(&key(Key::F5)).await;
    ui.click("[data-testid=manager-tab-settlements]").await;
    ui.click("[data-testid=settlement-fetch-button]").await;
    ui.wait_text("[data-testid=settlement-counts]", "matched")
        .await;
    // The sales charged at once and the refund match by the processor's ids. (localstripe
    // takes a hold's whole amount and refunds the rest on a partial capture, where Stripe
    // takes only what is captured: that row differs in amount here.)
    let matched =
        ui.c.find_all(fantoccini::Locator::Css(
            "[data-testid=settlement-match].matched",
        ))
        .await
        .unwrap()
        .len();
    assert!(matched >= 4, "{matched} matched");
    ui.shot("manager-settlement-fetched").await;
    // A payout the processor made to the bank (by hand: localstripe schedules none).
    let made = reqwest::Client::new()
        .post(format!("{}/v1/payouts", ls.url))
        .bearer_auth(TEST_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("amount=9500&currency=eur")
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success());
    ui.click("[data-testid=payouts-button]").await;
    ui.wait_text("[data-testid=payout]", "95.00").await;
    ui.c.execute(
        "document.querySelector('[data-testid=payouts]').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    ui.shot("manager-payouts").await;
    ui.keys(&key(Key::F1)).await;
    drop(server);
    drop(session);

    step("No card number anywhere Fairtill writes.");
    let mut scanned = 0;
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        scanned += 1;
        for number in CARDS {
            assert!(
                !bytes.windows(number.len()).any(|w| w == number.as_bytes()),
                "{number} is in {}",
                entry.display()
            );
        }
    }
    assert!(
        scanned >= 3,
        "the databases and logs were found ({scanned} files)"
    );
}

/// Every file under `dir` (databases with their WAL, logs).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_none_or(|e| e != "csv") {
            out.push(path);
        }
    }
    out
}
