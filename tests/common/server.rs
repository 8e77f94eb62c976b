//! A real `fairtill-server` process for the app's tests.

/// A real `fairtill-server` on a loopback port, with a manager account; stopped when dropped.
pub struct Server {
    child: std::process::Child,
    /// Where it answers, `http://127.0.0.1:<port>`.
    pub url: String,
    db: std::path::PathBuf,
    bin: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(dir: &std::path::Path) -> Server {
        use std::io::{BufRead, Write};
        // Built beside this test by `cargo test --workspace` (the server has tests of its own).
        let bin = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("fairtill-server");
        if !bin.exists() {
            let built = std::process::Command::new(env!("CARGO"))
                .args(["build", "-p", "fairtill-server"])
                .status()
                .unwrap();
            assert!(built.success());
        }
        let db = dir.join("server.db");
        let mut add = std::process::Command::new(&bin)
            .arg("--database")
            .arg(&db)
            .args(["manager", "add", "--name", "alex"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        add.stdin
            .take()
            .unwrap()
            .write_all(b"booth-manager-2026\n")
            .unwrap();
        assert!(add.wait().unwrap().success());
        let mut child = std::process::Command::new(&bin)
            .arg("--database")
            .arg(&db)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        Server {
            child,
            url,
            db,
            bin,
        }
    }

    /// A one-time enrollment code for a till named `name`.
    pub fn code(&self, name: &str) -> String {
        let out = std::process::Command::new(&self.bin)
            .arg("--database")
            .arg(&self.db)
            .args(["device", "add", "--name", name])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    }
}
