//! Events (a fair, a trade show) and who/where a sale was made.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, EventId};
use crate::money::{Currency, Money};
use crate::tax::TaxPolicy;

/// Default time an authorization may wait for capture (docs/domain.md, rule 3).
pub const DEFAULT_CAPTURE_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// When card payments are captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// The full amount is taken at once: payments are sales.
    Automatic,
    /// Payments are authorized and captured later, within the capture window.
    Manual,
}

/// An event and its selling rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Event {
    /// Identifier.
    pub id: EventId,
    /// Name, e.g. "Berlin Craft Fair 2026".
    pub name: String,
    /// Currency prices are in.
    pub currency: Currency,
    /// Tax rates.
    pub tax: TaxPolicy,
    /// Automatic or manual capture.
    pub capture_mode: CaptureMode,
    /// How long an authorization may wait for capture.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub capture_window: SignedDuration,
    /// Limits on charges to cards on file taken while the till cannot reach the server.
    #[serde(default)]
    pub offline_cards: OfflineCardLimits,
}

/// The most hours an offline charge to a card on file may wait (Square's limit: 72).
pub const MAX_OFFLINE_HOURS: u32 = 72;

/// Limits on charges to cards on file taken while the till cannot reach the server: each one
/// waits to be charged, at the seller's risk (a card may be declined later), so, like Square's
/// offline payments, an event caps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OfflineCardLimits {
    /// The largest single charge, in the event's minor units (default 100.00, Square's).
    pub largest_minor: u32,
    /// The most that may wait to be charged at once, in minor units (default 1,000.00).
    pub total_minor: u32,
    /// Hours the oldest waiting charge may wait before the till takes no more offline
    /// (default 24, at most [`MAX_OFFLINE_HOURS`]).
    pub oldest_hours: u32,
}

impl Default for OfflineCardLimits {
    fn default() -> Self {
        OfflineCardLimits {
            largest_minor: 10_000,
            total_minor: 100_000,
            oldest_hours: 24,
        }
    }
}

impl OfflineCardLimits {
    /// Why these limits cannot be used, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if self.largest_minor == 0 {
            Some("the largest offline card charge must be more than zero".into())
        } else if self.total_minor < self.largest_minor {
            Some("the total of offline card charges must be at least the largest one".into())
        } else if !(1..=MAX_OFFLINE_HOURS).contains(&self.oldest_hours) {
            Some(format!(
                "offline card charges may wait 1 to {MAX_OFFLINE_HOURS} hours"
            ))
        } else {
            None
        }
    }

    /// Checks a new offline charge of `amount`, with `waiting` already waiting (their total,
    /// and when the oldest was made), at `now`: the reason it is refused, if it is.
    pub fn refuse(
        &self,
        amount: Money,
        waiting: Money,
        oldest: Option<Timestamp>,
        now: Timestamp,
    ) -> Option<String> {
        let money = |minor: u32| Money::from_minor(i64::from(minor), amount.currency());
        if amount.minor() > i64::from(self.largest_minor) {
            return Some(format!(
                "offline, a card on file can be charged at most {} at a time at this event; \
                 take another payment or wait until the till is online",
                money(self.largest_minor)
            ));
        }
        if waiting.minor().saturating_add(amount.minor()) > i64::from(self.total_minor) {
            return Some(format!(
                "offline, at most {} may wait to be charged to cards on file at this event, and {} \
                 already waits; take another payment or sync first",
                money(self.total_minor),
                waiting
            ));
        }
        let limit = SignedDuration::from_hours(i64::from(self.oldest_hours));
        if oldest.is_some_and(|o| now.duration_since(o) >= limit) {
            return Some(format!(
                "a charge to a card on file has waited offline for {} hours, this event's limit: \
                 sync the till before taking more",
                self.oldest_hours
            ));
        }
        None
    }
}

/// Who recorded something, on which device, at which event. Carried by every order and
/// transaction (a refund may be made at another booth, by someone else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SaleContext {
    /// The device that recorded it.
    pub device_id: DeviceId,
    /// The event, if the till is at one.
    pub event_id: Option<EventId>,
    /// The staff member's name or code.
    pub staff: String,
}

#[cfg(test)]
mod offline_tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::from_code("EUR").unwrap())
    }

    #[test]
    fn offline_card_charges_are_held_to_the_events_limits() {
        let limits = OfflineCardLimits::default();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert_eq!(limits.problem(), None);
        assert_eq!(limits.refuse(eur(10_000), eur(0), None, now), None);
        let too_large = limits.refuse(eur(10_001), eur(0), None, now).unwrap();
        assert!(too_large.contains("at most"), "{too_large}");
        assert_eq!(limits.refuse(eur(5_000), eur(95_000), None, now), None);
        assert!(limits.refuse(eur(5_001), eur(95_000), None, now).is_some());
        let day_old = now.checked_sub(SignedDuration::from_hours(24)).unwrap();
        let stale = limits
            .refuse(eur(100), eur(100), Some(day_old), now)
            .unwrap();
        assert!(stale.contains("24 hours"), "{stale}");
        let bad = OfflineCardLimits {
            oldest_hours: MAX_OFFLINE_HOURS + 1,
            ..limits
        };
        assert!(bad.problem().is_some());
        let upside_down = OfflineCardLimits {
            total_minor: 10,
            ..limits
        };
        assert!(upside_down.problem().is_some());
    }
}
