//! `fairtill sync` against a real server process on a loopback port, with the token in a real
//! Secret Service (the test suite runs in a private D-Bus session with gnome-keyring unlocked):
//! enroll with a one-time code, send a sale in one round, and say how it stands.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

fn fairtill(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fairtill"))
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(args)
        .output()
        .unwrap()
}

fn ok(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = fairtill(db, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_till_enrolls_and_syncs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let till = dir.path().join("kiosk.db");
    let server_db = fairtill_testkit::Db::at(&dir.path().join("server.db"));
    let server = fairtill_testkit::Server::start(&server_db);

    let before = ok(&till, &["sync", "status"]);
    assert_eq!(before["server_url"], serde_json::Value::Null);
    let out = fairtill(&till, &["sync", "now"]);
    assert_eq!(out.status.code(), Some(2), "not enrolled yet");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sync enroll"));
    let wrong = fairtill(
        &till,
        &[
            "sync",
            "enroll",
            "--server",
            &server.url,
            "--code",
            "not-a-code",
        ],
    );
    assert!(
        !wrong.status.success(),
        "a code the server never made is refused"
    );

    let code = server_db.new_code("Kiosk 1");
    let enrolled = ok(
        &till,
        &["sync", "enroll", "--server", &server.url, "--code", &code],
    );
    assert_eq!(enrolled["server_name"], "Kiosk 1");
    ok(&till, &["record", "--item", "Mug:12.50"]);
    let waiting = ok(&till, &["sync", "status"]);
    assert_eq!(
        (
            waiting["waiting"].as_u64(),
            waiting["token_in_keyring"].as_bool()
        ),
        (Some(2), Some(true))
    );

    let round = ok(&till, &["sync", "now"]);
    assert_eq!(round["pushed"], 2, "the order and its sale");
    assert_eq!(ok(&till, &["sync", "status"])["waiting"], 0);
    let again = ok(&till, &["sync", "now"]);
    assert_eq!(again["pushed"], 0);
    let stored: i64 = rusqlite::Connection::open(dir.path().join("server.db"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM records WHERE record_type = 'transaction'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 1, "the sale is on the server once");
}
