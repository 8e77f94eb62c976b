//! The desktop app builds and starts: under a private Xvfb display, the real binary opens its
//! window titled "Fairtill" and creates its database at the path it was given.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::window::{xvfb, Killed};

fn window_titles(display: &str) -> String {
    Command::new("xwininfo")
        .args(["-root", "-tree"])
        .env("DISPLAY", display)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

#[test]
fn the_app_opens_its_window_and_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let display = format!(":{}", 90 + std::process::id() % 100);
    let _xvfb = xvfb(&display);
    std::thread::sleep(Duration::from_millis(500));
    let mut app = Killed(
        Command::new(env!("CARGO_BIN_EXE_fairtill-app"))
            .arg("--db")
            .arg(&db)
            .env("DISPLAY", &display)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    let mut seen = false;
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = app.0.try_wait().unwrap() {
            panic!("the app exited early with {status}");
        }
        if window_titles(&display).contains("\"Fairtill\"") {
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(seen, "no window titled Fairtill appeared within 60 s");
    std::thread::sleep(Duration::from_secs(2));
    assert!(app.0.try_wait().unwrap().is_none(), "the app keeps running");
    let till = fairtill_store::Till::open(&db).unwrap();
    assert_eq!(
        till.device().code,
        "T1",
        "the app created its database at the --db path"
    );
    if let Ok(shot) = std::env::var("FAIRTILL_SCREENSHOT") {
        let _ = Command::new("import")
            .args(["-window", "root", &shot])
            .env("DISPLAY", &display)
            .status();
    }
}
