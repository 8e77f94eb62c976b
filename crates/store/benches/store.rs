//! Store benchmarks, each beside the physical limit it approaches, measured in the same run.
//! Run: `cargo bench -p fairtill-store --bench store` (add `-- --quick` for a smaller run).
//! Prints a Markdown table for BENCHMARKS.md. Not a test: nothing here fails on a slow machine.
// Benchmarks count and time with plain casts (percentiles of timings, row counters).
#![allow(clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fairtill_core::ledger::{PaymentKind, PaymentMethod, TxResult};
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxMode, TaxPolicy};
use fairtill_core::Decimal;
use fairtill_store::{Actor, Tender, Till, TxFilter};
use rusqlite::{params, Connection};

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fairtill-bench");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The `per_mille`-th value of a sorted sample (500 = median, 990 = p99).
fn percentile(sorted: &[Duration], per_mille: usize) -> Duration {
    sorted[((sorted.len() - 1) * per_mille + 500) / 1000]
}

/// Milliseconds with two decimals, from integer microseconds.
fn ms(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:02} ms", us / 1000, (us % 1000) / 10)
}

/// Seconds with two decimals.
fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    format!("{}.{:02} s", ms / 1000, (ms % 1000) / 10)
}

/// Items per second.
fn per_sec(n: u128, d: Duration) -> u128 {
    n * 1_000_000 / d.as_micros().max(1)
}

/// `a / b` with two decimals.
fn ratio(a: Duration, b: Duration) -> String {
    let r = a.as_nanos() * 100 / b.as_nanos().max(1);
    format!("{}.{:02}", r / 100, r % 100)
}

fn draft() -> OrderDraft {
    let usd = Currency::from_code("USD").unwrap();
    OrderDraft {
        currency: usd,
        lines: vec![
            OrderLine {
                sku: "MUG-BLUE".into(),
                name: "Blue mug".into(),
                unit_price: Money::parse("12.50", usd).unwrap(),
                quantity: 2,
                tax_category: TaxCategory::Standard,
                discount: None,
                price_override_reason: None,
            },
            OrderLine {
                sku: "POSTER-A3".into(),
                name: "Poster A3".into(),
                unit_price: Money::parse("9.00", usd).unwrap(),
                quantity: 1,
                tax_category: TaxCategory::Reduced,
                discount: None,
                price_override_reason: None,
            },
        ],
        discount: None,
        tax: TaxPolicy::new(TaxMode::Inclusive, Decimal::from(20), Decimal::from(5)).unwrap(),
        customer: None,
        note: None,
        referrer: None,
    }
}

fn bare_connection(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.pragma_update(None, "foreign_keys", "ON").unwrap();
    c.pragma_update(None, "cache_size", -65536).unwrap();
    c.pragma_update(None, "temp_store", "MEMORY").unwrap();
    c
}

/// Recording one sale durably, against a bare INSERT + COMMIT of a row of the same size.
fn sales(report: &mut String, n: usize) {
    let d = dir();
    let mut till = Till::open(&d.join("sales.db")).unwrap();
    let actor = Actor {
        staff: "ana".into(),
        event_id: None,
    };
    let tender = Tender {
        kind: PaymentKind::Sale,
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        amount: None,
    };
    for _ in 0..20 {
        till.record_sale(&actor, draft(), tender.clone()).unwrap();
    }
    let bytes: i64 = till
        .connection()
        .query_row(
            "SELECT sum(length(o.body) + length(t.body)) / count(*) FROM transactions t JOIN orders o ON o.id = t.order_id",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    let bare = bare_connection(&d.join("bare.db"));
    bare.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .unwrap();
    let blob = vec![7u8; bytes as usize];
    let bare_insert = || {
        bare.execute_batch("BEGIN IMMEDIATE").unwrap();
        bare.execute("INSERT INTO t (body) VALUES (?1)", params![blob])
            .unwrap();
        bare.execute_batch("COMMIT").unwrap();
    };
    // Interleaved, so both see the same disk and the same background load.
    let mut ours = Vec::with_capacity(n);
    let mut raw = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        till.record_sale(&actor, draft(), tender.clone()).unwrap();
        ours.push(t.elapsed());
        let t = Instant::now();
        bare_insert();
        raw.push(t.elapsed());
    }
    ours.sort();
    raw.sort();
    let (p50, p99, r50, r99) = (
        percentile(&ours, 500),
        percentile(&ours, 990),
        percentile(&raw, 500),
        percentile(&raw, 990),
    );
    writeln!(report, "| record one sale durably (n={n}) | p50 {} · p99 {} | bare INSERT+COMMIT of a {bytes}-byte row, same pragmas: p50 {} · p99 {} | {}x at p50 |",
        ms(p50), ms(p99), ms(r50), ms(r99), ratio(p50, r50)).unwrap();
}

