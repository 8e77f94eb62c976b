//! What managers publish for every device: events and catalog products. Unlike the devices'
//! facts these change (a price goes up): a new version replaces the old one and moves to a new
//! position, so every device pulls it again.

use fairtill_core::Timestamp;
use fairtill_protocol::{PushOutcome, PushResult, Record};

use super::managers::audit;
use super::push::{next_seq, type_name};
use super::{ms, query_one, Result, Storage};
use crate::params;

impl Storage {
    /// Publishes events and products; one result per record (`stored`, or `already_had` when
    /// the same version is there).
    pub async fn publish(
        &self,
        manager: String,
        records: Vec<Record>,
        now: Timestamp,
    ) -> Result<Vec<PushResult>> {
        self.transact_push(move |db| {
            db.lock_pushes()?;
            let mut seq = next_seq(db)?;
            let mut results = Vec::with_capacity(records.len());
            for record in &records {
                let key = record.key();
                let outcome = match (record, record.validate()) {
                    (_, Err(reason)) => PushOutcome::Invalid { reason },
                    (Record::Event { .. } | Record::Product { .. }, Ok(())) => {
                        let record_type = type_name(key.record_type);
                        let had = query_one(
                            db,
                            "SELECT body FROM records WHERE record_type = $1 AND record_id = $2",
                            params![record_type, key.id.as_str()],
                        )?
                        .map(|row| row.text(0))
                        .transpose()?;
                        // A product's publish is its newest version: one more than the server's.
                        let record = match (record, &had) {
                            (Record::Product { product }, Some(stored)) => {
                                match serde_json::from_str::<Record>(stored)? {
                                    Record::Product { product: theirs } if theirs.same_as(product) => Record::Product { product: theirs },
                                    Record::Product { product: theirs } => Record::Product {
                                        product: fairtill_core::catalog::Product {
                                            version: theirs.version.saturating_add(1),
                                            ..product.clone()
                                        },
                                    },
                                    _ => record.clone(),
                                }
                            }
                            (Record::Product { product }, None) => Record::Product {
                                product: fairtill_core::catalog::Product {
                                    version: product.version.max(1),
                                    ..product.clone()
                                },
                            },
                            _ => record.clone(),
                        };
                        let body = serde_json::to_string(&record)?;
                        match had {
                            Some(stored) if stored == body => PushOutcome::AlreadyHad,
                            Some(_) => {
                                // A product the manager publishes is theirs from now on.
                                let sql = match record {
                                    Record::Product { .. } => "UPDATE records SET seq = $1, body = $2, received_at = $3, device_id = NULL WHERE record_type = $4 AND record_id = $5",
                                    _ => "UPDATE records SET seq = $1, body = $2, received_at = $3 WHERE record_type = $4 AND record_id = $5",
                                };
                                db.execute(sql, params![seq, body, ms(now), record_type, key.id.as_str()])?;
                                seq += 1;
                                PushOutcome::Stored
                            }
                            None => {
                                db.execute(
                                    "INSERT INTO records (seq, record_type, record_id, device_id, event_id, received_at, body) VALUES ($1, $2, $3, NULL, NULL, $4, $5)",
                                    params![seq, record_type, key.id.as_str(), ms(now), body],
                                )?;
                                seq += 1;
                                PushOutcome::Stored
                            }
                        }
                    }
                    (_, Ok(())) => PushOutcome::Invalid {
                        reason: "only events and products are published; devices push their own records".into(),
                    },
                };
                if let PushOutcome::Stored = outcome {
                    audit(db, now, &manager, "publish", &format!("{}:{}", type_name(key.record_type), key.id), None)?;
                }
                results.push(PushResult { key, outcome });
            }
            Ok(results)
        })
        .await
    }
}
