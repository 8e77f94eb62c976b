//! `fairtill-server`: serve the sync and manager API; manage devices and manager accounts.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fairtill_server::api::{router, AppState, CardForm, ReceiptSettings};
use fairtill_server::auth;
use fairtill_server::charging::{Charging, ChargingConfig};
use fairtill_server::logging::{self, LogFormat};
use fairtill_server::mail::{MailConfig, Mailer, SmtpSecurity};
use fairtill_server::metrics::Metrics;
use fairtill_server::processor::stripe;
use fairtill_server::receipts::{templates::Templates, Seller};
use fairtill_server::storage::{FollowUpPolicy, Storage, Throttle};
use fairtill_server::webhooks;
use jiff::{SignedDuration, Timestamp};

/// Fairtill's central server.
#[derive(Debug, Parser)]
#[command(name = "fairtill-server", version)]
struct Cli {
    /// The database: a SQLite file path (the default, embedded), or a PostgreSQL URL
    /// (postgres://user@host:5432/dbname) that several server processes may share.
    #[arg(
        long,
        env = "FAIRTILL_SERVER_DB",
        global = true,
        default_value = "fairtill-server.db"
    )]
    database: String,
    /// How the log on standard error is written (its level comes from RUST_LOG).
    #[arg(
        long,
        env = "FAIRTILL_LOG_FORMAT",
        global = true,
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    command: Cmd,
}

// Parsed once at start and matched at once: the size of `Serve`'s settings costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the API (and its OpenAPI document at /openapi.json).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "FAIRTILL_BIND", default_value = "127.0.0.1:7780")]
        bind: SocketAddr,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, env = "FAIRTILL_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for --tls-cert.
        #[arg(long, env = "FAIRTILL_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Reverse proxies (IP addresses, comma-separated) whose `X-Forwarded-For` names the
        /// client, for the sign-in throttle and the audit log. Without it the connection's
        /// peer is the client.
        #[arg(long, env = "FAIRTILL_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The card processor (Stripe) the server charges cards on file through.
        #[command(flatten)]
        stripe: Box<StripeArgs>,
        /// The mail server the server sends customers' messages through.
        #[command(flatten)]
        mail: Box<MailArgs>,
        /// How webhooks to other systems are sent.
        #[command(flatten)]
        webhooks: WebhookArgs,
        /// Who sells, and the templates of receipts by email.
        #[command(flatten)]
        receipts: ReceiptArgs,
    },
    /// Manage devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Manage manager accounts.
    #[command(subcommand)]
    Manager(ManagerCmd),
    /// Back up the embedded database to a new file, while the server serves it (for
    /// PostgreSQL use pg_dump).
    Backup {
        /// The backup file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the embedded database with a backup. The server must be stopped; the database
    /// it replaces is kept beside it.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
}

