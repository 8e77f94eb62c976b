//! A webhook receiver for the tests: a real HTTP server (Python's, on a loopback port) that
//! checks every delivery's signature with the Standard Webhooks project's own library
//! (`standardwebhooks` from PyPI, installed by `scripts/test.sh`), not with Fairtill's code.
//! It can be told how to answer the next deliveries (a status, a delay), stopped and started
//! again on the same port, and keeps what it received across restarts.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const SCRIPT: &str = include_str!("webhook_receiver.py");

/// One delivery as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The path it was posted to.
    pub path: String,
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: String,
    /// `webhook-signature`.
    pub signature: String,
    /// Whether it verified with each secret the receiver was given, in order.
    pub verified: Vec<bool>,
    /// The body.
    pub body: Value,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Delivery {
    /// The event's `type`.
    pub fn event(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

/// A running receiver; stopped when dropped.
pub struct WebhookReceiver {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

impl WebhookReceiver {
    /// Starts one on a free port.
    pub fn start() -> WebhookReceiver {
        let mut r = WebhookReceiver {
            child: None,
            port: crate::smtp::free_port(),
            dir: tempfile::tempdir().unwrap(),
        };
        r.resume();
        r
    }

    /// Its address for `path` (e.g. `/hooks`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Stops it: the port refuses connections until [`WebhookReceiver::resume`].
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it (again) on its port and waits until it answers.
    pub fn resume(&mut self) {
        self.stop();
        let python = crate::smtp::python();
        let child = Command::new(&python)
            .arg("-c")
            .arg(SCRIPT)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} could not start the webhook receiver ({e})",
                    python.display()
                )
            });
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the webhook receiver did not answer on port {} (scripts/test.sh installs standardwebhooks)",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Checks deliveries with `secret` as well (after those given before).
    pub fn trust(&self, secret: &str) {
        let mut all = std::fs::read_to_string(self.file("secrets")).unwrap_or_default();
        all.push_str(secret);
        all.push('\n');
        std::fs::write(self.file("secrets"), all).unwrap();
    }

    /// Answers the next deliveries with these statuses, each after its delay; then 200.
    pub fn plan(&self, answers: &[(u16, f64)]) {
        let tmp = self.file("plan.json.new");
        std::fs::write(&tmp, serde_json::to_string(answers).unwrap()).unwrap();
        std::fs::rename(tmp, self.file("plan.json")).unwrap();
    }

    /// Every delivery so far, in the order they arrived.
    pub fn received(&self) -> Vec<Delivery> {
        let text = std::fs::read_to_string(self.file("received.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                Delivery {
                    path: s("path"),
                    id: s("id"),
                    timestamp: s("timestamp"),
                    signature: s("signature"),
                    verified: v["verified"]
                        .as_array()
                        .map(|a| a.iter().map(|b| b.as_bool() == Some(true)).collect())
                        .unwrap_or_default(),
                    body: v["body"].clone(),
                    answered: u16::try_from(v["answered"].as_u64().unwrap_or(0)).unwrap_or(0),
                }
            })
            .collect()
    }

    /// Waits (up to `within`) until `done` holds of what arrived; all of it.
    pub fn wait_until(
        &self,
        within: Duration,
        done: impl Fn(&[Delivery]) -> bool,
    ) -> Vec<Delivery> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                started.elapsed() < within,
                "the webhook receiver never got what was expected; it got {} deliveries: {:#?}",
                got.len(),
                got.iter()
                    .map(|d| (d.event(), &d.id, d.answered))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
