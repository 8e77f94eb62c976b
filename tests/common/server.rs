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

    /// A one-time enrollment code for a till named `name`.
    pub fn code(&self, name: &str) -> String {
        self.db.new_code(name)
    }
}