/// Stripe's settings. The secret key is read from a file or the environment, never from the
/// command line (where other users of the machine could read it), and is never logged.
#[derive(Debug, clap::Args)]
struct StripeArgs {
    /// A file holding the Stripe secret key (`sk_test_…` or `sk_live_…`); or set
    /// FAIRTILL_STRIPE_SECRET_KEY. Without one, charges to cards on file wait.
    #[arg(long, env = "FAIRTILL_STRIPE_SECRET_KEY_FILE")]
    stripe_secret_key_file: Option<PathBuf>,
    /// Stripe's publishable key (`pk_…`), for the card form.
    #[arg(long, env = "FAIRTILL_STRIPE_PUBLISHABLE_KEY")]
    stripe_publishable_key: Option<String>,
    /// The signing secret of the server's Stripe webhook endpoint (`whsec_…`), from a file;
    /// or set FAIRTILL_STRIPE_WEBHOOK_SECRET.
    #[arg(long, env = "FAIRTILL_STRIPE_WEBHOOK_SECRET_FILE")]
    stripe_webhook_secret_file: Option<PathBuf>,
    /// Stripe's API address (an emulator's in tests).
    #[arg(
        long,
        env = "FAIRTILL_STRIPE_API",
        default_value = "https://api.stripe.com"
    )]
    stripe_api: String,
    /// Where the card form script (Stripe.js) is loaded from.
    #[arg(
        long,
        env = "FAIRTILL_STRIPE_JS",
        default_value = "https://js.stripe.com/v3/"
    )]
    stripe_js: String,
    /// Most requests a second sent to Stripe (default: 25 with a test key, 100 live).
    #[arg(long, env = "FAIRTILL_STRIPE_RATE")]
    stripe_rate: Option<u32>,
    /// Seconds between looks at what waits at the processor (offsite approval, pending
    /// refunds, a processor that could not be reached).
    #[arg(long, env = "FAIRTILL_PROCESSOR_POLL_SECS", default_value_t = 5)]
    processor_poll_secs: u64,
    /// Seconds a customer has to approve a payment offsite before it is abandoned.
    #[arg(long, env = "FAIRTILL_APPROVAL_SECS", default_value_t = 900)]
    approval_secs: u64,
    /// Seconds a server process holds a charge or refund it works on. Longer than any call to
    /// the processor takes; a process that dies holding one leaves it to another after this.
    #[arg(long, env = "FAIRTILL_PROCESSOR_LEASE_SECS", default_value_t = 120)]
    processor_lease_secs: u64,
    /// When a declined payment is tried again, counted from the first decline: times such as
    /// `1d` or `2h 30m`, comma-separated, in increasing order (Stripe's advice: 8 tries in 2
    /// weeks). Empty: declined payments are not retried.
    #[arg(
        long,
        env = "FAIRTILL_RETRY_SCHEDULE",
        default_value = "1d,3d,5d,7d,9d,11d,13d,14d"
    )]
    retry_schedule: String,
    /// The server's address as customers reach it, for the update-your-card link in messages
    /// (default: the address it listens on).
    #[arg(long, env = "FAIRTILL_PUBLIC_URL")]
    public_url: Option<String>,
}

/// The mail server (SMTP) for customers' messages. The password is read from a file or the
/// environment, never from the command line, and is never logged.
#[derive(Debug, clap::Args)]
struct MailArgs {
    /// The mail server's host name. Without one, messages wait in the queue.
    #[arg(long, env = "FAIRTILL_SMTP_HOST")]
    smtp_host: Option<String>,
    /// Its port (default: 587 with STARTTLS, 465 with TLS, 25 with none).
    #[arg(long, env = "FAIRTILL_SMTP_PORT")]
    smtp_port: Option<u16>,
    /// How the connection is secured.
    #[arg(
        long,
        env = "FAIRTILL_SMTP_SECURITY",
        value_enum,
        default_value = "starttls"
    )]
    smtp_security: SmtpSecurity,
    /// The user name, if the mail server asks for one (its password: FAIRTILL_SMTP_PASSWORD or
    /// --smtp-password-file).
    #[arg(long, env = "FAIRTILL_SMTP_USER")]
    smtp_user: Option<String>,
    /// A file holding the mail server's password.
    #[arg(long, env = "FAIRTILL_SMTP_PASSWORD_FILE")]
    smtp_password_file: Option<PathBuf>,
    /// Who messages are from, e.g. "Gallery Night <orders@example.org>".
    #[arg(long, env = "FAIRTILL_MAIL_FROM")]
    mail_from: Option<String>,
    /// Seconds before a message that could not be sent is tried again (doubling each time).
    #[arg(long, env = "FAIRTILL_MAIL_RETRY_SECS", default_value_t = 30)]
    mail_retry_secs: u64,
    /// Seconds between looks for messages to send.
    #[arg(long, env = "FAIRTILL_MAIL_POLL_SECS", default_value_t = 5)]
    mail_poll_secs: u64,
}

