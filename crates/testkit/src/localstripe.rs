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

impl Localstripe {
    fn http() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    /// One object, by its path (`/v1/payment_intents/pi_…`).
    pub async fn get(&self, path: &str) -> serde_json::Value {
        Self::http()
            .get(format!("{}{path}", self.url))
            .bearer_auth(TEST_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every object of a list endpoint (`/v1/payment_intents`, `/v1/refunds`, …), page by page.
    pub async fn all(&self, path: &str) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut url = format!("{}{path}?limit=100", self.url);
            if let Some(a) = &after {
                url.push_str(&format!("&starting_after={a}"));
            }
            let page = self.get(&url[self.url.len()..]).await;
            let data = page["data"].as_array().unwrap().clone();
            let last = data
                .last()
                .and_then(|o| o["id"].as_str())
                .map(str::to_string);
            out.extend(data);
            match (page["has_more"].as_bool(), last) {
                (Some(true), Some(last)) => after = Some(last),
                _ => return out,
            }
        }
    }

    /// The objects of a list endpoint made for ledger transaction `tx` (by Fairtill's
    /// `metadata[fairtill_tx]`): what the processor holds for it.
    pub async fn made_for(&self, path: &str, tx: impl std::fmt::Display) -> Vec<serde_json::Value> {
        let tx = tx.to_string();
        self.all(path)
            .await
            .into_iter()
            .filter(|o| o["metadata"]["fairtill_tx"] == tx.as_str())
            .collect()
    }

    /// What the processor's card form (Stripe.js; localstripe's copy posts exactly this) does
    /// with the card a customer types: confirms the setup whose client secret it was given,
    /// completing 3-D Secure when the card asks for it. The setup as it ends.
    pub async fn fill_card_form(&self, client_secret: &str, number: &str) -> serde_json::Value {
        let setup = client_secret.split("_secret_").next().unwrap();
        let confirm = format!("{}/v1/setup_intents/{setup}/confirm", self.url);
        let post = |body: serde_json::Value| {
            let confirm = confirm.clone();
            async move {
                Self::http()
                    .post(confirm)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            }
        };
        let answer = post(serde_json::json!({
            "key": "pk_test_fairtill",
            "use_stripe_sdk": true,
            "client_secret": client_secret,
            "payment_method_data": {
                "type": "card",
                "card": { "number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123" },
                "billing_details": { "address": { "postal_code": "10115" } }
            }
        }))
        .await;
        if answer["status"] != "requires_action" {
            return answer;
        }
        // The 3-D Secure window: the customer completes it.
        post(serde_json::json!({
            "key": "pk_test_fairtill", "use_stripe_sdk": true, "client_secret": client_secret
        }))
        .await
    }
}
