//! `fairtill-server`: serve the sync and manager API; manage devices and manager accounts.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fairtill_server::api::{router, AppState};
use fairtill_server::auth;
use fairtill_server::logging::{self, LogFormat};
use fairtill_server::storage::Storage;
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

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the API (and its OpenAPI document at /openapi.json).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7780")]
        bind: SocketAddr,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Manage devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Manage manager accounts.
    #[command(subcommand)]
    Manager(ManagerCmd),
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
    let storage = Storage::open(&cli.database)
        .await
        .with_context(|| format!("cannot open the server database {}", cli.database))?;
    match cli.command {
        Cmd::Serve {
            bind,
            tls_cert,
            tls_key,
        } => {
            let state = Arc::new(AppState {
                storage,
                now: Timestamp::now,
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
                        .serve(app.into_make_service())
                        .await?;
                }
                _ => {
                    let listener = tokio::net::TcpListener::bind(bind)
                        .await
                        .with_context(|| format!("cannot listen on {bind}"))?;
                    let addr = listener.local_addr()?;
                    println!("fairtill-server listening on http://{addr}");
                    tracing::info!(%addr, tls = false, "listening");
                    axum::serve(listener, app)
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
    }
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