/// The seller every receipt names, and the operator's templates of receipt emails.
#[derive(Debug, clap::Args)]
struct ReceiptArgs {
    /// The business's name on receipts.
    #[arg(long, env = "FAIRTILL_SELLER_NAME", default_value = "Fairtill")]
    seller_name: String,
    /// Its address on receipts: lines separated by new lines or `|`.
    #[arg(long, env = "FAIRTILL_SELLER_ADDRESS", default_value = "")]
    seller_address: String,
    /// Its tax number (VAT id), if it has one.
    #[arg(long, env = "FAIRTILL_SELLER_TAX_ID")]
    seller_tax_id: Option<String>,
    /// A folder with the operator's own `receipt.subject`, `receipt.txt`, `receipt.html` (Jinja
    /// templates) and `logo.png`; Fairtill's defaults stand in for any that are missing. Each is
    /// checked when the server starts.
    #[arg(long, env = "FAIRTILL_MAIL_TEMPLATES")]
    mail_templates: Option<PathBuf>,
    /// The time zone receipts give their time in (an IANA name such as `Europe/Berlin`);
    /// UTC, said so on the receipt, when not set.
    #[arg(long, env = "FAIRTILL_TIME_ZONE")]
    time_zone: Option<String>,
}

/// The receipt settings, the templates checked.
fn receipt_settings(args: &ReceiptArgs) -> anyhow::Result<ReceiptSettings> {
    let templates = Templates::load(args.mail_templates.as_deref())
        .map_err(|e| anyhow::anyhow!("a receipt email template does not work: {e}"))?;
    let seller = Seller {
        name: args.seller_name.trim().to_string(),
        address: args
            .seller_address
            .split(['\n', '|'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        tax_id: args
            .seller_tax_id
            .as_ref()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
    };
    let zone = match args
        .time_zone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty())
    {
        None => jiff::tz::TimeZone::UTC,
        Some(name) => jiff::tz::TimeZone::get(name).map_err(|e| {
            anyhow::anyhow!(
                "FAIRTILL_TIME_ZONE {name:?} is not a time zone this machine knows ({e})"
            )
        })?,
    };
    Ok(ReceiptSettings {
        seller,
        templates,
        zone,
    })
}

/// How the webhooks managers register for are sent.
#[derive(Debug, clap::Args)]
struct WebhookArgs {
    /// The wait before each attempt after the first, comma-separated (Svix's schedule by
    /// default); when they are used up, a delivery fails.
    #[arg(long, env = "FAIRTILL_WEBHOOK_RETRY_SCHEDULE", default_value = webhooks::DEFAULT_RETRIES)]
    webhook_retry_schedule: String,
    /// Seconds a receiver has to answer.
    #[arg(long, env = "FAIRTILL_WEBHOOK_TIMEOUT_SECS", default_value_t = 15)]
    webhook_timeout_secs: u64,
}

/// The webhook deliverer.
fn deliverer(storage: &Storage, args: &WebhookArgs) -> anyhow::Result<Arc<webhooks::Deliverer>> {
    let retries = webhooks::parse_waits(&args.webhook_retry_schedule)
        .map_err(|e| anyhow::anyhow!("--webhook-retry-schedule: {e}"))?;
    let config = webhooks::WebhookConfig {
        retries,
        timeout: std::time::Duration::from_secs(args.webhook_timeout_secs.max(1)),
        ..webhooks::WebhookConfig::default()
    };
    webhooks::Deliverer::new(storage.clone(), config, Timestamp::now).map_err(anyhow::Error::msg)
}

/// The mailer, if a mail server is set up.
fn mailer(
    storage: &Storage,
    args: &MailArgs,
    logo: Option<Vec<u8>>,
) -> anyhow::Result<Option<Arc<Mailer>>> {
    let Some(host) = args
        .smtp_host
        .as_ref()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
    else {
        tracing::info!("no mail server set up: customers' messages wait in the queue");
        return Ok(None);
    };
    let from = args
        .mail_from
        .as_deref()
        .context("set FAIRTILL_MAIL_FROM (who messages are from) with the mail server")?;
    let from = from
        .parse()
        .map_err(|e| anyhow::anyhow!("FAIRTILL_MAIL_FROM {from:?} is not an address: {e}"))?;
    let password = secret(args.smtp_password_file.as_ref(), "FAIRTILL_SMTP_PASSWORD")?;
    let credentials = match (&args.smtp_user, password) {
        (Some(user), Some(password)) => Some((user.clone(), password)),
        (Some(_), None) => anyhow::bail!("FAIRTILL_SMTP_USER is set but no password is (FAIRTILL_SMTP_PASSWORD or --smtp-password-file)"),
        (None, _) => None,
    };
    let port = args.smtp_port.unwrap_or(match args.smtp_security {
        SmtpSecurity::Starttls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    });
    let config = MailConfig {
        host,
        port,
        security: args.smtp_security,
        credentials,
        from,
        retry: std::time::Duration::from_secs(args.mail_retry_secs.max(1)),
        poll: std::time::Duration::from_secs(args.mail_poll_secs.max(1)),
        logo,
    };
    tracing::info!(host = %config.host, port, security = ?config.security, "sending customers' messages by mail");
    Ok(Some(Mailer::new(storage.clone(), config, Timestamp::now)?))
}

/// A secret from a file (trimmed) or, failing that, from an environment variable.
fn secret(file: Option<&PathBuf>, var: &str) -> anyhow::Result<Option<String>> {
    let value = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the secret file {}", path.display()))?,
        ),
        None => std::env::var(var).ok(),
    };
    Ok(value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty()))
}

