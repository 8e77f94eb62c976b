//! The till's speed as staff feel it, each figure beside the physical limit it approaches,
//! measured in the same run:
//!
//! - product search over 100,000 products, per keystroke, against a bare SQLite scan of the
//!   same names;
//! - Enter on a paid cart → the sale durable and the receipt's data back: the real `charge`
//!   command through Tauri's IPC (mock runtime, JSON in and out) against one bare durable
//!   SQLite commit (WAL, synchronous=FULL) on the same disk;
//! - cold start of the real app under Xvfb to the mounted Sell screen's first command, and
//!   memory at rest (app and WebKit processes);
//! - a split payment's last part against a single-tender sale;
//! - switching category on the real Sell grid (500 products, 20 tabs) against swapping the same
//!   buttons in with bare DOM calls.
//!
//! `cargo bench --bench till [-- --quick]`

// Benchmarks count and time with plain casts (percentiles of timings, row counters).
#![allow(clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// The real window, as the end-to-end tests drive it.
#[allow(dead_code)]
#[path = "../tests/common/window.rs"]
mod window;

use fairtill_app::{with_commands, AppState};
use fairtill_store::Till;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

const WORDS: &[&str] = &[
    "blue", "green", "red", "linen", "oak", "honey", "wool", "silver", "paper", "clay", "glass",
    "lavender", "cedar", "amber", "copper", "cotton", "maple", "slate", "ivory", "sage",
];
const THINGS: &[&str] = &[
    "mug", "scarf", "bowl", "candle", "notebook", "print", "tote", "soap", "spoon", "vase",
    "poster", "card", "jar", "tray", "coaster", "blanket", "ring", "lamp", "basket", "brush",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn stats(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p95) = (percentile(&samples, 0.5), percentile(&samples, 0.95));
    println!(
        "{name:<58} p50 {:>10}  p95 {:>10}  max {:>10}  (n={})",
        ms(p50),
        ms(p95),
        ms(*samples.last().unwrap()),
        samples.len()
    );
    (p50, p95)
}

fn catalog_csv(n: usize) -> String {
    let mut out = String::from("sku,name,price,currency,tax_category,barcode,favourite\n");
    for i in 0..n {
        let name = format!(
            "{} {} {}",
            WORDS[i % WORDS.len()],
            WORDS[(i / 7) % WORDS.len()],
            THINGS[(i / 3) % THINGS.len()]
        );
        out.push_str(&format!(
            "SKU{i:06},{name} {i},{}.{:02},EUR,standard,{},{}\n",
            1 + i % 90,
            i % 100,
            4_000_000_000_000u64 + i as u64,
            if i % 5000 == 0 { "yes" } else { "no" }
        ));
    }
    out
}

