//! Sync throughput over loopback against a real `fairtill-server` process, on each backend,
//! beside the limit it approaches: a bare batched insert of the same record bodies into the
//! same backend, in the same run.
//!
//! `cargo bench -p fairtill-sync --bench sync [-- --quick] [-- --backend sqlite|postgres]`
//! PostgreSQL: `FAIRTILL_TEST_PG` (default postgres://postgres@127.0.0.1:5432).

// Benchmarks count and time with plain casts (percentiles of timings, row counters).
#![allow(clippy::unwrap_used, missing_docs)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fairtill_store::Till;
use fairtill_sync::round::{push_all, RoundReport};
use fairtill_sync::SyncClient;

fn server_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("fairtill-server");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-q", "-p", "fairtill-server"])
        .status()
        .unwrap();
    assert!(status.success());
    bin
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(bin: &Path, database: &str) -> Server {
    let mut child = Command::new(bin)
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

fn new_code(bin: &Path, database: &str, name: &str) -> String {
    let out = Command::new(bin)
        .args(["--database", database, "device", "add", "--name", name])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(4)
        .unwrap()
        .to_string()
}

/// A device database holding `n` sales (an order and a transaction each), imported.
fn device(dir: &Path, name: &str, n: usize) -> Till {
    let mut csv = String::from("created_at,amount,currency,method,customer_name,staff\n");
    for i in 0..n {
        let when = jiff::Timestamp::from_second(1_767_225_600 + i as i64 * 7).unwrap();
        writeln!(
            csv,
            "{when},{}.50,USD,cash,Customer {},staff{}",
            1 + i % 90,
            i % 500,
            i % 7
        )
        .unwrap();
    }
    let mut till = Till::open(&dir.join(format!("{name}.db"))).unwrap();
    till.import_csv(csv.as_bytes()).unwrap();
    till
}

async fn enrolled(bin: &Path, database: &str, url: &str, till: &Till) -> SyncClient {
    let code = new_code(bin, database, &till.device().id.to_string());
    let (client, _) = SyncClient::new(url, None, None)
        .unwrap()
        .enroll(&code, till.device().id, &till.device().code)
        .await
        .unwrap();
    client
}

fn quiet(_: fairtill_sync::Progress) {}

/// The bodies a device would push, to insert bare.
fn bodies(till: &Till) -> Vec<(String, String, String)> {
    fairtill_sync::pending(till, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|p| {
            let key = p.record.key();
            (
                p.store_type.to_string(),
                key.id,
                serde_json::to_string(&p.record).unwrap(),
            )
        })
        .collect()
}

/// The limit on SQLite: the same bodies inserted in batches of 500, one transaction each,
/// into a bare keyed table with the server's pragmas.
fn bare_sqlite(dir: &Path, rows: &[(String, String, String)]) -> Duration {
    let conn = rusqlite::Connection::open(dir.join("bare.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE bare (seq INTEGER PRIMARY KEY, record_type TEXT NOT NULL, record_id TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (record_type, record_id))").unwrap();
    let t = Instant::now();
    for chunk in rows.chunks(500) {
        conn.execute_batch("BEGIN").unwrap();
        let mut stmt = conn
            .prepare_cached("INSERT INTO bare (record_type, record_id, body) VALUES (?1, ?2, ?3)")
            .unwrap();
        for (t, id, body) in chunk {
            stmt.execute(rusqlite::params![t, id, body]).unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }
    t.elapsed()
}

/// The limit on PostgreSQL: the same, into a bare keyed table in the same database.
fn bare_postgres(url: &str, rows: Vec<(String, String, String)>) -> Duration {
    let url = url.to_string();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.batch_execute("CREATE TABLE bare (seq BIGSERIAL PRIMARY KEY, record_type TEXT NOT NULL, record_id TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (record_type, record_id))").unwrap();
        let stmt = client
            .prepare("INSERT INTO bare (record_type, record_id, body) VALUES ($1, $2, $3)")
            .unwrap();
        let t = Instant::now();
        for chunk in rows.chunks(500) {
            let mut tx = client.transaction().unwrap();
            for (ty, id, body) in chunk {
                tx.execute(&stmt, &[ty, id, body]).unwrap();
            }
            tx.commit().unwrap();
        }
        t.elapsed()
    })
    .join()
    .unwrap()
}

fn pg_admin(sql: String) {
    std::thread::spawn(move || {
        let base = std::env::var("FAIRTILL_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let mut c =
            postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
        c.batch_execute(&sql).unwrap();
    })
    .join()
    .unwrap();
}

fn rate(n: u64, d: Duration) -> String {
    format!("{:.0} records/s", n as f64 / d.as_secs_f64())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn backend(
    report: &mut String,
    bin: &Path,
    kind: &str,
    backlog: usize,
    devices: usize,
    per_device: usize,
) {
    let dir = tempfile::tempdir().unwrap();
    let pg_name = format!("fairtill_bench_{}", std::process::id());
    let base = std::env::var("FAIRTILL_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let database = match kind {
        "postgres" => {
            pg_admin(format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"));
            pg_admin(format!("CREATE DATABASE {pg_name}"));
            format!("{base}/{pg_name}")
        }
        _ => dir.path().join("server.db").to_string_lossy().into_owned(),
    };
    let server = serve(bin, &database);

    // One device with a backlog, pushed whole.
    let till = device(dir.path(), "backlog", backlog);
    let rows = bodies(&till);
    let n = rows.len() as u64;
    let client = enrolled(bin, &database, &server.1, &till).await;
    let till = Arc::new(Mutex::new(till));
    let mut first = RoundReport::default();
    let t = Instant::now();
    push_all(&till, &client, &mut first, &quiet).await.unwrap();
    let push = t.elapsed();
    assert_eq!(first.pushed, n);
    let bare = match kind {
        "postgres" => bare_postgres(&database, rows),
        _ => bare_sqlite(dir.path(), &rows),
    };
    writeln!(report, "| {kind}: push a backlog of {backlog} sales ({n} records) | {} ({}) | bare batched INSERT of the same bodies, 500 per transaction: {} ({}) | {:.0}% of that rate |",
        rate(n, push), ms(push), rate(n, bare), ms(bare), 100.0 * bare.as_secs_f64() / push.as_secs_f64()).unwrap();

    // The same backlog again (as after a lost acknowledgement): nothing is written.
    till.lock()
        .unwrap()
        .connection()
        .execute("UPDATE sync_state SET acked_seq = 0", [])
        .unwrap();
    let mut again = RoundReport::default();
    let t = Instant::now();
    push_all(&till, &client, &mut again, &quiet).await.unwrap();
    let repush = t.elapsed();
    assert_eq!(
        (again.pushed, again.already_had),
        (0, n),
        "a re-push stores nothing"
    );
    writeln!(report, "| {kind}: re-push the same {n} records | {} ({}), 0 written | the first push: {} | {:.0}% of the first push's time |",
        rate(n, repush), ms(repush), ms(push), 100.0 * repush.as_secs_f64() / push.as_secs_f64()).unwrap();

    // Many devices at once.
    let mut tills = Vec::new();
    for i in 0..devices {
        let till = device(dir.path(), &format!("d{i}"), per_device);
        let client = enrolled(bin, &database, &server.1, &till).await;
        tills.push((Arc::new(Mutex::new(till)), client));
    }
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (till, client) in tills {
        let latencies = latencies.clone();
        tasks.push(tokio::spawn(async move {
            let mut pushed = 0;
            loop {
                let batch =
                    fairtill_sync::pending(&till.lock().unwrap(), fairtill_protocol::MAX_BATCH)
                        .unwrap();
                if batch.is_empty() {
                    return pushed;
                }
                let records: Vec<_> = batch.iter().map(|p| p.record.clone()).collect();
                let started = Instant::now();
                client.push(records).await.unwrap();
                latencies.lock().unwrap().push(started.elapsed());
                let mut acked = std::collections::BTreeMap::new();
                for p in &batch {
                    let seq = acked.entry(p.store_type).or_insert(p.seq);
                    *seq = (*seq).max(p.seq);
                }
                let mut guard = till.lock().unwrap();
                for (store_type, seq) in acked {
                    guard.outbox_ack(store_type, seq).unwrap();
                }
                pushed += batch.len() as u64;
            }
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    let all = t.elapsed();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let p = |q: usize| lat[(lat.len() * q / 100).min(lat.len() - 1)];
    writeln!(report, "| {kind}: {devices} devices push {per_device} sales each at once | {} ({total} records in {}) | push latency p50 {} · p99 {} (batches of up to 500) | {} pushes |",
        rate(total, all), ms(all), ms(p(50)), ms(p(99)), lat.len()).unwrap();
    drop(server);
    if kind == "postgres" {
        pg_admin(format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let (backlog, devices, per_device) = if quick {
        (5_000, 10, 200)
    } else {
        (50_000, 50, 1_000)
    };
    let devices = arg("--devices").unwrap_or(devices);
    let per_device = arg("--per-device").unwrap_or(per_device);
    let backlog = arg("--backlog").unwrap_or(backlog);
    let bin = server_bin();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut report =
        String::from("| what | Fairtill | limit, same run | note |\n|---|---|---|---|\n");
    for kind in ["sqlite", "postgres"] {
        if only.as_deref().is_none_or(|o| o == kind) {
            runtime.block_on(backend(
                &mut report,
                &bin,
                kind,
                backlog,
                devices,
                per_device,
            ));
        }
    }
    println!("{report}");
}
