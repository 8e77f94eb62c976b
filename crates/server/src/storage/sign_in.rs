//! Manager sign-in: the throttle on failed attempts (per sign-in name and per client address,
//! kept in the database so every server process counts the same), the tokens a sign-in gives
//! and a sign-out takes back, and their lines in the audit log.
//!
//! An attempt is counted before its password is checked and taken back when it succeeds, so
//! many guesses sent at once are counted like guesses sent one after another. An unknown name is
//! counted like a known one: the answers never tell them apart.

use fairtill_core::Timestamp;
use jiff::SignedDuration;

use super::managers::audit;
use super::{ms, query_one, Db, Result, Storage};
use crate::params;

/// How failed sign-ins slow down the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Attempts per sign-in name with no wait.
    pub free_per_name: i64,
    /// Attempts per client address with no wait (an office's managers share one).
    pub free_per_address: i64,
    /// The wait after the first attempt beyond the free ones; it doubles with each further one.
    pub first_wait: SignedDuration,
    /// The longest wait.
    pub longest_wait: SignedDuration,
    /// A name or address with no failed attempt for this long starts again from nothing.
    pub forget_after: SignedDuration,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            free_per_name: 5,
            free_per_address: 20,
            first_wait: SignedDuration::from_secs(1),
            longest_wait: SignedDuration::from_mins(15),
            forget_after: SignedDuration::from_hours(24),
        }
    }
}

impl Throttle {
    /// The wait after the `attempts`-th attempt when `free` come with none.
    fn wait_after(&self, attempts: i64, free: i64) -> SignedDuration {
        let beyond = attempts - free;
        if beyond <= 0 {
            return SignedDuration::ZERO;
        }
        // 2^(beyond-1) first waits, capped before it could overflow.
        let doublings = u32::try_from(beyond - 1).unwrap_or(u32::MAX).min(30);
        let factor = 1_i32 << doublings;
        self.first_wait
            .checked_mul(factor)
            .unwrap_or(self.longest_wait)
            .min(self.longest_wait)
    }
}

/// A duration in whole milliseconds, as the table keeps times.
fn millis(d: SignedDuration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Whether a sign-in attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Counted; check the password.
    Open,
    /// Not counted: try again after this long.
    Wait(SignedDuration),
}

/// A throttle key: the sign-in name as typed (trimmed, lower case, so changing its case does
/// not start a fresh count) and the client's address.
fn keys(name: &str, address: &str) -> [(String, bool); 2] {
    let name: String = name.trim().to_lowercase().chars().take(200).collect();
    // Sorted, so two attempts lock the same rows in the same order.
    let mut keys = [
        (format!("address:{address}"), false),
        (format!("name:{name}"), true),
    ];
    keys.sort();
    keys
}

/// The failures counted for `key` now (none once forgotten), after locking its row.
fn locked_count(db: &mut dyn Db, key: &str, now: Timestamp, forget: i64) -> Result<(i64, i64)> {
    // A write that changes nothing: it holds the row's lock until commit on PostgreSQL, so
    // attempts on the same key take turns (SQLite's transactions already do).
    db.execute(
        "INSERT INTO sign_in_failures (key, failures, last_at, blocked_until) VALUES ($1, 0, $2, 0)
         ON CONFLICT (key) DO UPDATE SET failures = sign_in_failures.failures",
        params![key, ms(now)],
    )?;
    let row = query_one(
        db,
        "SELECT failures, last_at, blocked_until FROM sign_in_failures WHERE key = $1",
        params![key],
    )?;
    Ok(match row {
        Some(r) if r.int(1)? >= ms(now) - forget => (r.int(0)?, r.int(2)?),
        _ => (0, 0),
    })
}

impl Storage {
    /// Counts an attempt to sign in as `name` from `address`, unless the name or the address
    /// must wait first (then nothing is counted).
    pub async fn sign_in_attempt(
        &self,
        name: String,
        address: String,
        now: Timestamp,
        throttle: Throttle,
    ) -> Result<Gate> {
        self.transact(move |db| {
            let forget = millis(throttle.forget_after);
            db.execute(
                "DELETE FROM sign_in_failures WHERE last_at < $1",
                params![ms(now) - forget],
            )?;
            let mut counts = Vec::new();
            let mut blocked_until = 0;
            for (key, is_name) in keys(&name, &address) {
                let (failures, until) = locked_count(db, &key, now, forget)?;
                blocked_until = blocked_until.max(until);
                counts.push((key, is_name, failures));
            }
            if blocked_until > ms(now) {
                return Ok(Gate::Wait(SignedDuration::from_millis(
                    blocked_until - ms(now),
                )));
            }
            for (key, is_name, failures) in counts {
                let attempts = failures + 1;
                let free = if is_name {
                    throttle.free_per_name
                } else {
                    throttle.free_per_address
                };
                let wait = throttle.wait_after(attempts, free);
                let until = if wait.is_zero() {
                    0
                } else {
                    ms(now).saturating_add(millis(wait))
                };
                db.execute(
                    "UPDATE sign_in_failures SET failures = $2, last_at = $3, blocked_until = $4 WHERE key = $1",
                    params![key, attempts, ms(now), until],
                )?;
            }
            Ok(Gate::Open)
        })
        .await
    }