fn import_csv(rows: usize) -> String {
    let mut s = String::with_capacity(rows * 96);
    s.push_str("created_at,amount,currency,method,external_system,external_reference,result,customer_name,staff\n");
    let methods = ["cash", "card", "external"];
    let currencies = [("USD", "12.50"), ("EUR", "9.90"), ("JPY", "1500")];
    for i in 0..rows {
        let (cur, amount) = currencies[i % 3];
        let method = methods[(i / 3) % 3];
        let (sys, reference) = if method == "external" {
            ("Shopify", format!("S-{i}"))
        } else {
            ("", String::new())
        };
        let result = if i % 17 == 0 { "declined" } else { "approved" };
        let secs = 1_767_225_600 + (i as i64) * 30;
        let when = jiff::Timestamp::from_second(secs).unwrap();
        writeln!(
            s,
            "{when},{amount},{cur},{method},{sys},{reference},{result},Customer {},staff{}",
            i % 5000,
            i % 7
        )
        .unwrap();
    }
    s
}

/// Importing historical transactions, against a raw batched INSERT of the same rows.
fn import(report: &mut String, n: usize) {
    let d = dir();
    let csv = import_csv(n);
    let mut till = Till::open(&d.join("import.db")).unwrap();
    let t = Instant::now();
    till.import_csv(csv.as_bytes()).unwrap();
    let ours = t.elapsed();
    // The limits: the very rows Fairtill wrote (every column), inserted raw in one transaction
    // with prepared statements — once into the same schema (its indexes and constraints), once
    // into bare tables with no index or constraint.
    let read_all = |table: &str| -> (usize, Vec<Vec<rusqlite::types::Value>>) {
        let mut stmt = till
            .connection()
            .prepare(&format!("SELECT * FROM {table} ORDER BY seq"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (n, rows)
    };
    let (order_cols, orders) = read_all("orders");
    let (tx_cols, txs) = read_all("transactions");
    let insert_raw = |conn: &mut Connection| -> Duration {
        let t = Instant::now();
        let tx = conn.transaction().unwrap();
        {
            let marks = |n: usize| {
                (1..=n)
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut a = tx
                .prepare(&format!(
                    "INSERT INTO orders VALUES ({})",
                    marks(order_cols)
                ))
                .unwrap();
            let mut b = tx
                .prepare(&format!(
                    "INSERT INTO transactions VALUES ({})",
                    marks(tx_cols)
                ))
                .unwrap();
            for (o, x) in orders.iter().zip(&txs) {
                a.execute(rusqlite::params_from_iter(o)).unwrap();
                b.execute(rusqlite::params_from_iter(x)).unwrap();
            }
        }
        tx.commit().unwrap();
        t.elapsed()
    };
    let same_schema = {
        drop(Till::open(&d.join("same.db")).unwrap());
        let mut c = bare_connection(&d.join("same.db"));
        insert_raw(&mut c)
    };
    let bare_tables = {
        let mut c = bare_connection(&d.join("bare.db"));
        let cols = |n: usize| {
            (0..n)
                .map(|i| format!("c{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        c.execute_batch(&format!(
            "CREATE TABLE orders ({}); CREATE TABLE transactions ({});",
            cols(order_cols),
            cols(tx_cols)
        ))
        .unwrap();
        insert_raw(&mut c)
    };
    let rate = |d: Duration| format!("{} rows/s", per_sec(n as u128, d));
    let pct = |limit: Duration| limit.as_micros() * 100 / ours.as_micros().max(1);
    writeln!(report, "| import {n} historical sales from CSV | {} ({}) | raw batched INSERT of the same rows into the same schema: {} ({}) | {}% of that rate |",
        secs(ours), rate(ours), secs(same_schema), rate(same_schema), pct(same_schema)).unwrap();
    writeln!(report, "| | | the same rows into bare tables (no index, no constraint): {} ({}) | {}% of that rate |",
        secs(bare_tables), rate(bare_tables), pct(bare_tables)).unwrap();
}

fn median_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// The filtered list and the summary over a large database, and CSV export speed and memory.
fn large(report: &mut String, n: usize) {
    let d = dir();
    let path = d.join("large.db");
    {
        let mut till = Till::open(&path).unwrap();
        let chunk = 100_000.min(n);
        let mut done = 0;
        while done < n {
            let csv = import_csv(chunk).replace(",S-", &format!(",S{done}-"));
            till.import_csv(csv.as_bytes()).unwrap();
            done += chunk;
        }
    }
    let till = Till::open(&path).unwrap();
    let count: i64 = till
        .connection()
        .query_row("SELECT count(*) FROM transactions", [], |r| r.get(0))
        .unwrap();
    let raw_scan = median_of(5, || {
        till.connection()
            .query_row(
                "SELECT count(*), sum(amount_minor) FROM transactions",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
    });
    let raw_page = median_of(20, || {
        let mut s = till
            .connection()
            .prepare_cached(
                "SELECT id FROM transactions ORDER BY created_at DESC, id DESC LIMIT 50",
            )
            .unwrap();
        s.query_map([], |r| r.get::<_, String>(0)).unwrap().count()
    });
    let eur = Some(Currency::from_code("EUR").unwrap());
    let cases: Vec<(&str, TxFilter)> = vec![
        ("no filter", TxFilter::default()),
        (
            "card, EUR",
            TxFilter {
                method: Some("card".into()),
                currency: eur,
                ..Default::default()
            },
        ),
        (
            "one day",
            TxFilter {
                from: Some("2026-01-10T00:00:00Z".parse().unwrap()),
                to: Some("2026-01-11T00:00:00Z".parse().unwrap()),
                ..Default::default()
            },
        ),
        (
            "text \"customer 42\"",
            TxFilter {
                text: Some("customer 42".into()),
                ..Default::default()
            },
        ),
    ];
    for (label, f) in &cases {
        let page = median_of(20, || till.list(f, None, 50).unwrap());
        writeln!(report, "| list, first page of 50, {label} ({count} rows) | {} | bare `ORDER BY created_at DESC LIMIT 50` on the same table: {} | |", ms(page), ms(raw_page)).unwrap();
    }
    for (label, f) in &cases[..3] {
        let s = median_of(5, || till.summary(f).unwrap());
        writeln!(report, "| per-currency summary, {label} ({count} rows) | {} | bare `SELECT count(*), sum(amount_minor)` full scan: {} | |", ms(s), ms(raw_scan)).unwrap();
    }
    let some_order: String = till
        .connection()
        .query_row(
            "SELECT id FROM orders ORDER BY seq LIMIT 1 OFFSET 500000",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let order_id: fairtill_core::ids::OrderId = some_order.parse().unwrap();
    let open_order = median_of(20, || till.order(order_id).unwrap());
    let raw_lookup = median_of(20, || {
        till.connection()
            .prepare_cached("SELECT body FROM orders WHERE id = ?1")
            .unwrap()
            .query_row([&some_order], |r| r.get::<_, String>(0))
            .unwrap()
    });
    writeln!(report, "| open one order with its history ({count} rows) | {} | bare lookup of the order's row by id: {} | |", ms(open_order), ms(raw_lookup)).unwrap();
    drop(till);
    let exe = std::env::current_exe().unwrap();
    let child = |limit: usize| -> (Duration, u64, u64) {
        let out = std::process::Command::new(&exe)
            .args(["--export-child", path.to_str().unwrap(), &limit.to_string()])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut parts = text.split_whitespace().map(|v| v.parse::<u64>().unwrap());
        (
            Duration::from_micros(parts.next().unwrap()),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    let (small_t, small_rows, small_kb) = child(n / 10);
    let (big_t, big_rows, big_kb) = child(n);
    let raw_read = {
        let till = Till::open(&path).unwrap();
        median_of(3, || {
            let mut s = till
                .connection()
                .prepare("SELECT id, amount_minor, currency, created_at FROM transactions")
                .unwrap();
            s.query_map([], |r| r.get::<_, String>(0)).unwrap().count()
        })
    };
    writeln!(report, "| CSV export, {big_rows} rows | {} ({} rows/s), peak RSS {} MB | bare read of the rows' ids: {} | peak RSS at {small_rows} rows: {} MB ({}) |",
        secs(big_t), per_sec(u128::from(big_rows), big_t), big_kb / 1024, secs(raw_read), small_kb / 1024, secs(small_t)).unwrap();
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn export_child(path: &str, limit: usize) {
    let till = Till::open(Path::new(path)).unwrap();
    let last: i64 = till
        .connection()
        .query_row(
            "SELECT created_at FROM transactions ORDER BY created_at LIMIT 1 OFFSET ?1",
            [limit as i64 - 1],
            |r| r.get(0),
        )
        .unwrap();
    let filter = TxFilter {
        to: Some(jiff::Timestamp::from_millisecond(last + 1).unwrap()),
        ..Default::default()
    };
    let t = Instant::now();
    let rows = till
        .export_csv(
            &filter,
            fairtill_core::csv_text::ExportFor::Script,
            std::io::sink(),
        )
        .unwrap();
    println!("{} {} {}", t.elapsed().as_micros(), rows, peak_rss_kb());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--export-child") {
        export_child(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (sales_n, import_n, large_n) = if quick {
        (100, 10_000, 100_000)
    } else {
        (500, 100_000, 1_000_000)
    };
    let mut report = String::new();
    writeln!(
        report,
        "| what | Fairtill | limit, same run | note |\n|---|---|---|---|"
    )
    .unwrap();
    // `--only sales|import|large` runs one section (for profiling).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    if only.is_none_or(|o| o == "sales") {
        sales(&mut report, sales_n);
    }
    if only.is_none_or(|o| o == "import") {
        import(&mut report, import_n);
    }
    if only.is_none_or(|o| o == "large") {
        large(&mut report, large_n);
    }
    println!("{report}");
}
