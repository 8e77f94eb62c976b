//! Shared by the device ↔ server tests: a real `fairtill-server` process on a loopback port,
//! real file-backed device stores, and a proxy that cuts connections.
#![allow(clippy::unwrap_used, missing_docs, dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fairtill_core::ids::EventId;
use fairtill_core::ledger::*;
use fairtill_core::order::OrderDraft;
use fairtill_store::{Actor, DeviceSetup, SystemClock, Tender, Till};
use fairtill_sync::SyncClient;
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A real server on an SQLite file the test keeps (to read it, or to serve it again).
pub struct Server {
    process: fairtill_testkit::Server,
    pub url: String,
    pub db: PathBuf,
}

impl Server {
    /// Stops the process now (as a crash would).
    pub fn kill(&mut self) {
        self.process.child.kill().unwrap();
        self.process.child.wait().unwrap();
    }
}

/// Starts the server on `db` at `bind` (`127.0.0.1:0` for any port).
pub fn serve_at(db: &Path, bind: &str) -> Server {
    let process = fairtill_testkit::Server::start_with(
        &fairtill_testkit::Db::at(db),
        bind,
        Stdio::inherit(),
        &[],
    );
    Server {
        url: process.url.clone(),
        process,
        db: db.to_path_buf(),
    }
}

pub fn serve(db: &Path) -> Server {
    serve_at(db, "127.0.0.1:0")
}

/// A one-time enrollment code from the server's CLI.
pub fn new_code(db: &Path, name: &str) -> String {
    fairtill_testkit::Db::at(db).new_code(name)
}

/// A device: its store, and its client once enrolled.
pub struct Device {
    pub till: Arc<Mutex<Till>>,
    pub client: SyncClient,
    pub actor: Actor,
    _dir: tempfile::TempDir,
}

impl Device {
    /// A new device database that syncs through `url` (the server or a proxy in front of it).
    /// It enrolls with the server itself, so a cutting proxy cannot eat the one-time code.
    pub async fn enrolled(
        server: &Server,
        url: &str,
        code: &str,
        event: Option<EventId>,
    ) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let till = Till::open_with(
            &dir.path().join("till.db"),
            &DeviceSetup {
                code: code.into(),
                name: format!("Booth {code}"),
            },
            Box::new(SystemClock),
        )
        .unwrap();
        let device = till.device().clone();
        let one_time = new_code(&server.db, &device.name);
        let (_, enrolled) = SyncClient::new(&server.url, None, None)
            .unwrap()
            .enroll(&one_time, device.id, &device.code)
            .await
            .unwrap();
        // The token is only in memory here (the keyring test covers keeping it).
        let client = SyncClient::new(url, Some(enrolled.token), None).unwrap();
        Device {
            till: Arc::new(Mutex::new(till)),
            client,
            actor: Actor {
                staff: "ana".into(),
                event_id: event,
            },
            _dir: dir,
        }
    }

    /// Records a cash sale of `price` USD.
    pub fn sell(&self, price: &str) -> fairtill_store::RecordedSale {
        self.till
            .lock()
            .unwrap()
            .record_sale(&self.actor, draft(price), cash())
            .unwrap()
    }

    /// Ids of the transactions this device made itself.
    pub fn own_transactions(&self) -> BTreeSet<String> {
        let till = self.till.lock().unwrap();
        let mut stmt = till
            .connection()
            .prepare("SELECT id FROM transactions WHERE remote = 0")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    pub fn waiting(&self) -> u64 {
        self.till.lock().unwrap().outbox().unwrap().total
    }
}

pub use fairtill_testkit::orders::usd;

pub fn cash() -> Tender {
    Tender {
        kind: PaymentKind::Sale,
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        amount: None,
    }
}

pub fn draft(price: &str) -> OrderDraft {
    fairtill_testkit::orders::one_line("MUG", usd(price))
}

/// What the server's SQLite database holds: (record type, record id) of every record, and
/// whether any key is there twice.
pub fn server_records(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT record_type, record_id FROM records ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A TCP proxy on loopback that, while cutting is on, closes each connection after a random
/// number of bytes (in either direction), so requests and answers are cut at random points.
pub struct CuttingProxy {
    pub url: String,
    pub cutting: Arc<AtomicBool>,
    pub cuts: Arc<AtomicU64>,
}

impl CuttingProxy {
    pub async fn start(target: &str, max_bytes: u64) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = target.trim_start_matches("http://").to_string();
        let cutting = Arc::new(AtomicBool::new(true));
        let cuts = Arc::new(AtomicU64::new(0));
        let (c, n) = (cutting.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let target = target.clone();
                // Each connection is cut somewhere in its first `max_bytes`; the client's
                // keep-alive carries several requests on one, so cuts land anywhere in them.
                let budget = if c.load(Ordering::SeqCst) {
                    Some(rand::rng().random_range(0..max_bytes))
                } else {
                    None
                };
                let n = n.clone();
                let c = c.clone();
                tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(&target).await {
                        if relay(inbound, outbound, budget, c).await {
                            n.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        CuttingProxy { url, cutting, cuts }
    }

    pub fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::SeqCst)
    }
}

/// Relays both ways; with a budget, stops after that many bytes while cutting is on (a kept-alive
/// connection opened while cutting outlives it). True if it cut.
async fn relay(
    inbound: TcpStream,
    outbound: TcpStream,
    budget: Option<u64>,
    cutting: Arc<AtomicBool>,
) -> bool {
    let left = Arc::new(AtomicU64::new(budget.unwrap_or(u64::MAX)));
    let cut = Arc::new(AtomicBool::new(false));
    let (ir, iw) = inbound.into_split();
    let (or, ow) = outbound.into_split();
    let pump = |mut from: tokio::net::tcp::OwnedReadHalf,
                mut to: tokio::net::tcp::OwnedWriteHalf,
                left: Arc<AtomicU64>,
                cut: Arc<AtomicBool>,
                cutting: Arc<AtomicBool>| async move {
        let mut buf = vec![0u8; 8192];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let allowed = if cutting.load(Ordering::SeqCst) {
                usize::try_from(left.load(Ordering::SeqCst).min(n as u64)).unwrap()
            } else {
                n
            };
            left.fetch_sub(allowed as u64, Ordering::SeqCst);
            if to.write_all(&buf[..allowed]).await.is_err() {
                break;
            }
            if allowed < n {
                cut.store(true, Ordering::SeqCst);
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    let mut up = tokio::spawn(pump(ir, ow, left.clone(), cut.clone(), cutting.clone()));
    let mut down = tokio::spawn(pump(or, iw, left, cut.clone(), cutting));
    // When one direction ends, end the other: the connection is gone.
    tokio::select! {
        _ = &mut up => down.abort(),
        _ = &mut down => up.abort(),
    }
    cut.load(Ordering::SeqCst)
}
