//! Devices: one-time enrollment codes, enrollment, revocation, token checks and status.

use fairtill_core::ids::DeviceId;
use fairtill_core::Timestamp;
use fairtill_protocol::DeviceStatus;

use super::{ms, query_one, Db, Device, Result, Row, Storage, StorageError};
use crate::params;

const DEVICE_COLUMNS: &str = "id, name, code, enrolled_at, revoked_at, last_push_at";

fn to_device(row: &Row) -> Result<Device> {
    let id = row.text(0)?;
    Ok(Device {
        id: id
            .parse()
            .map_err(|_| StorageError::Backend(format!("device id {id:?}")))?,
        name: row.text(1)?,
        code: row.text(2)?,
        enrolled_at: row.time(3)?,
        revoked_at: row.opt_time(4)?,
        last_push_at: row.opt_time(5)?,
    })
}

fn device(db: &mut dyn Db, id: &str) -> Result<Option<Device>> {
    query_one(
        db,
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"),
        params![id],
    )?
    .as_ref()
    .map(to_device)
    .transpose()
}

impl Storage {
    /// Records a one-time enrollment code (its hash) for a device to be named `name`.
    pub async fn add_enrollment(
        &self,
        name: String,
        code_hash: String,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.transact(move |db| {
            db.execute(
                "INSERT INTO enrollments (code_hash, name, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                params![code_hash, name, ms(now), ms(expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    /// Trades a code for enrollment: the device is stored with its token's hash.
    pub async fn enroll(
        &self,
        code_hash: String,
        device_id: DeviceId,
        device_code: String,
        token_hash: String,
        now: Timestamp,
    ) -> Result<Device> {
        self.transact(move |db| {
            let id = device_id.to_string();
            let found = query_one(
                db,
                "SELECT name, expires_at, used_at FROM enrollments WHERE code_hash = $1",
                params![&code_hash],
            )?
            .ok_or(StorageError::UnknownCode)?;
            let name = found.text(0)?;
            if found.opt_int(2)?.is_some() {
                return Err(StorageError::CodeUsed);
            }
            if ms(now) >= found.int(1)? {
                return Err(StorageError::CodeExpired);
            }
            match device(db, &id)? {
                Some(Device {
                    name: old,
                    revoked_at: None,
                    ..
                }) => return Err(StorageError::AlreadyEnrolled(old)),
                Some(_) => {
                    db.execute(
                        "UPDATE devices SET name = $1, code = $2, token_hash = $3, enrolled_at = $4, revoked_at = NULL WHERE id = $5",
                        params![&name, &device_code, &token_hash, ms(now), &id],
                    )?;
                }
                None => {
                    db.execute(
                        "INSERT INTO devices (id, name, code, token_hash, enrolled_at) VALUES ($1, $2, $3, $4, $5)",
                        params![&id, &name, &device_code, &token_hash, ms(now)],
                    )?;
                }
            }
            db.execute(
                "UPDATE enrollments SET used_at = $1, device_id = $2 WHERE code_hash = $3",
                params![ms(now), &id, &code_hash],
            )?;
            device(db, &id)?.ok_or(StorageError::UnknownDevice(id))
        })
        .await
    }

    /// Every device, oldest enrollment first.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.transact(|db| {
            db.query(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id"),
                &[],
            )?
            .iter()
            .map(to_device)
            .collect()
        })
        .await
    }

    /// Revokes a device: its token stops working at once. False if it was already revoked.
    pub async fn revoke(&self, device_id: DeviceId, now: Timestamp) -> Result<bool> {
        self.transact(move |db| {
            let id = device_id.to_string();
            match device(db, &id)? {
                None => Err(StorageError::UnknownDevice(id)),
                Some(Device {
                    revoked_at: Some(_),
                    ..
                }) => Ok(false),
                Some(Device {
                    revoked_at: None, ..
                }) => {
                    db.execute(
                        "UPDATE devices SET revoked_at = $1 WHERE id = $2",
                        params![ms(now), &id],
                    )?;
                    Ok(true)
                }
            }
        })
        .await
    }

    /// The enrolled, unrevoked device a token hash belongs to.
    pub async fn authenticate(&self, token_hash: String) -> Result<Option<Device>> {
        self.transact(move |db| {
            query_one(
                db,
                &format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL"
                ),
                params![token_hash],
            )?
            .as_ref()
            .map(to_device)
            .transpose()
        })
        .await
    }

    /// What a device may know about itself.
    pub async fn status(&self, device_id: DeviceId) -> Result<DeviceStatus> {
        self.transact(move |db| {
            let id = device_id.to_string();
            let found = device(db, &id)?.ok_or_else(|| StorageError::UnknownDevice(id.clone()))?;
            let open = query_one(
                db,
                "SELECT count(*) FROM conflicts c WHERE c.resolved_at IS NULL
                   AND EXISTS (SELECT 1 FROM conflict_devices d WHERE d.conflict_id = c.id AND d.device_id = $1)",
                params![&id],
            )?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
            Ok(DeviceStatus {
                device_id,
                name: found.name,
                last_push_at: found.last_push_at,
                open_conflicts: u32::try_from(open).unwrap_or(u32::MAX),
            })
        })
        .await
    }
}

/// Every till's name by id, and "Manager" for the corrections managers record on the server.
pub(crate) fn device_names(db: &mut dyn Db) -> Result<std::collections::BTreeMap<String, String>> {
    let mut names: std::collections::BTreeMap<String, String> = db
        .query("SELECT id, name FROM devices", &[])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<Result<_>>()?;
    names.insert(
        fairtill_protocol::SERVER_DEVICE.to_string(),
        "Manager".into(),
    );
    Ok(names)
}
