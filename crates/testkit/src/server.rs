//! A real `fairtill-server` process and its database.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use uuid::Uuid;

use crate::pg_base;

/// The password of the manager accounts the suites make.
pub const MANAGER_PASSWORD: &str = "booth-manager-2026";

/// The server binary, beside the running test (`cargo test --workspace` builds it, since the
/// server's own tests need it). A run of one other crate alone builds it if missing (after
/// changing the server, run `cargo build -p fairtill-server` first: building it here each
/// time would use that crate's feature set and undo the workspace build).
pub fn server_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("fairtill-server");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "fairtill-server",
                "--bin",
                "fairtill-server",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "building fairtill-server failed");
    }
    bin
}

/// Which backend a test database is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An embedded SQLite file in a temporary folder.
    Sqlite,
    /// A new database on the test PostgreSQL server ([`pg_base`]).
    Postgres,
}

/// A fresh, empty server database, removed when dropped.
pub struct Db {
    /// What `--database` is given.
    pub spec: String,
    /// Its backend.
    pub kind: Kind,
    dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn pg_admin(sql: String) {
    // The synchronous client runs its own runtime: keep it off the caller's async threads.
    std::thread::spawn(move || {
        let mut client =
            postgres::Client::connect(&format!("{}/postgres", pg_base()), postgres::NoTls)
                .expect("PostgreSQL must be running on 127.0.0.1:5432 (scripts/test.sh starts it)");
        client.batch_execute(&sql).unwrap();
    })
    .join()
    .unwrap();
}

impl Db {
    /// A new database on `kind`.
    pub fn new(kind: Kind) -> Db {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let spec = dir.path().join("server.db").to_string_lossy().into_owned();
                Db {
                    spec,
                    kind,
                    dir: Some(dir),
                    pg_name: None,
                }
            }
            Kind::Postgres => {
                let name = format!("fairtill_test_{}", Uuid::now_v7().simple());
                pg_admin(format!("CREATE DATABASE {name}"));
                Db {
                    spec: format!("{}/{name}", pg_base()),
                    kind,
                    dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// An SQLite database at `path` (kept by the caller).
    pub fn at(path: &Path) -> Db {
        Db {
            spec: path.to_string_lossy().into_owned(),
            kind: Kind::Sqlite,
            dir: None,
            pg_name: None,
        }
    }

    /// The folder of an SQLite database made by [`Db::new`].
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    /// A one-time enrollment code for a till named `name`.
    pub fn new_code(&self, name: &str) -> String {
        let out = cli(self, &["device", "add", "--name", name], "");
        out.lines()
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    }

    /// Adds the manager account `name` with [`MANAGER_PASSWORD`].
    pub fn add_manager(&self, name: &str) {
        cli(
            self,
            &["manager", "add", "--name", name],
            &format!("{MANAGER_PASSWORD}\n"),
        );
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            pg_admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs the server's command line on `db` with `input` on its standard input; its output.
pub fn cli(db: &Db, args: &[&str], input: &str) -> String {
    let mut child = Command::new(server_bin())
        .arg("--database")
        .arg(&db.spec)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A real `fairtill-server` on a loopback port; stopped when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Where it answers, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Serves `db` on any free loopback port.
    pub fn start(db: &Db) -> Server {
        Server::start_with(db, "127.0.0.1:0", Stdio::inherit(), &[])
    }

    /// Serves `db` at `bind` (`127.0.0.1:0` for any port), its log to `stderr`, with `env` set.
    /// The log has warnings only unless `env` or the test's own `RUST_LOG` says otherwise (a
    /// line per request would bury the test's output).
    pub fn start_with(db: &Db, bind: &str, stderr: Stdio, env: &[(&str, &str)]) -> Server {
        let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        let mut child = Command::new(server_bin())
            .arg("--database")
            .arg(&db.spec)
            .args(["serve", "--bind", bind])
            .env("RUST_LOG", level)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Server { child, url }
    }
}
