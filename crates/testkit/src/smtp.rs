//! aiosmtpd (PyPI), a real SMTP server, on a loopback port, storing what it receives in a
//! Maildir (its `Mailbox` handler): the mail server the tests send through. `scripts/test.sh`
//! installs it in the test virtual environment beside localstripe.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A message as it arrived: its headers and decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `To`.
    pub to: String,
    /// `From`.
    pub from: String,
    /// `Subject`.
    pub subject: String,
    /// `Message-ID`.
    pub message_id: String,
    /// The plain text, decoded.
    pub text: String,
    /// The HTML part, decoded, if any.
    pub html: Option<String>,
    /// Attachments: file name and bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Walks a message's parts: the first plain text, the first HTML, every attachment.
fn parts(
    part: &mailparse::ParsedMail<'_>,
    text: &mut Option<String>,
    html: &mut Option<String>,
    attachments: &mut Vec<(String, Vec<u8>)>,
) {
    if !part.subparts.is_empty() {
        for p in &part.subparts {
            parts(p, text, html, attachments);
        }
        return;
    }
    let disposition = part.get_content_disposition();
    if disposition.disposition == mailparse::DispositionType::Attachment {
        let name = disposition
            .params
            .get("filename")
            .cloned()
            .unwrap_or_default();
        attachments.push((name, part.get_body_raw().unwrap()));
        return;
    }
    match part.ctype.mimetype.as_str() {
        "text/plain" if text.is_none() => *text = Some(part.get_body().unwrap()),
        "text/html" if html.is_none() => *html = Some(part.get_body().unwrap()),
        _ => {}
    }
}

/// A running aiosmtpd; stopped when dropped (its Maildir stays until the value is dropped).
pub struct Smtp {
    child: Child,
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// The test venv's Python (beside `localstripe` on `PATH`), else `python3`.
pub(crate) fn python() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("localstripe"))
        .find(|p| p.exists())
        .and_then(|b| b.parent().map(|d| d.join("python")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| "python3".into())
}

impl Smtp {
    /// Starts one on a free port.
    pub fn start() -> Smtp {
        Smtp::start_on(free_port())
    }

    /// Starts one on `port` and waits until it answers.
    pub fn start_on(port: u16) -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let python = python();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} could not start aiosmtpd ({e}): scripts/test.sh installs it",
                    python.display()
                )
            });
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp { child, port, dir }
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail").join(sub)) {
                files.extend(entries.flatten().map(|e| e.path()));
            }
        }
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| {
                let raw = std::fs::read(p).unwrap();
                let mail = mailparse::parse_mail(&raw).unwrap();
                let header = |name: &str| {
                    mailparse::MailHeaderMap::get_first_value(mail.headers.as_slice(), name)
                        .unwrap_or_default()
                };
                let (mut text, mut html, mut attachments) = (None, None, Vec::new());
                parts(&mail, &mut text, &mut html, &mut attachments);
                Received {
                    to: header("To"),
                    from: header("From"),
                    subject: header("Subject"),
                    message_id: header("Message-ID"),
                    text: text.unwrap_or_default(),
                    html,
                    attachments,
                }
            })
            .collect()
    }

    /// Waits until `n` messages have arrived (for up to 20 s); all of them.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} messages arrived, not {n}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