    /// The attempt's password was wrong (or its name unknown): the audit log says so, with
    /// the name as typed and the address.
    pub async fn sign_in_failed(
        &self,
        name: String,
        address: String,
        now: Timestamp,
    ) -> Result<()> {
        self.transact(move |db| {
            let typed: String = name.trim().chars().take(200).collect();
            audit(db, now, &typed, "sign_in_failed", &typed, Some(&address))
        })
        .await
    }

    /// The attempt succeeded: the name's failures are forgotten, the address's attempt is taken
    /// back, the token (its hash) is kept until `expires_at`, and the audit log says so.
    pub async fn signed_in(
        &self,
        name: String,
        address: String,
        token_hash: String,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.transact(move |db| {
            for (key, is_name) in keys(&name, &address) {
                if is_name {
                    db.execute(
                        "DELETE FROM sign_in_failures WHERE key = $1",
                        params![key],
                    )?;
                } else {
                    db.execute(
                        "UPDATE sign_in_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0",
                        params![key],
                    )?;
                }
            }
            db.execute(
                "INSERT INTO manager_tokens (token_hash, manager, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                params![token_hash, &name, ms(now), ms(expires_at)],
            )?;
            audit(db, now, &name, "sign_in", &name, Some(&address))
        })
        .await
    }

    /// Ends every sign-in of manager `name` (a lost laptop, a password that leaked) and, with
    /// `password_hash`, gives the account that new password. How many sign-ins were ended.
    pub async fn sign_out_everywhere(
        &self,
        name: String,
        password_hash: Option<String>,
        now: Timestamp,
    ) -> Result<u64> {
        self.transact(move |db| {
            if query_one(
                db,
                "SELECT name FROM managers WHERE name = $1",
                params![&name],
            )?
            .is_none()
            {
                return Err(super::StorageError::NotFound(format!("manager {name:?}")));
            }
            if let Some(hash) = &password_hash {
                db.execute(
                    "UPDATE managers SET password_hash = $1 WHERE name = $2",
                    params![hash, &name],
                )?;
                audit(db, now, "server console", "set_password", &name, None)?;
            }
            let ended = db.execute(
                "DELETE FROM manager_tokens WHERE manager = $1",
                params![&name],
            )?;
            audit(
                db,
                now,
                "server console",
                "sign_out_everywhere",
                &name,
                Some(&format!("{ended} sign-ins ended")),
            )?;
            Ok(ended)
        })
        .await
    }

    /// Signs out the manager whose token this is: the token stops working at once. Whose it
    /// was, if it was still valid.
    pub async fn sign_out(&self, token_hash: String, now: Timestamp) -> Result<Option<String>> {
        self.transact(move |db| {
            let Some(row) = query_one(
                db,
                "SELECT manager FROM manager_tokens WHERE token_hash = $1 AND expires_at > $2",
                params![&token_hash, ms(now)],
            )?
            else {
                return Ok(None);
            };
            let name = row.text(0)?;
            db.execute(
                "DELETE FROM manager_tokens WHERE token_hash = $1",
                params![token_hash],
            )?;
            audit(db, now, &name, "sign_out", &name, None)?;
            Ok(Some(name))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_the_free_attempts_up_to_the_longest() {
        let t = Throttle::default();
        let secs = |n| t.wait_after(n, 5).as_secs();
        assert_eq!([secs(1), secs(5)], [0, 0]);
        assert_eq!([secs(6), secs(7), secs(8), secs(10)], [1, 2, 4, 16]);
        assert_eq!(secs(15), 512);
        assert_eq!([secs(16), secs(40), secs(i64::MAX)], [900, 900, 900]);
    }

    #[test]
    fn a_name_counts_the_same_in_any_case() {
        assert_eq!(keys(" Alex ", "10.0.0.1"), keys("alex", "10.0.0.1"));
        assert_eq!(keys("alex", "10.0.0.1")[0].0, "address:10.0.0.1");
    }
}
