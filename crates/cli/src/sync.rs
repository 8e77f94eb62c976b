//! `fairtill sync`: a till's sync without the window, for kiosks and support scripts — enroll
//! with a server's address and a one-time code, run one round now, or say how it stands. The
//! device's token is kept in the system keyring exactly as the app keeps it (the same entry), so
//! the app and the command line share one enrollment.

use std::sync::Mutex;

use clap::Subcommand;
use fairtill_store::Till;
use fairtill_sync::{normalize_url, sync_once, Credential, RoundReport, SyncClient};
use serde::Serialize;

use crate::args::input;

/// `sync` subcommands.
#[derive(Debug, Subcommand)]
pub enum SyncCmd {
    /// Enroll this till with a server, with the one-time code a manager made for it.
    Enroll {
        /// The server's address, e.g. https://sync.example.org:8443.
        #[arg(long)]
        server: String,
        /// The one-time code.
        #[arg(long)]
        code: String,
    },
    /// One round now: push what waits, then pull the current event's records.
    Now,
    /// The server this till syncs with and what waits to be sent.
    Status,
}

/// What `sync status` says.
#[derive(Debug, Serialize)]
pub struct SyncState {
    /// The server's address, if enrolled.
    pub server_url: Option<String>,
    /// This till's name there.
    pub server_name: Option<String>,
    /// Records waiting to be sent.
    pub waiting: u64,
    /// Whether the keyring holds this till's token for that server.
    pub token_in_keyring: bool,
}

/// What a `sync` subcommand did, for the output.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SyncOutcome {
    /// Enrolled.
    Enrolled {
        /// The server's address.
        server_url: String,
        /// This till's name there.
        server_name: String,
    },
    /// A round ran.
    Round(RoundReport),
    /// How it stands.
    State(SyncState),
}

fn state(till: &Till) -> anyhow::Result<SyncState> {
    let server = till.sync_server()?;
    let token_in_keyring = match &server {
        Some((url, _)) => Credential::new(url, till.device().id)?.load()?.is_some(),
        None => false,
    };
    Ok(SyncState {
        waiting: till.outbox()?.total,
        server_url: server.as_ref().map(|s| s.0.clone()),
        server_name: server.map(|s| s.1),
        token_in_keyring,
    })
}

/// Runs a `sync` subcommand on `till`.
pub fn run(till: Till, cmd: &SyncCmd) -> anyhow::Result<SyncOutcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cmd {
        SyncCmd::Enroll { server, code } => {
            if code.trim().is_empty() {
                return Err(input("give the one-time code a manager made (--code)"));
            }
            let url = normalize_url(server)?;
            let device = till.device().clone();
            let (_, enrolled) = runtime.block_on(SyncClient::new(&url, None, None)?.enroll(
                code.trim(),
                device.id,
                &device.code,
            ))?;
            Credential::new(&url, device.id)?.save(&enrolled.token)?;
            let mut till = till;
            till.set_sync_server(&url, &enrolled.name)?;
            Ok(SyncOutcome::Enrolled {
                server_url: url,
                server_name: enrolled.name,
            })
        }
        SyncCmd::Now => {
            let Some((url, _)) = till.sync_server()? else {
                return Err(input(
                    "this till is not enrolled with a server: fairtill sync enroll --server URL --code CODE",
                ));
            };
            let token = Credential::new(&url, till.device().id)?.load()?.ok_or_else(|| {
                input("this till's sync token is not in the system keyring; enroll it again with a new code")
            })?;
            let event = till.settings()?.event.map(|e| e.id);
            let client = SyncClient::new(&url, Some(token), None)?;
            let till = Mutex::new(till);
            let report = runtime.block_on(sync_once(&till, &client, event, &|_| {}))?;
            Ok(SyncOutcome::Round(report))
        }
        SyncCmd::Status => Ok(SyncOutcome::State(state(&till)?)),
    }
}
