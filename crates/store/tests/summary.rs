//! The summary read from running totals equals the summary summed from the transactions, for
//! every kind of filter, across days, and after results change.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use common::*;
use fairtill_core::ledger::*;
use fairtill_core::money::Currency;
use fairtill_core::{Clock, Timestamp};
use fairtill_store::{DeviceSetup, Tender, Till, TxFilter};

/// A clock the test moves by hand.
#[derive(Clone)]
struct HandClock(Arc<AtomicI64>);

impl Clock for HandClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::SeqCst)).unwrap()
    }
}

#[test]
fn running_totals_agree_with_a_full_scan_for_every_filter() {
    let db = temp_db();
    let start: Timestamp = "2026-06-01T08:00:00Z".parse().unwrap();
    let clock = HandClock(Arc::new(AtomicI64::new(start.as_millisecond())));
    let mut till =
        Till::open_with(&db.path, &DeviceSetup::default(), Box::new(clock.clone())).unwrap();
    let staff = ["ana", "ben", "cho"];
    let mut pending = Vec::new();
    for i in 0..90_i64 {
        // About one sale every 97 minutes: three and a half days of trading.
        clock.0.fetch_add(97 * 60_000, Ordering::SeqCst);
        let actor = fairtill_store::Actor {
            staff: staff[usize::try_from(i % 3).unwrap()].into(),
            event_id: None,
        };
        let (code, price) =
            [("USD", "12.50"), ("EUR", "9.90"), ("JPY", "1500")][usize::try_from(i % 3).unwrap()];
        let method = match i % 4 {
            0 => PaymentMethod::Cash,
            1 => PaymentMethod::Card {
                last4: None,
                approval_code: None,
            },
            2 => PaymentMethod::External {
                system: "Shop".into(),
                reference: format!("R{i}"),
            },
            _ => PaymentMethod::Card {
                last4: Some("4242".into()),
                approval_code: None,
            },
        };
        let result = if i % 11 == 0 {
            TxResult::Declined
        } else {
            TxResult::Approved
        };
        let mut d = draft_in(code, &[("item", price, 1 + u32::try_from(i % 3).unwrap())]);
        if i % 5 == 0 {
            d.customer = Some(fairtill_core::customer::Customer {
                name: Some(format!("Guest {i}")),
                ..Default::default()
            });
        }
        let sale = till
            .record_sale(
                &actor,
                d,
                Tender {
                    method,
                    result,
                    ..cash()
                },
            )
            .unwrap();
        if result == TxResult::Approved && i % 6 == 0 {
            let amount = till.transaction(sale.transaction_id).unwrap().amount;
            let r = till
                .refund(
                    &actor,
                    sale.transaction_id,
                    RefundStrategy::Amount { amount },
                    RefundProgress::Pending,
                    None,
                )
                .unwrap();
            pending.push(r);
        }
    }
    // Results change after the fact: the totals must follow.
    for (i, r) in pending.iter().enumerate() {
        let result = if i % 2 == 0 {
            TxResult::Approved
        } else {
            TxResult::Declined
        };
        till.resolve(&actor(), *r, result, None).unwrap();
    }
    let now = till.now();
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let usd = Some(Currency::from_code("USD").unwrap());
    let filters = vec![
        TxFilter::default(),
        TxFilter {
            currency: usd,
            ..Default::default()
        },
        TxFilter {
            method: Some("card".into()),
            staff: Some("ben".into()),
            ..Default::default()
        },
        TxFilter {
            kinds: vec![TxKind::Refund],
            results: vec![TxResult::Approved],
            ..Default::default()
        },
        TxFilter {
            from: Some(at("2026-06-02T00:00:00Z")),
            to: Some(at("2026-06-04T00:00:00Z")),
            ..Default::default()
        },
        TxFilter {
            from: Some(at("2026-06-01T13:17:00Z")),
            to: Some(at("2026-06-03T19:45:00Z")),
            ..Default::default()
        },
        TxFilter {
            from: Some(at("2026-06-02T10:00:00Z")),
            to: Some(at("2026-06-02T20:00:00Z")),
            ..Default::default()
        },
        TxFilter {
            from: Some(at("2026-06-03T05:00:00Z")),
            currency: usd,
            ..Default::default()
        },
        TxFilter {
            to: Some(at("2026-06-02T05:00:00Z")),
            results: vec![TxResult::Declined],
            ..Default::default()
        },
        TxFilter {
            text: Some("guest".into()),
            ..Default::default()
        },
    ];
    for f in &filters {
        let totals = till.summary_at(f, now).unwrap();
        let scanned = till.summary_scanned(f, now).unwrap();
        assert_eq!(totals, scanned, "filter {f:?}");
    }
    let all = till.summary_at(&TxFilter::default(), now).unwrap();
    assert_eq!(all.currencies.len(), 3);
    assert!(all.currencies.iter().any(|c| c.refunded.is_positive()));
    let day = till.summary_at(&filters[4], now).unwrap();
    assert!(
        day.currencies.iter().map(|c| c.approved_count).sum::<u64>()
            < all.currencies.iter().map(|c| c.approved_count).sum::<u64>()
    );
}