/// What the configured processor brings to the server; all empty without one.
#[derive(Default)]
struct ProcessorSetup {
    charging: Option<Arc<Charging>>,
    card_form: Option<CardForm>,
    webhook_secret: Option<String>,
}

/// The runner, card form and webhook secret of the configured processor, if any.
fn processor_setup(
    storage: &Storage,
    args: &StripeArgs,
    public_url: String,
) -> anyhow::Result<ProcessorSetup> {
    let Some(key) = secret(
        args.stripe_secret_key_file.as_ref(),
        "FAIRTILL_STRIPE_SECRET_KEY",
    )?
    else {
        tracing::info!("no card processor set up: charges to cards on file wait");
        return Ok(ProcessorSetup::default());
    };
    anyhow::ensure!(
        key.starts_with("sk_") || key.starts_with("rk_"),
        "the Stripe secret key must start with sk_ (or rk_ for a restricted key)"
    );
    let rate = args
        .stripe_rate
        .unwrap_or_else(|| stripe::default_rate(&key));
    let processor = stripe::Stripe::new(&args.stripe_api, &key)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_rate(rate);
    let retries = FollowUpPolicy::parse_retries(&args.retry_schedule)
        .map_err(|e| anyhow::anyhow!("--retry-schedule: {e}"))?;
    let config = ChargingConfig {
        follow_up: FollowUpPolicy {
            retries,
            public_url: args.public_url.clone().unwrap_or(public_url),
            ..FollowUpPolicy::default()
        },
        poll: std::time::Duration::from_secs(args.processor_poll_secs.max(1)),
        approval_limit: std::time::Duration::from_secs(args.approval_secs.max(1)),
        lease: std::time::Duration::from_secs(args.processor_lease_secs.max(1)),
        ..ChargingConfig::default()
    };
    let charging = Charging::new(storage.clone(), Arc::new(processor), config, Timestamp::now);
    let form = args.stripe_publishable_key.as_ref().map(|key| CardForm {
        publishable_key: key.trim().to_string(),
        script_url: args.stripe_js.clone(),
    });
    let webhook = secret(
        args.stripe_webhook_secret_file.as_ref(),
        "FAIRTILL_STRIPE_WEBHOOK_SECRET",
    )?;
    tracing::info!(api = %args.stripe_api, rate, test_mode = key.starts_with("sk_test_"), "charging through Stripe");
    Ok(ProcessorSetup {
        charging: Some(charging),
        card_form: form,
        webhook_secret: webhook,
    })
}

