//! The Manager workspace end to end in the real app window: two tills sell at one event and
//! sync to a real server (both refunding one sale while offline: a conflict); a manager signs
//! in, sees both tills' sales, opens the order across tills, resolves the conflict, imports a
//! card terminal's export and confirms a suggested match, looks at the close-out and the
//! charts, and registers a webhook endpoint that then receives a third till's sale. Saves a screenshot of each manager screen to `docs/screenshots/`.
//!
//! Needs what `tests/e2e.rs` needs, and the system keyring (the manager's token is kept there).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Mutex;

use common::server::Server;
use common::window::*;
use fairtill_core::event::CaptureMode;
use fairtill_core::ledger::{PaymentKind, PaymentMethod, RefundProgress, RefundStrategy, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxMode, TaxPolicy};
use fairtill_core::SignedDuration;
use fairtill_store::{Actor, DeviceSetup, SystemClock, Tender, Till};
use fairtill_sync::{sync_once, SyncClient};
use fantoccini::key::Key;

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::from_code("EUR").unwrap()).unwrap()
}

fn draft(name: &str, price: &str, tax: TaxPolicy) -> OrderDraft {
    OrderDraft {
        currency: Currency::from_code("EUR").unwrap(),
        lines: vec![OrderLine {
            sku: name.to_uppercase(),
            name: name.into(),
            unit_price: eur(price),
            quantity: 1,
            tax_category: TaxCategory::Standard,
            discount: None,
            price_override_reason: None,
        }],
        discount: None,
        tax,
        customer: None,
        note: None,
        referrer: None,
    }
}

fn tender(method: PaymentMethod) -> Tender {
    Tender {
        kind: PaymentKind::Sale,
        method,
        result: TxResult::Approved,
        amount: None,
    }
}

fn card(last4: &str) -> PaymentMethod {
    PaymentMethod::Card {
        last4: Some(last4.into()),
        approval_code: None,
    }
}

fn no_progress(_: fairtill_sync::Progress) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_reconciles_in_the_real_window() {
    within_limit(a_manager_reconciles()).await;
}

