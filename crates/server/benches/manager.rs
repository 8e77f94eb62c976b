//! The manager's reads at scale, over HTTP against a real `fairtill-server` release process on
//! each backend: 1,000,000 transactions from 200 tills at 20 events of 50,000. Beside each
//! figure, the limits it approaches in the same run: a bare HTTP round trip to the same server,
//! and the bare SQL (the summary's GROUP BY, a count) on the same database.
//!
//! `cargo bench -p fairtill-server --bench manager [-- --quick] [-- --backend sqlite|postgres]`
//! (`--quick`: 100,000 transactions). PostgreSQL: `FAIRTILL_TEST_PG` (default
//! postgres://postgres@127.0.0.1:5432), where a scratch database is made and dropped.
//!
//! The data is written straight into the server's tables (rows as a push would leave them), as
//! pushing a million records through HTTP would time the push, not the reads.

// Benchmarks count and time with plain casts (percentiles of timings, row counters).
#![allow(clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_fairtill-server");
const PASSWORD: &str = "bench-manager-password";
const DEVICES: usize = 200;
const EVENTS: usize = 20;
const STAFF_PER_DEVICE: usize = 3;
/// 2026-06-01T00:00:00Z, in milliseconds.
const START_MS: i64 = 1_780_272_000_000;

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(database: &str, args: &[&str], input: &str) {
    let mut child = Command::new(BIN)
        .args(["--database", database])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn serve(database: &str) -> Server {
    let mut child = Command::new(BIN)
        .args(["--database", database, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Server(child, line.trim().rsplit(' ').next().unwrap().to_string())
}

/// One generated transaction row, in the server's column order.
struct Tx {
    id: String,
    kind: &'static str,
    parent: Option<(String, &'static str)>,
    root: String,
    order: Option<String>,
    minor: i64,
    currency: &'static str,
    method: &'static str,
    reference: Option<String>,
    result: &'static str,
    at: i64,
    expires: Option<i64>,
    device: usize,
    event: usize,
    staff: String,
}

/// One generated order row.
struct OrderRow {
    id: String,
    receipt: String,
    customer: String,
    device: usize,
    event: usize,
    staff: String,
    at: i64,
    currency: &'static str,
    discount: i64,
}

struct Data {
    devices: Vec<String>,
    events: Vec<String>,
    txs: Vec<Tx>,
    orders: Vec<OrderRow>,
}

/// `n` transactions: per till a run of sales (cash, card, logged external), some declined,
/// refunds of the sale before, authorizations and captures; an order per sale or authorization.
fn generate(n: usize) -> Data {
    let devices: Vec<String> = (0..DEVICES).map(|_| Uuid::now_v7().to_string()).collect();
    let events: Vec<String> = (0..EVENTS).map(|_| Uuid::now_v7().to_string()).collect();
    let mut txs = Vec::with_capacity(n);
    let mut orders = Vec::with_capacity(n);
    let per_event = n / EVENTS;
    for i in 0..n {
        let event = (i / per_event).min(EVENTS - 1);
        // Each event's tills are ten of the 200.
        let device = event * (DEVICES / EVENTS) + i % (DEVICES / EVENTS);
        let staff = format!("staff-{device}-{}", (i / 7) % STAFF_PER_DEVICE);
        let at = START_MS + event as i64 * 86_400_000 * 2 + (i % per_event) as i64 * 1_500;
        let currency = if i % 10 == 0 { "EUR" } else { "USD" };
        let minor = 500 + (i as i64 * 37) % 9_500;
        let id = Uuid::now_v7().to_string();
        let method = match i % 3 {
            0 => "cash",
            1 => "card",
            _ => "external",
        };
        let slot = i % 20;
        let previous = txs
            .last()
            .map(|t: &Tx| (t.id.clone(), t.kind, t.root.clone(), t.minor));
        let (kind, result, parent, root, amount, expires) = match (slot, previous) {
            (15 | 16, Some((pid, "sale", root, pm))) => (
                "refund",
                "approved",
                Some((pid, "sale")),
                root,
                pm / 2,
                None,
            ),
            (18, Some((pid, "authorize", root, pm))) => (
                "capture",
                "approved",
                Some((pid, "authorize")),
                root,
                pm,
                None,
            ),
            (17, _) => (
                "authorize",
                "approved",
                None,
                id.clone(),
                minor,
                Some(at + 7 * 86_400_000),
            ),
            (14, _) => ("sale", "declined", None, id.clone(), minor, None),
            _ => ("sale", "approved", None, id.clone(), minor, None),
        };
        let order = if parent.is_none() {
            let oid = Uuid::now_v7().to_string();
            orders.push(OrderRow {
                id: oid.clone(),
                receipt: format!("D{device:03}-{i:07}"),
                customer: format!("Customer {}", i % 5000),
                device,
                event,
                staff: staff.clone(),
                at,
                currency,
                discount: if i % 10 == 3 { 100 } else { 0 },
            });
            Some(oid)
        } else {
            None
        };
        let currency = parent
            .as_ref()
            .and_then(|_| txs.last().map(|t: &Tx| t.currency))
            .unwrap_or(currency);
        let method = parent
            .as_ref()
            .and_then(|_| txs.last().map(|t: &Tx| t.method))
            .unwrap_or(if kind == "authorize" { "card" } else { method });
        txs.push(Tx {
            reference: (method == "external").then(|| format!("EXT-{i:07}")),
            id,
            kind,
            parent,
            root,
            order,
            minor: amount,
            currency,
            method,
            result,
            at,
            expires,
            device,
            event,
            staff,
        });
    }
    Data {
        devices,
        events,
        txs,
        orders,
    }
}

/// CSV lines for COPY (PostgreSQL) in the column order of `TX_COLUMNS` and `ORDER_COLUMNS`.
const TX_COLUMNS: &str = "id, seq, kind, parent_id, parent_kind, root_id, order_id, amount_minor, currency, method, external_system, external_reference, result, created_at, expires_at, device_id, event_id, staff";
const ORDER_COLUMNS: &str = "id, seq, receipt, customer_name, device_id, event_id, staff, created_at, currency, discount_minor";

fn tx_csv(d: &Data, seq: usize, t: &Tx) -> String {
    let opt = |v: Option<&str>| v.unwrap_or("").to_string();
    format!(
        "{},{seq},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        t.id,
        t.kind,
        opt(t.parent.as_ref().map(|p| p.0.as_str())),
        opt(t.parent.as_ref().map(|p| p.1)),
        t.root,
        opt(t.order.as_deref()),
        t.minor,
        t.currency,
        t.method,
        if t.reference.is_some() { "Shop" } else { "" },
        opt(t.reference.as_deref()),
        t.result,
        t.at,
        t.expires.map(|e| e.to_string()).unwrap_or_default(),
        d.devices[t.device],
        d.events[t.event],
        t.staff
    )
}

fn seed_sqlite(path: &str, d: &Data) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    let db = conn.transaction().unwrap();
    {
        let mut dev = db
            .prepare("INSERT INTO devices (id, name, code, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, 0)")
            .unwrap();
        for (i, id) in d.devices.iter().enumerate() {
            dev.execute(rusqlite::params![
                id,
                format!("Till {i:03}"),
                format!("D{i:03}"),
                format!("hash-{i}")
            ])
            .unwrap();
        }
        let mut ins = db
            .prepare(&format!(
                "INSERT INTO transactions ({TX_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
            ))
            .unwrap();
        for (seq, t) in d.txs.iter().enumerate() {
            ins.execute(rusqlite::params![
                t.id,
                seq as i64,
                t.kind,
                t.parent.as_ref().map(|p| p.0.as_str()),
                t.parent.as_ref().map(|p| p.1),
                t.root,
                t.order,
                t.minor,
                t.currency,
                t.method,
                t.reference.as_ref().map(|_| "Shop"),
                t.reference,
                t.result,
                t.at,
                t.expires,
                d.devices[t.device],
                d.events[t.event],
                t.staff
            ])
            .unwrap();
        }
        let mut ord = db
            .prepare(&format!(
                "INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))
            .unwrap();
        for (seq, o) in d.orders.iter().enumerate() {
            ord.execute(rusqlite::params![
                o.id,
                seq as i64,
                o.receipt,
                o.customer,
                d.devices[o.device],
                d.events[o.event],
                o.staff,
                o.at,
                o.currency,
                o.discount
            ])
            .unwrap();
        }
    }
    db.commit().unwrap();
    conn.execute_batch("ANALYZE").unwrap();
}

fn seed_postgres(url: &str, d: &Data) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut w = client
        .copy_in("COPY devices (id, name, code, token_hash, enrolled_at) FROM STDIN (FORMAT csv)")
        .unwrap();
    for (i, id) in d.devices.iter().enumerate() {
        writeln!(w, "{id},Till {i:03},D{i:03},hash-{i},0").unwrap();
    }
    w.finish().unwrap();
    let mut w = client
        .copy_in(&format!(
            "COPY transactions ({TX_COLUMNS}) FROM STDIN (FORMAT csv)"
        ))
        .unwrap();
    let mut buf = String::new();
    for (seq, t) in d.txs.iter().enumerate() {
        buf.push_str(&tx_csv(d, seq, t));
        if buf.len() > 1 << 20 {
            w.write_all(buf.as_bytes()).unwrap();
            buf.clear();
        }
    }
    w.write_all(buf.as_bytes()).unwrap();
    w.finish().unwrap();
    let mut w = client
        .copy_in(&format!(
            "COPY orders ({ORDER_COLUMNS}) FROM STDIN (FORMAT csv)"
        ))
        .unwrap();
    let mut buf = String::new();
    for (seq, o) in d.orders.iter().enumerate() {
        writeln!(
            buf,
            "{},{seq},{},{},{},{},{},{},{},{}",
            o.id,
            o.receipt,
            o.customer,
            d.devices[o.device],
            d.events[o.event],
            o.staff,
            o.at,
            o.currency,
            o.discount
        )
        .unwrap();
    }
    w.write_all(buf.as_bytes()).unwrap();
    w.finish().unwrap();
    client.batch_execute("ANALYZE").unwrap();
}

/// A card processor's export of `rows` of `event`'s card and logged external sales: external
/// ones name their reference, card ones only an id of the processor's own (found by amount and
/// time); one in ten has a different amount; plus one skipped row that makes each file's bytes
/// unique.
fn square_file(d: &Data, event: usize, rows: usize, run: usize) -> String {
    let mut out = String::from("Date,Time,Time Zone,Total Collected,Payment ID,Event Type\n");
    for t in d
        .txs
        .iter()
        .filter(|t| {
            t.event == event
                && (t.method == "external" || t.method == "card")
                && t.kind == "sale"
                && t.result == "approved"
                && t.currency == "USD"
        })
        .take(rows)
    {
        let at = jiff::Timestamp::from_millisecond(t.at)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC);
        let minor = if t.minor % 10 == 0 {
            t.minor + 1
        } else {
            t.minor
        };
        writeln!(
            out,
            "{},{},UTC,${}.{:02},{},Payment",
            at.strftime("%Y-%m-%d"),
            at.strftime("%H:%M:%S"),
            minor / 100,
            minor % 100,
            t.reference
                .clone()
                .unwrap_or_else(|| format!("PSP-{}", &t.id[24..]))
        )
        .unwrap();
    }
    writeln!(out, "2026-06-01,00:00:00,UTC,$0.00,run-{run},Deposit").unwrap();
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// p50 and p95 of `runs` timings of `f`.
async fn time<F, Fut>(runs: usize, mut f: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        f(i).await;
        samples.push(t.elapsed());
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.95))
}

fn row(what: &str, (p50, p95): (Duration, Duration), target: &str, limit: &str) {
    println!(
        "| {what} | {} | {} | {target} | {limit} |",
        ms(p50),
        ms(p95)
    );
}

async fn run(backend: &str, n: usize) {
    let data = generate(n);
    let dir = tempfile::tempdir().unwrap();
    let (database, _pg) = match backend {
        "postgres" => {
            let base = std::env::var("FAIRTILL_TEST_PG")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            let name = format!("fairtill_bench_{}", Uuid::now_v7().simple());
            let admin = format!("{base}/postgres");
            let n2 = name.clone();
            std::thread::spawn(move || {
                let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
                c.batch_execute(&format!("CREATE DATABASE {n2}")).unwrap();
            })
            .join()
            .unwrap();
            (format!("{base}/{name}"), Some((base, name)))
        }
        _ => (
            dir.path().join("server.db").to_string_lossy().into_owned(),
            None,
        ),
    };
    // The server makes its schema and the manager account; then the rows go straight in.
    cli(
        &database,
        &["manager", "add", "--name", "bench"],
        &format!("{PASSWORD}\n"),
    );
    let started = Instant::now();
    {
        let data_ref: &'static Data = Box::leak(Box::new(data));
        let (seed_db, postgres) = (database.clone(), backend == "postgres");
        std::thread::spawn(move || {
            if postgres {
                seed_postgres(&seed_db, data_ref)
            } else {
                seed_sqlite(&seed_db, data_ref)
            }
        })
        .join()
        .unwrap();
        println!(
            "\n## {backend}: {} transactions, {} orders, {DEVICES} tills, {EVENTS} events (seeded in {:.1} s)\n",
            data_ref.txs.len(),
            data_ref.orders.len(),
            started.elapsed().as_secs_f64()
        );
        let server = serve(&database);
        let http = reqwest::Client::new();
        let url = server.1.clone();
        let token: String = {
            let res: serde_json::Value = http
                .post(format!("{url}/v1/manager/login"))
                .header("fairtill-api-version", "1")
                .json(&serde_json::json!({ "name": "bench", "password": PASSWORD }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            res["token"].as_str().unwrap().to_string()
        };
        let get = |path: String| {
            let http = http.clone();
            let url = url.clone();
            let token = token.clone();
            async move {
                let res = http
                    .get(format!("{url}{path}"))
                    .header("fairtill-api-version", "1")
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{path}: {}", res.status());
                std::hint::black_box(res.bytes().await.unwrap());
            }
        };
        let runs = 20;
        let per_event = n / EVENTS;
        let event = data_ref.events[EVENTS / 2].clone();
        let device = data_ref.devices[(EVENTS / 2) * (DEVICES / EVENTS)].clone();
        println!("| what | p50 | p95 | target | limit, same run |");
        println!("|---|---|---|---|---|");
        let bare_http = time(runs, |_| {
            let http = http.clone();
            let url = url.clone();
            async move {
                let res = http
                    .get(format!("{url}/v1/manager/devices"))
                    .header("fairtill-api-version", "1")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 401);
            }
        })
        .await;
        row(
            "bare HTTP round trip (a refused request)",
            bare_http,
            "",
            "",
        );
        let page = time(runs, |_| get("/v1/manager/transactions?limit=100".into())).await;
        row(
            "first page, no filter (100 rows)",
            page,
            "200 ms",
            &format!("HTTP round trip {}", ms(bare_http.0)),
        );
        let page = time(runs, |_| {
            get(format!(
                "/v1/manager/transactions?event={event}&method=card&result=approved&limit=100"
            ))
        })
        .await;
        row("first page, event + card + approved", page, "200 ms", "");
        let page = time(runs, |_| {
            get(format!(
                "/v1/manager/transactions?device={device}&limit=100"
            ))
        })
        .await;
        row("first page, one till", page, "200 ms", "");
        let page = time(runs, |_| {
            get("/v1/manager/transactions?text=customer%204242&limit=100".into())
        })
        .await;
        row(
            "first page, rare text (one customer's orders: trigram index)",
            page,
            "200 ms",
            "",
        );
        let page = time(runs, |_| {
            get("/v1/manager/transactions?text=customer%2042&limit=100".into())
        })
        .await;
        row(
            "first page, common text (every customer 42…: newest rows compared)",
            page,
            "200 ms",
            "",
        );
        let bare_event = bare_sql(&database, backend, &event);
        let summary = time(runs, |_| get(format!("/v1/manager/summary?event={event}"))).await;
        row(
            &format!("summary of one event ({per_event} transactions)"),
            summary,
            "200 ms",
            &format!("bare GROUP BY of the event {}", ms(bare_event.0)),
        );
        let bare_all = bare_sql(&database, backend, "");
        let summary = time(runs, |_| get("/v1/manager/summary".into())).await;
        row(
            "summary of everything (running totals)",
            summary,
            "200 ms",
            &format!("bare GROUP BY of all {}", ms(bare_all.0)),
        );
        // A time range is not kept in the totals: these rows are read and added up.
        let day_start =
            jiff::Timestamp::from_millisecond(START_MS + (EVENTS / 2) as i64 * 2 * 86_400_000)
                .unwrap();
        let day_end = day_start + jiff::SignedDuration::from_hours(24);
        let summary = time(5, |_| {
            get(format!("/v1/manager/summary?from={day_start}&to={day_end}"))
        })
        .await;
        row(
            &format!("summary of one day ({per_event} transactions read)"),
            summary,
            "200 ms",
            "",
        );
        let summary = time(runs, |_| {
            get("/v1/manager/summary?text=customer%204242".into())
        })
        .await;
        row(
            "summary of a rare text (trigram index)",
            summary,
            "200 ms",
            "",
        );
        let close = time(runs, |_| get(format!("/v1/manager/closeout?event={event}"))).await;
        row(
            &format!("close-out of one event ({per_event} transactions)"),
            close,
            "500 ms",
            "",
        );
        let event_index = EVENTS / 2;
        let rows = 20_000.min(n / EVENTS / 2);
        let import = time(5, |i| {
            let http = http.clone();
            let url = url.clone();
            let token = token.clone();
            let body = square_file(data_ref, event_index, rows, i);
            async move {
                let res = http
                    .post(format!(
                        "{url}/v1/manager/settlements?file_name=bench.csv&currency=USD"
                    ))
                    .header("fairtill-api-version", "1")
                    .bearer_auth(token)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{}", res.text().await.unwrap());
            }
        })
        .await;
        row(
            &format!("import and match a {rows}-row settlement file"),
            import,
            "2 s",
            "",
        );
    }
    if let Some((base, name)) = _pg {
        std::thread::spawn(move || {
            let mut c =
                postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .unwrap();
        })
        .join()
        .unwrap();
    }
}

/// The summary's GROUP BY run directly on the database (of one event, or all when empty).
fn bare_sql(database: &str, backend: &str, event: &str) -> (Duration, Duration) {
    let database = database.to_string();
    let event = event.to_string();
    let backend = backend.to_string();
    std::thread::spawn(move || {
        let filter = if event.is_empty() { "1 = 1".to_string() } else { format!("event_id = '{event}'") };
        let sql = format!(
            "SELECT currency, kind, parent_kind, result, count(*), sum(amount_minor) FROM transactions
             WHERE {filter} GROUP BY currency, kind, parent_kind, result"
        );
        let mut samples = Vec::new();
        if backend == "postgres" {
            let mut c = postgres::Client::connect(&database, postgres::NoTls).unwrap();
            for _ in 0..5 {
                let t = Instant::now();
                c.query(&sql, &[]).unwrap();
                samples.push(t.elapsed());
            }
        } else {
            let c = rusqlite::Connection::open(&database).unwrap();
            for _ in 0..5 {
                let t = Instant::now();
                let mut stmt = c.prepare(&sql).unwrap();
                let n = stmt.query_map([], |_| Ok(())).unwrap().count();
                std::hint::black_box(n);
                samples.push(t.elapsed());
            }
        }
        samples.sort();
        (percentile(&samples, 0.5), percentile(&samples, 0.95))
    })
    .join()
    .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1).cloned());
    let n = if quick { 100_000 } else { 1_000_000 };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!(
        "Fairtill manager benchmarks ({})",
        if quick { "quick" } else { "full" }
    );
    for backend in ["sqlite", "postgres"] {
        if only.as_deref().is_some_and(|o| o != backend) {
            continue;
        }
        rt.block_on(run(backend, n));
    }
}
