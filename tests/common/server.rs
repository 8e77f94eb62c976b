//! A real `fairtill-server` process for the app's tests (started through fairtill-testkit).

use fairtill_testkit::Db;

/// A real `fairtill-server` on a loopback port with the manager account "alex"
/// ([`fairtill_testkit::MANAGER_PASSWORD`]), its database in the test's folder; stopped when
/// dropped.
pub struct Server {
    process: fairtill_testkit::Server,
    /// Where it answers, `http://127.0.0.1:<port>`.
    pub url: String,
    db: Db,
}

impl Server {
    pub fn start(dir: &std::path::Path) -> Server {
        let db = Db::at(&dir.join("server.db"));
        db.add_manager("alex");
        let process = fairtill_testkit::Server::start(&db);
        Server {
            url: process.url.clone(),
            process,
            db,
        }
    }

    /// Serves the database in `dir` at `bind` (`127.0.0.1:0` for any port) with `env` set
    /// (a card processor's settings, say), logging to `dir/server.log`; the manager is added
    /// the first time.
    pub fn start_with(dir: &std::path::Path, bind: &str, env: &[(&str, &str)]) -> Server {
        let path = dir.join("server.db");
        let first = !path.exists();
        let db = Db::at(&path);
        if first {
            db.add_manager("alex");
        }
        // Its log (everything from info up) goes to `server.log` beside the database, where a
        // test can read it.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let mut env = env.to_vec();
        env.push(("RUST_LOG", "info"));
        let process =
            fairtill_testkit::Server::start_with(&db, bind, std::process::Stdio::from(log), &env);
        Server {
            url: process.url.clone(),
            process,
            db,
        }
    }

    /// Serves the database in `dir` at `bind`, charging through localstripe at `ls` (its card
    /// form too, and a look at what waits every second), with `extra` set as well.
    pub fn charging(
        dir: &std::path::Path,
        bind: &str,
        ls: &fairtill_testkit::Localstripe,
        extra: &[(&str, &str)],
    ) -> Server {
        let js = format!("{}/js.stripe.com/v3/", ls.url);
        let mut env = vec![
            ("FAIRTILL_STRIPE_SECRET_KEY", fairtill_testkit::TEST_KEY),
            ("FAIRTILL_STRIPE_API", ls.url.as_str()),
            ("FAIRTILL_STRIPE_PUBLISHABLE_KEY", "pk_test_fairtill"),
            ("FAIRTILL_STRIPE_JS", js.as_str()),
            ("FAIRTILL_PROCESSOR_POLL_SECS", "1"),
        ];
        env.extend_from_slice(extra);
        Server::start_with(dir, bind, &env)
    }

    /// A one-time enrollment code for a till named `name`.
    pub fn code(&self, name: &str) -> String {
        self.db.new_code(name)
    }
}
