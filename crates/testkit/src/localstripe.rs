//! localstripe (PyPI), a stateful Stripe emulator, on a free loopback port: the processor the
//! tests charge. `scripts/test.sh` installs it in a virtual environment and puts it on `PATH`.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running localstripe; stopped when dropped.
pub struct Localstripe {
    child: Child,
    /// Its address, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Localstripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The secret key tests use (localstripe takes any `sk_…`).
pub const TEST_KEY: &str = "sk_test_fairtill";

impl Localstripe {
    /// Starts one and waits until it answers.
    pub fn start() -> Localstripe {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let bin = std::env::var("FAIRTILL_LOCALSTRIPE").unwrap_or_else(|_| "localstripe".into());
        let child = Command::new(&bin)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{bin} could not start ({e}): scripts/test.sh installs localstripe")
            });
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "localstripe did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Localstripe {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}
