//! The installed desktop package as a booth worker meets it. `scripts/test-package.sh` installs
//! the app's and the server's `.deb`, starts the server, and runs this test: the app is opened
//! with its desktop entry's command on its default database (no `--db`), a worker signs on,
//! makes an event, imports products, connects to the installed server with a one-time code,
//! sells for cash and syncs. The script then finds the sale in the server's database and the
//! till's database still there after the package is removed.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::window::{key, step, within_limit, App, Session, Ui, WAIT};
use fantoccini::key::Key;

const PRODUCTS: &str = "sku,name,price,currency,tax_category,barcode,favourite\r\n\
PRINT,Art print,25.00,EUR,standard,,yes\r\n";

fn wanted(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: scripts/test-package.sh sets it"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the installed packages: scripts/test-package.sh runs it"]
async fn the_installed_app_sells_and_syncs_with_the_installed_server() {
    within_limit(sell_and_sync()).await;
}

/// Waits until the element's whole text is `words` (not merely contains it: "10" holds "0").
async fn wait_exact(ui: &Ui, css: &str, words: &str) {
    let started = Instant::now();
    loop {
        let text = ui.text(css).await;
        if text.trim() == words {
            return;
        }
        if started.elapsed() > WAIT {
            ui.fail(format!("{css} says {text:?}, not {words:?}")).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn sell_and_sync() {
    let program = PathBuf::from(wanted("FAIRTILL_INSTALLED_APP"));
    let url = wanted("FAIRTILL_SERVER_URL");
    let code = wanted("FAIRTILL_ENROLL_CODE");
    let dir = tempfile::tempdir().unwrap();
    let products = dir.path().join("products.csv");
    std::fs::write(&products, PRODUCTS).unwrap();
    let session = Session::start_app(&App {
        program,
        args: vec![],
    })
    .await;
    let ui = session.ui();

    step("The installed app: sign on, make the event, import products, connect to the installed server.");
    ui.sign_on("Ana").await;
    ui.set("[data-testid=event-name]", "Harbour Market").await;
    ui.click("[data-testid=event-create]").await;
    ui.wait_text("[data-testid=current-event]", "Harbour Market")
        .await;
    ui.import_products(&products, "Imported 1 product").await;
    ui.connect_to_server(&url, &code, "Market till").await;
    ui.wait_text("[data-testid=sync-bar]", "Online").await;

    step("A cash sale by keyboard.");
    ui.keys(&key(Key::F1)).await;
    ui.el("[data-testid=search]").await;
    ui.keys("print").await;
    ui.el("[data-testid=results]").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_count("[data-testid=cart-line]", 1).await;
    ui.keys(&key(Key::Enter)).await; // empty search + Enter: pay in cash
    ui.el("[data-testid=tendered]").await;
    ui.keys("30").await;
    ui.wait_text("[data-testid=change]", "5.00").await;
    ui.keys(&key(Key::Enter)).await;
    ui.wait_text("[data-testid=receipt-change]", "5.00").await;
    ui.wait_text("[data-testid=sync-bar]", "Online").await;
    ui.shot("installed-app-receipt").await;
    ui.keys(&key(Key::Enter)).await;

    step("Sync now: nothing is left waiting.");
    ui.keys(&key(Key::F4)).await;
    ui.click("[data-testid=sync-now]").await;
    wait_exact(&ui, "[data-testid=sync-waiting]", "0").await;
    ui.shot("installed-app-synced").await;
}
