//! The real app window for end-to-end tests: a private Xvfb display, tauri-driver and
//! WebKitWebDriver, driven with fantoccini the way a person uses the till.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub const WAIT: Duration = Duration::from_secs(15);

/// A child process (and its own children) killed when dropped: tauri-driver starts
/// WebKitWebDriver, which starts the app, so each runs in its own process group.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A command in a new process group, so `Killed` can stop everything it started.
pub fn grouped(program: impl AsRef<std::ffi::OsStr>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(program);
    c.process_group(0);
    c
}

/// Says which step the test is at (shown with --nocapture, and in CI's log on failure).
pub fn step(what: &str) {
    eprintln!("[e2e] {what}");
}

/// Each UI operation, when `FAIRTILL_E2E_TRACE` is set.
pub fn trace(what: &str) {
    if std::env::var_os("FAIRTILL_E2E_TRACE").is_some() {
        eprintln!("[e2e]   {what}");
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn tauri_driver() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let installed = home.join("bin/tauri-driver");
    if installed.exists() {
        return installed;
    }
    let on_path = Command::new("which").arg("tauri-driver").output().unwrap();
    assert!(
        on_path.status.success(),
        "tauri-driver is not installed: run `cargo install tauri-driver --locked` (scripts/setup-system.sh test does)"
    );
    PathBuf::from(String::from_utf8(on_path.stdout).unwrap().trim())
}

/// A private X display (`Xvfb`, 1280×800) at `display`, stopped when dropped.
pub fn xvfb(display: &str) -> Killed {
    Killed(
        grouped("Xvfb")
            .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed (scripts/setup-system.sh test installs it)"),
    )
}

/// Runs a window test, failing it instead of hanging CI when the window gets stuck: after 7
/// minutes, or `FAIRTILL_E2E_LIMIT` seconds.
pub async fn within_limit(test: impl std::future::Future<Output = ()>) {
    let limit = std::env::var("FAIRTILL_E2E_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(420);
    tokio::time::timeout(Duration::from_secs(limit), test)
        .await
        .unwrap_or_else(|_| panic!("the end-to-end run took over {limit} s"));
}

pub fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// The display, the driver and the open session with the app.
pub struct Session {
    _xvfb: Killed,
    _driver: Killed,
    port: u16,
    c: Client,
}

/// The app program tauri-driver starts, with its arguments.
#[derive(Clone)]
pub struct App {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl App {
    /// The app this build made, on the database at `db`.
    pub fn built(db: &Path) -> App {
        App {
            program: PathBuf::from(env!("CARGO_BIN_EXE_fairtill-app")),
            args: vec!["--db".into(), db.to_string_lossy().into_owned()],
        }
    }
}

impl Session {
    pub async fn start(db: &Path) -> Session {
        Session::start_app(&App::built(db)).await
    }

    /// Opens `app` (this build's, or an installed one) in a fresh display.
    pub async fn start_app(app: &App) -> Session {
        let display = format!(":{}", 20 + free_port() % 60);
        let xvfb = xvfb(&display);
        step(&format!("display {display}"));
        let port = free_port();
        let native = free_port();
        let driver = Killed(
            grouped(tauri_driver())
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .env("DISPLAY", &display)
                .env("GDK_BACKEND", "x11")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let c = Session::connect(port, app).await;
        Session {
            _xvfb: xvfb,
            _driver: driver,
            port,
            c,
        }
    }

    pub async fn connect(port: u16, app: &App) -> Client {
        let mut caps = serde_json::Map::new();
        // The app never navigates: WebKitWebDriver must not wait for a page load before
        // each command.
        caps.insert("pageLoadStrategy".into(), json!("none"));
        caps.insert(
            "tauri:options".into(),
            json!({"application": app.program, "args": app.args}),
        );
        let started = Instant::now();
        loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => {
                    // WebKitWebDriver waits for any navigation it believes pending before each
                    // command; the app never navigates, so do not let such a wait last.
                    c.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                        Some(Duration::from_secs(5)),
                        Some(Duration::from_secs(2)),
                        Some(Duration::ZERO),
                    ))
                    .await
                    .unwrap();
                    step(&format!(
                        "session {:?} on port {port}",
                        c.session_id().await
                    ));
                    // The page may still be loading its first document: WebKitWebDriver then
                    // answers a lookup with an error ("not called before the unload event")
                    // rather than waiting, so look again until the Sell tab is there.
                    let loaded = Instant::now();
                    while c
                        .find(Locator::Css("[data-testid=nav-sell]"))
                        .await
                        .is_err()
                    {
                        if loaded.elapsed() > WAIT {
                            Ui { c: c.clone() }
                                .fail("the app's Sell tab did not appear".into())
                                .await;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    return c;
                }
                Err(e) if started.elapsed() < Duration::from_secs(60) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(e) => panic!("could not open the app through tauri-driver: {e}"),
            }
        }
    }

    /// Closes the app and opens it again on the same database.
    pub async fn restart(&mut self, db: &Path) {
        self.c.clone().close().await.unwrap();
        self.c = Session::connect(self.port, &App::built(db)).await;
    }

    pub fn ui(&self) -> Ui {
        Ui { c: self.c.clone() }
    }
}

pub struct Ui {
    /// The WebDriver session, for what the helpers below do not cover.
    pub c: Client,
}

impl Ui {
    pub async fn el(&self, css: &str) -> fantoccini::elements::Element {
        trace(&format!("find {css}"));
        match self
            .c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => self.fail(format!("{css} did not appear: {e}")).await,
        }
    }

    pub async fn click(&self, css: &str) {
        trace(&format!("click {css}"));
        self.el(css).await.click().await.unwrap();
    }

    /// Presses keys on whatever has the keyboard focus, as a person at the till does.
    pub async fn keys(&self, text: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        trace(&format!("keys {text:?}"));
        let mut actions = KeyActions::new("keyboard".into());
        for c in text.chars() {
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        if let Err(e) = self.c.perform_actions(actions).await {
            self.fail(format!("keys {text:?} were not taken: {e}"))
                .await;
        }
        let _ = self.c.release_actions().await;
    }

    /// Taps the element with a finger: a WebDriver touch pointer, down and up on its centre
    /// (the page sees touch events, and the click they make).
    pub async fn tap(&self, css: &str) {
        use fantoccini::actions::{InputSource, PointerAction, TouchActions};
        trace(&format!("tap {css}"));
        let element = self.el(css).await;
        // A pointer reaches only what is on the screen: bring the element there, as a finger
        // scrolls to it.
        let arg = serde_json::to_value(&element).unwrap();
        let _ = self
            .c
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await;
        let touch = TouchActions::new("finger".into())
            .then(PointerAction::MoveToElement {
                element,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::Up { button: 0 });
        if let Err(e) = self.c.perform_actions(touch).await {
            self.fail(format!("tap on {css} was not taken: {e}")).await;
        }
        let _ = self.c.release_actions().await;
    }

    /// Presses `k` while holding `modifier` (Alt+S), on whatever has the keyboard focus.
    pub async fn chord(&self, modifier: Key, k: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        trace(&format!("chord {k:?}"));
        let m = char::from(modifier);
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: m })
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k })
            .then(KeyAction::Up { value: m });
        if let Err(e) = self.c.perform_actions(actions).await {
            self.fail(format!("chord {k:?} was not taken: {e}")).await;
        }
        let _ = self.c.release_actions().await;
    }

    pub async fn set(&self, css: &str, value: &str) {
        let e = self.el(css).await;
        if let Err(err) = e.clear().await {
            self.fail(format!("{css} cannot be cleared: {err}")).await;
        }
        if let Err(err) = e.send_keys(value).await {
            self.fail(format!("{css} cannot be typed in: {err}")).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.el(css).await.text().await.unwrap()
    }

    /// Saves what the window shows to `target/e2e-failure.png`, then fails with `message`.
    pub async fn fail(&self, message: String) -> ! {
        eprintln!("[e2e] FAILED: {message}");
        if let Ok(Ok(png)) = tokio::time::timeout(WAIT, self.c.screenshot()).await {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-failure.png");
            let _ = std::fs::write(&path, png);
        }
        panic!("{message} (the window is in target/e2e-failure.png)");
    }

    /// Waits until the element's text contains `words`.
    pub async fn wait_text(&self, css: &str, words: &str) -> String {
        trace(&format!("wait for {words:?} in {css}"));
        let started = Instant::now();
        let mut seen = None;
        while started.elapsed() < WAIT {
            trace(&format!("  look for {css} at {:?}", started.elapsed()));
            let found = tokio::time::timeout(WAIT, self.c.find(Locator::Css(css))).await;
            match found {
                Err(_) => self.fail(format!("finding {css} hung")).await,
                Ok(Ok(e)) => match tokio::time::timeout(WAIT, e.text()).await {
                    Err(_) => self.fail(format!("reading {css} hung")).await,
                    Ok(Ok(t)) if t.contains(words) => return t,
                    Ok(Ok(t)) => seen = Some(t),
                    Ok(Err(_)) => {}
                },
                Ok(Err(_)) => {}
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        match seen {
            Some(t) => self.fail(format!("{css} says {t:?}, not {words:?}")).await,
            None => self.fail(format!("{css} never showed {words:?}")).await,
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.c.find_all(Locator::Css(css)).await.unwrap().len()
    }

    pub async fn wait_count(&self, css: &str, n: usize) {
        let started = Instant::now();
        while self.count(css).await != n {
            if started.elapsed() > WAIT {
                self.fail(format!("{css}: never {n} of them")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot as `name.png`: into `docs/screenshots/` when asked for with
    /// `FAIRTILL_SCREENSHOTS=1` (to commit them), else beside the build (`target/tmp/screenshots/`),
    /// so a test run leaves the checkout as it was.
    pub async fn shot(&self, name: &str) {
        // Let the screen settle (fonts, the last re-render) before the picture.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = self.c.screenshot().await.unwrap();
        let dir = if std::env::var_os("FAIRTILL_SCREENSHOTS").is_some() {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
        } else {
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
        };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Clicks the first list row whose text contains `words`.
    pub async fn open_row(&self, words: &str) {
        let started = Instant::now();
        loop {
            for row in self
                .c
                .find_all(Locator::Css("[data-testid=tx-row]"))
                .await
                .unwrap()
            {
                if row.text().await.unwrap().contains(words) {
                    let cell = row.find(Locator::Css("td")).await.unwrap();
                    if let Err(e) = cell.click().await {
                        self.fail(format!("row {words:?} cannot be clicked: {e}"))
                            .await;
                    }
                    self.el("[data-testid=order-status]").await;
                    return;
                }
            }
            assert!(started.elapsed() < WAIT, "no row with {words:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Signs `staff` on at Event & till (F4).
    pub async fn sign_on(&self, staff: &str) {
        self.keys(&key(Key::F4)).await;
        self.set("[data-testid=staff]", staff).await;
        self.click("[data-testid=till-form] button.secondary").await;
    }

    /// Imports the product file at `path` from Event & till; waits for `notice` ("Imported 6
    /// products").
    pub async fn import_products(&self, path: &Path, notice: &str) {
        self.set("[data-testid=import-path]", path.to_str().unwrap())
            .await;
        self.click("[data-testid=import]").await;
        self.wait_text("[data-testid=till-notice]", notice).await;
    }

    /// Connects the till to the server at `url` with a one-time `code` from Event & till;
    /// waits for the `name` the server knows it by.
    pub async fn connect_to_server(&self, url: &str, code: &str, name: &str) {
        self.set("#url", url).await;
        self.set("#code", code).await;
        self.click("[data-testid=sync-connect]").await;
        self.wait_text("body", name).await;
    }

    pub async fn action(&self, kind: &str) {
        self.click(&format!("[data-testid=action-{kind}]")).await;
        self.el("[data-testid=action-form]").await;
    }

    pub async fn confirm(&self) {
        self.click("[data-testid=action-confirm]").await;
    }
}

/// Clicks the first row of the manager's list whose text has both `first` and `second`.
pub async fn open_manager_row(ui: &Ui, first: &str, second: &str) {
    let started = std::time::Instant::now();
    loop {
        for row in
            ui.c.find_all(Locator::Css("[data-testid=tx-row]"))
                .await
                .unwrap()
        {
            let text = row.text().await.unwrap();
            if text.contains(first) && text.contains(second) {
                let cell = row.find(Locator::Css("td")).await.unwrap();
                cell.click().await.unwrap();
                ui.el("[data-testid=manager-order]").await;
                return;
            }
        }
        assert!(started.elapsed() < WAIT, "no row with {first} and {second}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