async fn a_manager_reconciles() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let db_a = dir.path().join("booth-a.db");

    step("Two tills sell at one event and sync.");
    let tax = TaxPolicy::new(
        TaxMode::Inclusive,
        "19".parse().unwrap(),
        "7".parse().unwrap(),
    )
    .unwrap();
    // Each till prints its own receipt prefix, as tills at one event do.
    let till = |path: &std::path::Path, code: &str| {
        let setup = DeviceSetup {
            code: code.into(),
            name: format!("Booth {code}"),
        };
        Mutex::new(Till::open_with(path, &setup, Box::new(SystemClock)).unwrap())
    };
    let a = till(&db_a, "A");
    let b = till(&dir.path().join("booth-b.db"), "B");
    let (event, cash_sale, card_time) = {
        let mut a = a.lock().unwrap();
        let event = a
            .create_event(
                "Autumn Craft Fair",
                Currency::from_code("EUR").unwrap(),
                tax,
                CaptureMode::Manual,
                SignedDuration::from_hours(48),
            )
            .unwrap();
        a.set_settings(Some(event.id), "Ana").unwrap();
        let ana = Actor {
            staff: "Ana".into(),
            event_id: Some(event.id),
        };
        a.open_till(&ana, eur("50.00")).unwrap();
        let cash = a
            .record_sale(
                &ana,
                draft("Quilt", "100.00", tax),
                tender(PaymentMethod::Cash),
            )
            .unwrap();
        let card_sale = a
            .record_sale(&ana, draft("Blue mug", "22.50", tax), tender(card("1111")))
            .unwrap();
        a.record_sale(
            &ana,
            draft("Tote bag", "30.00", tax),
            tender(PaymentMethod::External {
                system: "Shopify".into(),
                reference: "#1001".into(),
            }),
        )
        .unwrap();
        a.close_till(&ana, eur("149.00"), "one coin missing")
            .unwrap();
        let time = a.order(card_sale.order_id).unwrap().order.created_at;
        (event, cash.transaction_id, time)
    };
    {
        let mut b = b.lock().unwrap();
        b.save_event(&event).unwrap();
        b.set_settings(Some(event.id), "Ben").unwrap();
        let ben = Actor {
            staff: "Ben".into(),
            event_id: Some(event.id),
        };
        b.record_sale(&ben, draft("Scarf", "18.00", tax), tender(card("2222")))
            .unwrap();
    }
    let enroll = |till: &Mutex<Till>, name: &str| {
        let device = till.lock().unwrap().device().clone();
        let code = server.code(name);
        let url = server.url.clone();
        async move {
            SyncClient::new(&url, None, None)
                .unwrap()
                .enroll(&code, device.id, &device.code)
                .await
                .unwrap()
                .0
        }
    };
    let client_a = enroll(&a, "Booth A").await;
    let client_b = enroll(&b, "Booth B").await;
    let event_id = Some(event.id);
    sync_once(&a, &client_a, event_id, &no_progress)
        .await
        .unwrap();
    sync_once(&b, &client_b, event_id, &no_progress)
        .await
        .unwrap();
    // Offline, both booths refund 60.00 of the 100.00 quilt: more than was paid.
    for (till, staff) in [(&a, "Ana"), (&b, "Ben")] {
        till.lock()
            .unwrap()
            .refund(
                &Actor {
                    staff: staff.into(),
                    event_id,
                },
                cash_sale,
                RefundStrategy::Amount {
                    amount: eur("60.00"),
                },
                RefundProgress::Complete,
                Some("returned".into()),
            )
            .unwrap();
    }
    sync_once(&a, &client_a, event_id, &no_progress)
        .await
        .unwrap();
    let report = sync_once(&b, &client_b, event_id, &no_progress)
        .await
        .unwrap();
    assert_eq!(report.conflicts, 1);
    drop((a, b));

    // The card terminal's export: both card sales, a few minutes after the till noted them.
    let at = |minutes: i64| {
        card_time
            .checked_add(SignedDuration::from_mins(minutes))
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let export = dir.path().join("sumup-autumn-fair.csv");
    std::fs::write(
        &export,
        format!(
            "E-Mail,Datum,Transaktions-ID,Transaktionsart,Status,Kartentyp,Letzte 4 Ziffern,Zahlungsmethode,Autorisierungscode,Betrag inkl. MwSt.\n\
             booth@fair.example,{},TQ1,Umsatz,Erfolgreich,VISA,**** 1111,POS,K1,22.50\n\
             booth@fair.example,{},TQ2,Umsatz,Erfolgreich,MASTERCARD,**** 2222,POS,K2,18.00\n\
             ,{},TQ1,Auszahlung,Gezahlt,,,,,22.50\n",
            at(2),
            at(4),
            at(60)
        ),
    )
    .unwrap();

    // The file is imported through the manager API (the import form's own path is covered by
    // tests/commands.rs); the window shows its report and confirms a match.
    let (manager, _) =
        fairtill_sync::ManagerClient::sign_in(&server.url, "alex", "booth-manager-2026")
            .await
            .unwrap();
    let imported = manager
        .import_settlement(
            std::fs::read(&export).unwrap(),
            &fairtill_sync::ImportOptions {
                file_name: "sumup-autumn-fair.csv".into(),
                currency: Some("EUR".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(imported.import.skipped, 1);

    step("The manager signs in.");
    let session = Session::start(&db_a).await;
    let ui = session.ui();
    ui.keys(&key(Key::F5)).await;
    ui.set("[data-testid=manager-url]", &server.url).await;
    ui.set("[data-testid=manager-name]", "alex").await;
    ui.set("[data-testid=manager-password]", "wrong password")
        .await;
    ui.click("[data-testid=manager-submit]").await;
    ui.wait_text("[data-testid=manager-problem]", "do not match")
        .await;
    ui.set("[data-testid=manager-password]", "booth-manager-2026")
        .await;
    ui.click("[data-testid=manager-submit]").await;
    ui.wait_text("[data-testid=manager-who]", "alex").await;

    step("Both tills' sales, and the quilt's order across tills.");
    ui.wait_count("[data-testid=tx-row]", 6).await;
    let list = ui.text("[data-testid=tx-list]").await;
    assert!(
        list.contains("Booth A") && list.contains("Booth B"),
        "{list}"
    );
    open_manager_row(&ui, "Booth B", "Refund").await;
    let order = ui.wait_text("[data-testid=manager-order]", "Refund").await;
    assert!(
        order.contains("Ben on Booth B") && order.contains("Ana on Booth A"),
        "{order}"
    );
    ui.wait_text("[data-testid=order-conflicts]", "conflict")
        .await;
    ui.shot("manager-transactions").await;

    step("The conflict, both sides, resolved with a note.");
    ui.click("[data-testid=manager-tab-conflicts]").await;
    ui.wait_count("[data-testid=conflict]", 1).await;
    let conflict = ui.text("[data-testid=conflict]").await;
    assert!(
        conflict.contains("Refunded more than was paid"),
        "{conflict}"
    );
    assert_eq!(ui.count("[data-testid=conflict-side]").await, 2);
    ui.set(
        "[data-testid=conflict-note]",
        "Ben's refund reversed at the terminal",
    )
    .await;
    ui.shot("manager-conflicts").await;
    ui.click("[data-testid=conflict-resolve]").await;
    ui.wait_text("[data-testid=conflict-done]", "Resolved")
        .await;
    ui.el("[data-testid=no-conflicts]").await;

    step("Close-out and charts.");
    ui.click("[data-testid=manager-tab-closeout]").await;
    let close = ui
        .wait_text("[data-testid=closeout-sessions]", "one coin missing")
        .await;
    assert!(close.contains("Booth A"), "{close}");
    ui.wait_text("[data-testid=closeout]", "Booth B").await;
    ui.shot("manager-closeout").await;
    ui.click("[data-testid=manager-tab-charts]").await;
    ui.el("[data-testid=charts] canvas").await;
    ui.shot("manager-charts").await;

    step("The terminal's export: two suggestions, one confirmed.");
    ui.click("[data-testid=manager-tab-settlements]").await;
    ui.click("[data-testid=settlement-import-entry]").await;
    ui.wait_text("[data-testid=settlement-counts]", "2 to confirm")
        .await;
    ui.wait_text("[data-testid=settlement-counts]", "1 row skipped")
        .await;
    ui.shot("manager-settlements").await;
    ui.click("[data-testid=confirm-match]").await;
    ui.wait_text("[data-testid=settlement-counts]", "1 to confirm")
        .await;
    ui.wait_text("[data-testid=settlement-matches]", "Confirmed")
        .await;

    step("A webhook endpoint: a plain-HTTP address elsewhere is refused; a receiver is added and hears of a sale that syncs.");
    let rx = fairtill_testkit::WebhookReceiver::start();
    ui.click("[data-testid=manager-tab-webhooks]").await;
    ui.el("[data-testid=no-webhooks]").await;
    ui.set("[data-testid=webhook-url]", "http://shop.example.org/hooks")
        .await;
    ui.click("[data-testid=webhook-add]").await;
    ui.wait_text("[data-testid=webhooks-problem]", "not HTTPS")
        .await;
    ui.set("[data-testid=webhook-url]", &rx.url("/fulfilment"))
        .await;
    ui.set("[data-testid=webhook-description]", "Fulfilment")
        .await;
    ui.click("[data-testid='webhook-event-payment.declined']")
        .await;
    ui.click("[data-testid=webhook-add]").await;
    ui.wait_text("[data-testid=webhook-secret]", "not shown again")
        .await;
    let secret = ui
        .el("[data-testid=webhook-secret-value]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    rx.trust(&secret);
    ui.shot("manager-webhook-secret").await;
    ui.click("[data-testid=webhook-secret-close]").await;

    step("An automation: after a paid sale of a candle, call the fulfilment endpoint.");
    ui.click("[data-testid=manager-tab-automations]").await;
    ui.el("[data-testid=no-automations]").await;
    ui.set("[data-testid=automation-name]", "Candle care guide")
        .await;
    ui.set("[data-testid=automation-sku]", "CANDLE").await;
    // Broken template first: refused in words.
    ui.set("[data-testid=automation-subject]", "Your {{ candle")
        .await;
    ui.click("[data-testid=automation-add]").await;
    ui.wait_text("[data-testid=automations-problem]", "does not render")
        .await;
    ui.click("[data-testid=automation-email]").await;
    ui.el("[data-testid=automation-endpoint]")
        .await
        .select_by_index(1)
        .await
        .unwrap();
    ui.click("[data-testid=automation-add]").await;
    ui.wait_text(
        "[data-testid=automations-done]",
        "runs after every paid sale of 1 × CANDLE",
    )
    .await;
    ui.shot("manager-automations").await;
    ui.click("[data-testid=manager-tab-webhooks]").await;
    ui.click("[data-testid=webhook-open]").await;

    // A third till sells and syncs: the sale, its payment and the automation's run are
    // delivered, signed.
    let c = till(&dir.path().join("booth-c.db"), "C");
    {
        let mut c = c.lock().unwrap();
        c.save_event(&event).unwrap();
        c.set_settings(Some(event.id), "Cleo").unwrap();
        let cleo = Actor {
            staff: "Cleo".into(),
            event_id,
        };
        c.record_sale(
            &cleo,
            draft("Candle", "12.00", tax),
            tender(PaymentMethod::Cash),
        )
        .unwrap();
    }
    let client_c = enroll(&c, "Booth C").await;
    sync_once(&c, &client_c, event_id, &no_progress)
        .await
        .unwrap();
    let got = rx.wait_until(std::time::Duration::from_secs(20), |g| g.len() >= 3);
    let mut kinds: Vec<&str> = got.iter().map(fairtill_testkit::Delivery::event).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["automation.ran", "payment.approved", "sale.recorded"]
    );
    assert!(got.iter().all(|d| d.verified == [true]), "{got:?}");
    ui.wait_text("[data-testid=webhook-counts]", "3 delivered")
        .await;
    ui.wait_count("[data-testid=webhook-delivery]", 3).await;
    ui.wait_text("[data-testid=webhook-deliveries]", "Delivered")
        .await;
    ui.shot("manager-webhooks").await;
    ui.click("[data-testid=webhook-resend]").await;
    ui.wait_text("[data-testid=webhooks-done]", "Sending it again")
        .await;
    rx.wait_until(std::time::Duration::from_secs(20), |g| g.len() >= 4);

    step("The quilt's receipt by email from its order: queued (this server has no mail server yet), in the order's message log.");
    ui.click("[data-testid=manager-tab-transactions]").await;
    open_manager_row(&ui, "A-000001", "Sale").await;
    ui.wait_text("[data-testid=manager-order]", "Messages")
        .await;
    ui.set("[data-testid=receipt-email]", "quilt.buyer@example.org")
        .await;
    ui.click("[data-testid=receipt-email-send]").await;
    ui.wait_text(
        "[data-testid=receipt-email-done]",
        "quilt.buyer@example.org",
    )
    .await;
    ui.wait_text("[data-testid=order-message-state]", "Waiting to send")
        .await;
    ui.shot("manager-order-receipt").await;

    step("Commissions: Ana earns 10 % of her net sales; the report, and a run again that says nothing changed.");
    ui.click("[data-testid=manager-tab-commissions]").await;
    ui.el("[data-testid=no-commission-rules]").await;
    ui.set("[data-testid=commission-rate]", "0").await;
    ui.set("[data-testid=commission-name]", "Ana").await;
    ui.click("[data-testid=commission-add]").await;
    ui.wait_text("[data-testid=commissions-problem]", "above 0")
        .await;
    ui.set("[data-testid=commission-rate]", "10").await;
    ui.click("[data-testid=commission-add]").await;
    ui.wait_text(
        "[data-testid=commissions-done]",
        "Staff Ana earns 10 % of net sales on every line",
    )
    .await;
    ui.click("[data-testid=commission-run]").await;
    ui.wait_text("[data-testid=commission-totals]", "staff Ana")
        .await;
    ui.shot("manager-commissions").await;
    ui.click("[data-testid=commission-run]").await;
    ui.wait_text("[data-testid=commission-no-change]", "Nothing changed")
        .await;

    step("The server goes away: the workspace says it is offline and stays signed in.");
    drop(server);
    ui.click("[data-testid=manager-refresh]").await;
    ui.wait_text(
        "[data-testid=manager-problem]",
        "Offline: the server cannot be reached",
    )
    .await;
    ui.wait_text("[data-testid=manager-who]", "alex").await;
    ui.shot("manager-offline").await;
}
