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

/// Where `bin` is: itself if it is a path, else the first match on `PATH`.
fn which(bin: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(bin);
    if path.components().count() > 1 {
        return Some(path.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(bin))
        .find(|p| p.exists())
}

impl Localstripe {
    /// Starts one and waits until it answers.
    pub fn start() -> Localstripe {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let bin = std::env::var("FAIRTILL_LOCALSTRIPE").unwrap_or_else(|_| "localstripe".into());
        // localstripe keeps its store in /tmp/localstripe.pickle, rewritten whole on every
        // change and read back at start: shared by every instance on the machine, and slower
        // with every object. Each test's instance starts empty and keeps its store in memory,
        // run by the Python beside the `localstripe` script (the test venv's).
        let python = which(&bin)
            .and_then(|b| b.parent().map(|d| d.join("python")))
            .filter(|p| p.exists())
            .unwrap_or_else(|| "python3".into());
        let child = Command::new(&python)
            .args([
                "-c",
                "import sys, localstripe.resources as r, localstripe.server as s\n\
                 r.Store.dump_to_disk = lambda self: None\n\
                 sys.argv = ['localstripe', '--from-scratch', '--port', sys.argv[1]]\n\
                 s.start()",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} could not start localstripe ({e}): scripts/test.sh installs it",
                    python.display()
                )
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