fn search(dir: &Path, products: usize, rounds: usize) {
    println!("\n## Product search, {products} products\n");
    let path = dir.join("search.db");
    let mut till = Till::open(&path).unwrap();
    let started = Instant::now();
    let n = till
        .import_products(catalog_csv(products).as_bytes())
        .unwrap();
    println!("import of {n} products: {}", ms(started.elapsed()));

    // What a person types, one keystroke at a time, and what a scanner sends.
    let typed = [
        "b",
        "bl",
        "blu",
        "blue",
        "blue ",
        "blue m",
        "blue mu",
        "blue mug",
        "lav",
        "lavender s",
        "oak tr",
        "SKU0421",
        "zzz",
        "zq",
        "ivory oak ring 9",
    ];
    let mut keystrokes = Vec::new();
    let mut bare = Vec::new();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for _ in 0..rounds {
        for text in typed {
            let t = Instant::now();
            let found = till.search_products(text, 30).unwrap();
            keystrokes.push(t.elapsed());
            std::hint::black_box(found);
            let t = Instant::now();
            let mut stmt = conn
                .prepare_cached("SELECT sku FROM products WHERE name LIKE ?1 LIMIT 30")
                .unwrap();
            let rows: Vec<String> = stmt
                .query_map([format!("%{text}%")], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            bare.push(t.elapsed());
            std::hint::black_box(rows);
        }
    }
    let mut scans = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM products WHERE name LIKE '%zzz%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        scans.push(t.elapsed());
        std::hint::black_box(n);
    }
    let mut scans_by_code = Vec::new();
    for i in 0..rounds * 10 {
        let code = format!("{}", 4_000_000_000_000u64 + (i * 7919 % products) as u64);
        let t = Instant::now();
        let found = till.product_by_code(&code).unwrap();
        scans_by_code.push(t.elapsed());
        assert!(found.is_some());
    }
    stats("search_products (per keystroke, 30 best)", keystrokes);
    stats("bare SQLite: name LIKE, first 30, no ordering", bare);
    stats("bare SQLite: full scan of every name (no match)", scans);
    stats("product_by_code (barcode scan)", scans_by_code);
}

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Value {
    tauri::test::get_ipc_response(
        webview,
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
    .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    .deserialize::<Value>()
    .unwrap()
}

fn charge(dir: &Path, sales: usize) {
    println!("\n## Enter on a paid cart → durable sale and receipt data, {sales} sales\n");
    let till = Till::open(&dir.join("charge.db")).unwrap();
    let app = with_commands(mock_builder())
        .manage(AppState::new(till).unwrap())
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let event = invoke(
        &webview,
        "create_event",
        json!({"event": {"name": "Bench fair", "currency": "EUR", "tax_mode": "inclusive",
            "standard_rate": "19", "reduced_rate": "7", "capture_mode": "automatic", "capture_window_hours": 24}}),
    );
    invoke(
        &webview,
        "set_till",
        json!({"eventId": event["id"], "staff": "Ana"}),
    );
    let line = |sku: &str, price: &str, q: u32| {
        json!({"sku": sku, "name": sku, "unit_price": {"amount": price, "currency": "EUR"},
            "quantity": q, "tax_category": "standard", "discount": null, "price_override_reason": null})
    };
    let cart = json!({"lines": [line("MUG", "12.50", 2), line("TEA", "4.20", 1), line("CARD", "3.50", 3)],
        "discount": null, "customer": null, "note": null});
    let mut samples = Vec::new();
    for _ in 0..sales {
        let t = Instant::now();
        let receipt = invoke(
            &webview,
            "charge",
            json!({"cart": cart, "tender": {"type": "cash", "tendered": "50"}}),
        );
        samples.push(t.elapsed());
        assert_eq!(receipt["change"]["amount"], "10.30");
    }
    // A split payment: 20.00 in cash first, then Enter on the card for the rest. What staff
    // wait for after the last Enter is the last part (`pay_part`) and the receipt it returns.
    let (mut last_part, mut both) = (Vec::new(), Vec::new());
    for _ in 0..sales {
        let t = Instant::now();
        let first = invoke(
            &webview,
            "charge",
            json!({"cart": cart, "tender": {"type": "cash", "tendered": "20"}, "part": "20"}),
        );
        let last = Instant::now();
        let receipt = invoke(
            &webview,
            "pay_part",
            json!({"orderId": first["sale"]["order_id"], "tender": {"type": "card", "last4": null, "approval_code": null}}),
        );
        last_part.push(last.elapsed());
        both.push(t.elapsed());
        assert_eq!(receipt["order"]["status"], "paid");
    }
    let conn = rusqlite::Connection::open(dir.join("bare.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        [],
    )
    .unwrap();
    let body = "x".repeat(1500);
    let mut bare = Vec::new();
    for _ in 0..sales {
        let t = Instant::now();
        conn.execute("INSERT INTO t (body) VALUES (?1)", [&body])
            .unwrap();
        bare.push(t.elapsed());
    }
    stats(
        "charge command (IPC JSON, order + payment, receipt view)",
        samples,
    );
    stats(
        "split payment: the last part (pay_part: order read, payment, receipt view)",
        last_part,
    );
    stats(
        "split payment: both parts (charge of a part, then pay_part)",
        both,
    );
    stats("bare SQLite: one durable 1.5 KB insert (WAL, FULL)", bare);
}

/// A `kB` field of a /proc file (`VmRSS` of `status`, `Pss` of `smaps_rollup`).
fn proc_kb(pid: u32, file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

fn descendants(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for e in dir.flatten() {
                let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
                let ppid = stat
                    .rsplit(')')
                    .next()
                    .and_then(|r| r.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u32>().ok());
                if ppid == Some(parent) && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        i += 1;
    }
    out
}

fn start(dir: &Path, runs: usize) {
    println!("\n## Cold start to the Sell screen, and memory at rest ({runs} runs)\n");
    let display = ":97";
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb");
    std::thread::sleep(Duration::from_millis(500));
    let mut ready = Vec::new();
    let mut memory = Vec::new();
    for run in 0..runs {
        let db = dir.join(format!("start-{run}.db"));
        let t = Instant::now();
        let mut app = Command::new(env!("CARGO_BIN_EXE_fairtill-app"))
            .args(["--db", db.to_str().unwrap()])
            .env("DISPLAY", display)
            .env("FAIRTILL_STARTUP_PROBE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = app.stderr.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
        let line = lines
            .find(|l| l.as_ref().is_ok_and(|l| l.starts_with("fairtill-ready")))
            .unwrap()
            .unwrap();
        ready.push(t.elapsed());
        let _ = line;
        std::thread::sleep(Duration::from_secs(3));
        let pids = descendants(app.id());
        let rss: u64 = pids.iter().map(|p| proc_kb(*p, "status", "VmRSS:")).sum();
        let pss: u64 = pids
            .iter()
            .map(|p| proc_kb(*p, "smaps_rollup", "Pss:"))
            .sum();
        let private: u64 = pids
            .iter()
            .map(|p| {
                proc_kb(*p, "smaps_rollup", "Private_Clean:")
                    + proc_kb(*p, "smaps_rollup", "Private_Dirty:")
            })
            .sum();
        memory.push((pss, private, rss));
        let _ = app.kill();
        let _ = app.wait();
    }
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    stats(
        "spawn → Sell screen mounted and its first command answered",
        ready,
    );
    memory.sort();
    let (pss, private, rss) = memory[memory.len() / 2];
    println!(
        "memory at rest, app + WebKit processes (median run): PSS {} MB (shared pages split between their users), \
         private {} MB (pages no other process maps), RSS summed {} MB",
        pss / 1024,
        private / 1024,
        rss / 1024
    );
}

/// A catalog of `n` products spread over `categories` tabs, as a product file.
fn grid_csv(n: usize, categories: usize) -> String {
    let mut csv =
        String::from("sku,name,price,currency,tax_category,barcode,favourite,category,colour\n");
    for i in 0..n {
        let word = WORDS[i % WORDS.len()];
        let thing = THINGS[(i / WORDS.len()) % THINGS.len()];
        csv.push_str(&format!(
            "G{i:04},{word} {thing} {i},{}.50,EUR,standard,,{},Tab {:02},#2e7d6b\n",
            3 + i % 40,
            if i < 12 { "yes" } else { "no" },
            i % categories
        ));
    }
    csv
}

/// The script the grid benchmark runs in the page: each tab clicked in turn, timed from the
/// click until the grid shows the tab's products and the layout is computed (what must fit in
/// a 16 ms frame), then the same number of product buttons swapped into a grid with bare DOM
/// calls and laid out (the floor: no framework, no state).
const GRID_SCRIPT: &str = r#"
const [rounds, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const tabs = [...document.querySelectorAll('[data-testid=grid-tab]')].filter((t) => t.textContent.startsWith('Tab'));
  const grid = () => document.querySelector('[data-testid=grid]');
  const samples = [];
  const bare = [];
  for (let r = 0; r < rounds; r++) {
    for (const tab of tabs) {
      const before = grid()?.firstElementChild?.textContent;
      const t0 = performance.now();
      tab.click();
      for (let i = 0; i < 50 && grid()?.firstElementChild?.textContent === before; i++) await Promise.resolve();
      if (grid()?.firstElementChild?.textContent === before) await new Promise((ok) => setTimeout(ok, 0));
      grid().getBoundingClientRect();
      samples.push(performance.now() - t0);
    }
  }
  const host = grid();
  const n = host.children.length;
  const lane = host.cloneNode(false);
  lane.removeAttribute('data-testid');
  host.parentNode.insertBefore(lane, host);
  for (let r = 0; r < rounds * tabs.length; r++) {
    const t0 = performance.now();
    const made = [];
    for (let i = 0; i < n; i++) {
      const b = document.createElement('button');
      b.className = 'fav secondary coloured';
      b.style.background = '#2e7d6b';
      b.append(`bare product ${r} ${i}`);
      const small = document.createElement('small');
      small.textContent = '€ 12.50';
      b.append(small);
      made.push(b);
    }
    lane.replaceChildren(...made);
    lane.getBoundingClientRect();
    bare.push(performance.now() - t0);
  }
  lane.remove();
  done({ tabs: tabs.length, per_tab: n, samples, bare });
})();
"#;

/// Category switch on the real Sell grid: 500 products on 20 tabs, in the release app under
/// Xvfb, driven through WebDriver (tauri-driver), timed inside the page.
fn grid(dir: &Path, rounds: usize) {
    println!("\n## Sell grid: 500 products in 20 categories, switching tabs ({rounds} rounds)\n");
    let db = dir.join("grid.db");
    {
        let mut till = Till::open(&db).unwrap();
        let eur = fairtill_core::money::Currency::from_code("EUR").unwrap();
        let event = till
            .create_event(
                "Bench fair",
                eur,
                fairtill_core::tax::TaxPolicy::none(),
                fairtill_core::event::CaptureMode::Automatic,
                fairtill_core::SignedDuration::from_hours(24),
            )
            .unwrap();
        till.set_settings(Some(event.id), "Ana").unwrap();
        till.import_products(grid_csv(500, 20).as_bytes()).unwrap();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answer: Value = runtime.block_on(async {
        let session = window::Session::start(&db).await;
        let ui = session.ui();
        ui.wait_text("[data-testid=grid-tabs]", "Tab 19").await;
        ui.c.execute_async(GRID_SCRIPT, vec![json!(rounds)])
            .await
            .unwrap()
    });
    let ms_of = |v: &Value| -> Vec<Duration> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| Duration::from_secs_f64(x.as_f64().unwrap() / 1000.0))
            .collect()
    };
    println!(
        "{} tabs, {} products on each",
        answer["tabs"], answer["per_tab"]
    );
    stats(
        "category switch: click → the tab's products in the grid, laid out",
        ms_of(&answer["samples"]),
    );
    stats(
        "bare DOM: the same number of buttons made, swapped in and laid out",
        ms_of(&answer["bare"]),
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = tempfile::tempdir().unwrap();
    println!(
        "Fairtill till benchmarks ({})",
        if quick { "quick" } else { "full" }
    );
    search(dir.path(), 100_000, if quick { 5 } else { 30 });
    charge(dir.path(), if quick { 100 } else { 1000 });
    start(dir.path(), if quick { 2 } else { 5 });
    grid(dir.path(), if quick { 5 } else { 30 });
}
