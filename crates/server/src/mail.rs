//! The server's mailer: sends the messages queued for customers (a declined payment's notice
//! with the update-your-card link; a receipt with its HTML part and PDF) over SMTP, with
//! `lettre`.
//!
//! A [`Mailer`] runs beside the API in every server process that has a mail server set up. Each
//! look takes the due messages by a lease (`storage::notifications`), sends each, and records
//! it sent, to retry later (the wait doubling from `retry`, at most an hour), or failed (an
//! address or a message the mail server refuses for good, or [`MAX_TRIES`] tries). Every
//! message carries its queue id as `Message-ID`, so the one duplicate a process killed
//! mid-send can cause is recognisable as the same message.

use std::sync::Arc;
use std::time::Duration;

use fairtill_core::{SignedDuration, Timestamp};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::storage::{MailOutcome, OutgoingMail, Storage};

/// Tries before a message is given up.
pub const MAX_TRIES: u32 = 10;

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpSecurity {
    /// STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// None: only for a mail server on this machine or a test.
    None,
}

/// The mail server and the sender.
#[derive(Clone)]
pub struct MailConfig {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Security.
    pub security: SmtpSecurity,
    /// User name and password, if it asks for them.
    pub credentials: Option<(String, String)>,
    /// Who the messages are from.
    pub from: Mailbox,
    /// The wait before the second try; it doubles with each one.
    pub retry: Duration,
    /// How often to look for due messages.
    pub poll: Duration,
    /// The operator's logo (PNG), shown in HTML messages (`cid:logo`).
    pub logo: Option<Vec<u8>>,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("MailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Why the mailer could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("the mail server settings are not usable: {0}")]
pub struct MailSetupError(String);

/// The mailer of one server process.
pub struct Mailer {
    storage: Storage,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: MailConfig,
    now: fn() -> Timestamp,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn later(now: Timestamp, wait: Duration) -> Timestamp {
    now.saturating_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX))
        .unwrap_or(now)
}

impl Mailer {
    /// A mailer sending through `config`'s server.
    pub fn new(
        storage: Storage,
        config: MailConfig,
        now: fn() -> Timestamp,
    ) -> Result<Arc<Mailer>, MailSetupError> {
        let builder = match config.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| MailSetupError(e.to_string()))?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| MailSetupError(e.to_string()))?,
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Arc::new(Mailer {
            storage,
            transport: builder.build(),
            config,
            now,
        }))
    }

    /// Runs until the process ends: a look every poll interval.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match me.run_due().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "looking for messages to send failed"),
                }
                tokio::time::sleep(me.config.poll).await;
            }
        })
    }

    /// Sends every message due now; how many it tried.
    pub async fn run_due(&self) -> Result<usize, crate::storage::StorageError> {
        let now = (self.now)();
        // Longer than the transport's timeout: a slow send is not overtaken by a second.
        let lease = later(now, Duration::from_secs(120));
        let due = self.storage.take_mail(now, lease, 20).await?;
        let tried = due.len();
        for mail in due {
            let id = mail.id;
            let outcome = self.send(&mail).await;
            match &outcome {
                MailOutcome::Sent => tracing::info!(%id, "message sent"),
                MailOutcome::Retry { error, .. } => {
                    tracing::info!(%id, %error, "message not sent; trying again later");
                }
                MailOutcome::Failed { error } => tracing::warn!(%id, %error, "message given up"),
            }
            self.storage.mail_done(id, outcome, (self.now)()).await?;
        }
        Ok(tried)
    }

    async fn send(&self, mail: &OutgoingMail) -> MailOutcome {
        let to: Mailbox = match mail.to.parse() {
            Ok(to) => to,
            Err(e) => {
                return MailOutcome::Failed {
                    error: format!("{:?} is not an email address ({e})", mail.to),
                }
            }
        };
        let builder = Message::builder()
            .from(self.config.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@fairtill>", mail.id)));
        let message = match (&mail.html, &mail.attachment) {
            (None, None) => builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body.clone()),
            (html, attachment) => {
                let text = SinglePart::plain(mail.body.clone());
                let body = match html {
                    Some(html) => {
                        let html_part = SinglePart::html(html.clone());
                        let html_part = match &self.config.logo {
                            Some(logo) if html.contains("cid:logo") => {
                                MultiPart::related().singlepart(html_part).singlepart(
                                    Attachment::new_inline("logo".into()).body(
                                        logo.clone(),
                                        ContentType::parse("image/png")
                                            .unwrap_or(ContentType::TEXT_PLAIN),
                                    ),
                                )
                            }
                            _ => MultiPart::related().singlepart(html_part),
                        };
                        MultiPart::alternative()
                            .singlepart(text)
                            .multipart(html_part)
                    }
                    None => MultiPart::mixed().singlepart(text),
                };
                let whole = match attachment {
                    Some((name, bytes)) => MultiPart::mixed().multipart(body).singlepart(
                        Attachment::new(name.clone()).body(
                            bytes.clone(),
                            ContentType::parse("application/pdf")
                                .unwrap_or(ContentType::TEXT_PLAIN),
                        ),
                    ),
                    None => body,
                };
                builder.multipart(whole)
            }
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return MailOutcome::Failed {
                    error: format!("the message could not be made: {e}"),
                }
            }
        };
        match self.transport.send(message).await {
            Ok(_) => MailOutcome::Sent,
            Err(e) if e.is_permanent() => MailOutcome::Failed {
                error: format!("the mail server refused it: {e}"),
            },
            Err(e) if mail.attempts >= MAX_TRIES => MailOutcome::Failed {
                error: format!("not sent after {MAX_TRIES} tries: {e}"),
            },
            Err(e) => {
                let wait = self
                    .config
                    .retry
                    .saturating_mul(2u32.saturating_pow(mail.attempts.saturating_sub(1).min(12)))
                    .min(Duration::from_secs(3600));
                MailOutcome::Retry {
                    error: format!("the mail server could not be reached: {e}"),
                    retry_at: later((self.now)(), wait),
                }
            }
        }
    }
}
