//! What an operator watches: whether the database answers with the schema this server
//! expects, and how much waits in each queue the server works through later.

use super::{Dialect, Result, Storage, StorageError};

/// The schema the database has and the one this server was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersions {
    /// What the database says.
    pub database: i64,
    /// What this server's migrations reach.
    pub server: i64,
}

/// How much waits in one of the server's queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    /// Which queue (`mail`, `webhooks`, `processor_due`, …).
    pub queue: String,
    /// Items waiting.
    pub depth: i64,
}

/// One count per queue: what waits to be sent or asked about.
const QUEUE_DEPTHS: &str = "
    SELECT 'mail', count(*) FROM notifications WHERE state = 'queued'
    UNION ALL SELECT 'webhooks', count(*) FROM webhook_deliveries WHERE state = 'pending'
    UNION ALL SELECT 'processor_due', count(*) FROM processor_jobs WHERE state = 'due'
    UNION ALL SELECT 'processor_approval', count(*) FROM processor_jobs WHERE state = 'approval'
    UNION ALL SELECT 'processor_pending', count(*) FROM processor_jobs WHERE state = 'pending'
    UNION ALL SELECT 'scheduled_charges', count(*) FROM scheduled_charges WHERE state = 'scheduled'
    UNION ALL SELECT 'follow_ups', count(*) FROM follow_ups WHERE state = 'retrying'";

impl Storage {
    /// The database's schema version beside this server's: ready when they are equal (a
    /// newer server process may have upgraded a shared PostgreSQL database since).
    pub async fn schema_versions(&self) -> Result<SchemaVersions> {
        let server = match self.backend {
            super::Backend::Sqlite(_) => super::sqlite::SCHEMA_VERSION,
            super::Backend::Postgres(_) => super::postgres::SCHEMA_VERSION,
        };
        self.transact(move |db| {
            let sql = match db.dialect() {
                Dialect::Sqlite => "PRAGMA user_version",
                Dialect::Postgres => "SELECT version FROM fairtill_schema",
            };
            let database = super::query_one(db, sql, &[])?
                .ok_or_else(|| StorageError::Backend("no schema version".into()))?
                .int(0)?;
            Ok(SchemaVersions {
                database,
                server: i64::try_from(server).unwrap_or(i64::MAX),
            })
        })
        .await
    }

    /// How much waits in each queue now.
    pub async fn queue_depths(&self) -> Result<Vec<QueueDepth>> {
        self.transact(|db| {
            db.query(QUEUE_DEPTHS, &[])?
                .iter()
                .map(|r| {
                    Ok(QueueDepth {
                        queue: r.text(0)?,
                        depth: r.int(1)?,
                    })
                })
                .collect()
        })
        .await
    }
}