#[derive(Debug, Subcommand)]
enum DeviceCmd {
    /// Make a one-time enrollment code for a new device.
    Add {
        /// The device's name, e.g. "Booth 3".
        #[arg(long)]
        name: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
    },
    /// List devices.
    List,
    /// Revoke a device: its token stops working at once.
    Revoke {
        /// The device id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum ManagerCmd {
    /// Add a manager account. The password is asked for (or read from standard input).
    Add {
        /// The sign-in name.
        #[arg(long)]
        name: String,
    },
    /// List manager accounts.
    List,
    /// End every sign-in of a manager at once (a lost laptop): each of their tokens stops
    /// working on its next request.
    SignOut {
        /// The sign-in name.
        #[arg(long)]
        name: String,
    },
    /// Give a manager a new password (asked for, or read from standard input) and end every
    /// sign-in made with the old one.
    Password {
        /// The sign-in name.
        #[arg(long)]
        name: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (at least {} characters): ", auth::MIN_PASSWORD);
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match &cli.command {
        Cmd::Backup { to } => return backup(&cli.database, to),
        Cmd::Restore { from } => return restore(&cli.database, from),
        Cmd::Serve { .. } | Cmd::Device(_) | Cmd::Manager(_) => {}
    }
    let storage = Storage::open(&cli.database)
        .await
        .with_context(|| format!("cannot open the server database {}", cli.database))?;
    match cli.command {
        Cmd::Serve {
            bind,
            tls_cert,
            tls_key,
            trusted_proxies,
            stripe,
            mail,
            webhooks,
            receipts,
        } => {
            // Held for as long as the process runs: no restore replaces the database under it.
            let _serving = match storage.backend_name() {
                "sqlite" => Some(
                    fairtill_server::backup::hold_while_serving(std::path::Path::new(
                        &cli.database,
                    ))
                    .with_context(|| format!("cannot lock {}", cli.database))?,
                ),
                _ => None,
            };
            let receipts = Arc::new(receipt_settings(&receipts)?);
            let settings = Arc::clone(&receipts);
            let storage = storage.with_receipts(Arc::new(move |view| {
                fairtill_server::api::render_receipt(&settings, view)
            }));
            if let Some(m) = mailer(
                &storage,
                &mail,
                receipts.templates.logo().map(<[u8]>::to_vec),
            )? {
                m.spawn();
            }
            let deliverer = deliverer(&storage, &webhooks)?;
            deliverer.spawn();
            let scheme = if tls_cert.is_some() { "https" } else { "http" };
            let processor = processor_setup(&storage, &stripe, format!("{scheme}://{bind}"))?;
            if let Some(c) = &processor.charging {
                c.announce_to(Arc::clone(&deliverer));
                c.spawn();
            }
            let state = Arc::new(AppState {
                storage,
                charging: processor.charging,
                card_form: processor.card_form,
                webhook_secret: processor.webhook_secret,
                webhooks: Some(deliverer),
                receipts,
                now: Timestamp::now,
                throttle: Throttle::default(),
                trusted_proxies,
                metrics: Arc::new(Metrics::new()),
            });
            let app = router(state);
            match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => {
                    let _ = rustls::crypto::ring::default_provider().install_default();
                    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                        .await
                        .with_context(|| {
                            format!(
                                "cannot read the TLS certificate {} and key {}",
                                cert.display(),
                                key.display()
                            )
                        })?;
                    let listener = std::net::TcpListener::bind(bind)
                        .with_context(|| format!("cannot listen on {bind}"))?;
                    listener.set_nonblocking(true)?;
                    let addr = listener.local_addr()?;
                    // The line on standard output is what scripts and tests wait for.
                    println!("fairtill-server listening on https://{addr}");
                    tracing::info!(%addr, tls = true, "listening");
                    let handle = axum_server::Handle::new();
                    let stopper = handle.clone();
                    tokio::spawn(async move {
                        shutdown().await;
                        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                    });
                    axum_server::from_tcp_rustls(listener, config)?
                        .handle(handle)
                        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                        .await?;
                }
                _ => {
                    let listener = tokio::net::TcpListener::bind(bind)
                        .await
                        .with_context(|| format!("cannot listen on {bind}"))?;
                    let addr = listener.local_addr()?;
                    println!("fairtill-server listening on http://{addr}");
                    tracing::info!(%addr, tls = false, "listening");
                    axum::serve(
                        listener,
                        app.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .with_graceful_shutdown(shutdown())
                    .await?;
                }
            }
        }
        Cmd::Device(DeviceCmd::Add { name, valid_hours }) => {
            let name = name.trim().to_string();
            anyhow::ensure!(
                !name.is_empty(),
                "give the device a name, e.g. --name \"Booth 3\""
            );
            anyhow::ensure!(
                (1..=24 * 30).contains(&valid_hours),
                "--valid-hours must be between 1 and 720"
            );
            let code = auth::new_code();
            let now = Timestamp::now();
            let expires = now.checked_add(SignedDuration::from_hours(valid_hours))?;
            storage
                .add_enrollment(
                    name.clone(),
                    auth::hash(&auth::normalize_code(&code)),
                    now,
                    expires,
                )
                .await?;
            println!("enrollment code for {name:?}: {code}");
            println!("valid until {expires}; enter it once in the device's settings with this server's address");
        }
        Cmd::Device(DeviceCmd::List) => {
            for d in storage.devices().await? {
                let state = match (d.revoked_at, d.last_push_at) {
                    (Some(r), _) => format!("revoked {r}"),
                    (None, Some(p)) => format!("last push {p}"),
                    (None, None) => "never pushed".into(),
                };
                println!("{}  {:<20} {:<6} {}", d.id, d.name, d.code, state);
            }
        }
        Cmd::Device(DeviceCmd::Revoke { id }) => {
            let device = id
                .parse()
                .map_err(|_| anyhow::anyhow!("{id:?} is not a device id (see `device list`)"))?;
            if storage.revoke(device, Timestamp::now()).await? {
                println!("revoked {id}");
            } else {
                println!("{id} was already revoked");
            }
        }
        Cmd::Manager(ManagerCmd::Add { name }) => {
            let name = name.trim().to_string();
            anyhow::ensure!(
                !name.is_empty(),
                "give the manager a sign-in name, e.g. --name alex"
            );
            let password = read_password()?;
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
                .await?
                .map_err(anyhow::Error::msg)?;
            storage
                .add_manager(name.clone(), hash, Timestamp::now())
                .await?;
            println!("manager {name:?} added; sign in with this name and password");
        }
        Cmd::Manager(ManagerCmd::List) => {
            for m in storage.managers().await? {
                println!("{:<24} added {}", m.name, m.created_at);
            }
        }
        Cmd::Manager(ManagerCmd::SignOut { name }) => {
            let ended = storage
                .sign_out_everywhere(name.trim().to_string(), None, Timestamp::now())
                .await?;
            println!("{ended} sign-ins of {name:?} ended");
        }
        Cmd::Manager(ManagerCmd::Password { name }) => {
            let password = read_password()?;
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
                .await?
                .map_err(anyhow::Error::msg)?;
            let ended = storage
                .sign_out_everywhere(name.trim().to_string(), Some(hash), Timestamp::now())
                .await?;
            println!("new password for {name:?} set; {ended} sign-ins ended");
        }
        Cmd::Backup { .. } | Cmd::Restore { .. } => {}
    }
    Ok(())
}

/// The embedded database's path, or why there is none.
fn sqlite_path(database: &str, what: &str) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        !(database.starts_with("postgres://") || database.starts_with("postgresql://")),
        "{what} is for the embedded database; for PostgreSQL use pg_dump and pg_restore (see the README)"
    );
    Ok(PathBuf::from(database))
}

fn backup(database: &str, to: &std::path::Path) -> anyhow::Result<()> {
    let path = sqlite_path(database, "backup")?;
    let s = fairtill_server::backup::backup(&path, to)?;
    println!(
        "backed up {} to {}: schema version {}, {} records, {} bytes",
        path.display(),
        to.display(),
        s.schema_version,
        s.records,
        s.bytes
    );
    Ok(())
}

fn restore(database: &str, from: &std::path::Path) -> anyhow::Result<()> {
    let path = sqlite_path(database, "restore")?;
    let r = fairtill_server::backup::restore(from, &path, Timestamp::now())?;
    println!(
        "restored {} from {}: schema version {}, {} records",
        path.display(),
        from.display(),
        r.summary.schema_version,
        r.summary.records
    );
    if let Some(kept) = r.kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    println!("start the server: it upgrades the schema if the backup is older");
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM (what systemd sends to stop a service). The server then stops
/// taking connections and finishes the requests it has (a push in flight is answered).
async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stop the server with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("stopping: finishing the requests in flight");
}
