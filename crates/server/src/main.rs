//! `fairtill-server`: serve the sync API, and manage devices.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fairtill_server::api::{router, AppState};
use fairtill_server::auth;
use fairtill_server::storage::sqlite::SqliteStorage;
use fairtill_server::storage::Storage;
use jiff::{SignedDuration, Timestamp};

/// Fairtill's central server.
#[derive(Debug, Parser)]
#[command(name = "fairtill-server", version)]
struct Cli {
    /// The database: a file path for embedded SQLite.
    #[arg(
        long,
        env = "FAIRTILL_SERVER_DB",
        global = true,
        default_value = "fairtill-server.db"
    )]
    database: PathBuf,
    /// What to do.
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7780")]
        bind: SocketAddr,
    },
    /// Manage devices.
    #[command(subcommand)]
    Device(DeviceCmd),
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let storage = SqliteStorage::open(&cli.database)
        .with_context(|| format!("cannot open the server database {}", cli.database.display()))?;
    match cli.command {
        Cmd::Serve { bind } => {
            let state = Arc::new(AppState {
                storage,
                now: Timestamp::now,
            });
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            println!(
                "fairtill-server listening on http://{}",
                listener.local_addr()?
            );
            axum::serve(listener, router(state))
                .with_graceful_shutdown(shutdown())
                .await?;
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
    }
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
