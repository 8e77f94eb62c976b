//! Backups of the embedded database under load, with real processes: a till pushes without
//! pause while `fairtill-server backup` runs; the backup restored (refused while the server
//! runs) has every record acknowledged before the backup began, and none pushed after it ended.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use fairtill_core::ids::EventId;
use fairtill_core::ledger::PaymentMethod;
use fairtill_protocol::*;
use uuid::Uuid;

/// Runs the server's CLI on `database`; its success, standard output and standard error.
fn run(database: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(fairtill_testkit::server_bin())
        .arg("--database")
        .arg(database)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_every_acknowledged_record() {
    let db = Db::new(Kind::Sqlite);
    let code = new_code(&db, "Booth 1");
    let server = serve(&db);
    let api = Api::to(&server);
    let event = EventId(Uuid::now_v7());
    let mut till = Till::new(event);
    let token = api.enroll(&code, till.device).await;

    // The till pushes batches of 20 sales without pause; each acknowledged batch is noted.
    let acked: Arc<Mutex<Vec<Vec<Record>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = tokio::spawn({
        let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
        let api = api.clone();
        let token = token.clone();
        async move {
            while !stop.load(Ordering::SeqCst) {
                let mut batch = Vec::new();
                for _ in 0..20 {
                    batch.extend(till.sale("3.20", PaymentMethod::Cash).0);
                }
                let outcomes = api.push(&token, &batch).await;
                assert!(outcomes.iter().all(|o| *o == PushOutcome::Stored));
                acked.lock().unwrap().push(batch);
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let dir = db.dir().unwrap().to_path_buf();
    let file = dir.join("backup.db");
    let file_arg = file.to_str().unwrap().to_string();
    let before = acked.lock().unwrap().len();
    let (ok, out, err) = tokio::task::spawn_blocking({
        let spec = db.spec.clone();
        let file_arg = file_arg.clone();
        move || run(&spec, &["backup", "--to", &file_arg])
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("backed up"), "{out}");
    let after = acked.lock().unwrap().len();
    // Pushes went on while the backup ran, and after it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    pusher.await.unwrap();
    let batches = acked.lock().unwrap().clone();
    assert!(before >= 3, "only {before} batches before the backup");
    assert!(batches.len() > after, "nothing was pushed after the backup");

    // A backup never overwrites; a restore waits for the server to stop.
    let (ok, _, err) = run(&db.spec, &["backup", "--to", &file_arg]);
    assert!(!ok && err.contains("exists already"), "{err}");
    let (ok, _, err) = run(&db.spec, &["restore", "--from", &file_arg]);
    assert!(!ok && err.contains("a server is running"), "{err}");
    drop(server);

    // Not a backup: refused, and the database is left as it was.
    let junk = dir.join("notes.txt");
    std::fs::write(&junk, "not a database\r\n").unwrap();
    let (ok, _, err) = run(&db.spec, &["restore", "--from", junk.to_str().unwrap()]);
    assert!(!ok && err.contains("is not a backup"), "{err}");

    let (ok, out, err) = run(&db.spec, &["restore", "--from", &file_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("kept as"), "{out}");
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".before-restore-"))
        .collect();
    assert!(!kept.is_empty(), "the replaced database was not kept");

    // Served from the restored database: every batch acknowledged before the backup began is
    // there (a re-push is "already had"), and the last batch, pushed after it ended, is not.
    let server = serve(&db);
    let api = Api::to(&server);
    for (i, batch) in batches[..before].iter().enumerate() {
        let outcomes = api.push(&token, batch).await;
        assert!(
            outcomes.iter().all(|o| *o == PushOutcome::AlreadyHad),
            "batch {i} of {before} acknowledged before the backup is missing"
        );
    }
    let last = batches.last().unwrap();
    let outcomes = api.push(&token, last).await;
    assert!(
        outcomes.iter().all(|o| *o == PushOutcome::Stored),
        "the restored database has a batch pushed after the backup"
    );
    let (status, body) = api.get("/readyz", None).await;
    assert_eq!(status, 200, "{body}");
}

#[test]
fn backup_and_restore_are_for_the_embedded_database() {
    let pg = format!("{}/postgres", fairtill_testkit::pg_base());
    for args in [["backup", "--to", "x.db"], ["restore", "--from", "x.db"]] {
        let (ok, _, err) = run(&pg, &args);
        assert!(!ok && err.contains("pg_dump"), "{err}");
    }
}
