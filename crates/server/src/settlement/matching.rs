//! Matching a settlement file's rows to logged transactions, in memory.
//!
//! 1. **By reference.** A row whose reference (or approval code) is a transaction's external
//!    reference (or approval code) goes with it: `Matched` when kind, currency and amount
//!    agree, `AmountMismatch` when only the amount differs.
//! 2. **By amount and time.** Each row left takes the nearest unclaimed transaction of the same
//!    kind, currency and amount within the window, unless both name card digits that differ:
//!    `Suggested`, for the manager to confirm.
//!
//! Each transaction goes with at most one row. Rows are taken in file order.

use std::collections::HashMap;

use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::{MatchState, SettlementKind, SettlementRow};

/// A transaction that a row could go with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Payment (a sale or capture) or refund.
    pub kind: SettlementKind,
    /// Currency code.
    pub currency: String,
    /// Amount, minor units.
    pub minor: i64,
    /// When it was recorded.
    pub at: Timestamp,
    /// External reference, if any.
    pub reference: Option<String>,
    /// Approval code, if any.
    pub approval_code: Option<String>,
    /// Card digits, if any.
    pub last4: Option<String>,
}

/// A reference as people type it: no case, no spaces, no leading '#'.
pub fn normalize(reference: &str) -> String {
    reference
        .trim()
        .trim_start_matches('#')
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Pairs of (row index, candidate index, how).
pub fn match_rows(
    rows: &[SettlementRow],
    candidates: &[Candidate],
    window: SignedDuration,
) -> Vec<(usize, usize, MatchState)> {
    let mut used = vec![false; candidates.len()];
    let mut done = vec![false; rows.len()];
    let mut pairs = Vec::new();
    let gap = |row: &SettlementRow, c: &Candidate| row.at.duration_since(c.at).abs();
    let same_kind = |row: &SettlementRow, c: &Candidate| {
        c.kind == row.kind && c.currency == row.amount.currency().code()
    };

    let mut by_reference: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        for r in [&c.reference, &c.approval_code].into_iter().flatten() {
            let key = normalize(r);
            if !key.is_empty() {
                by_reference.entry(key).or_default().push(i);
            }
        }
    }
    for (ri, row) in rows.iter().enumerate() {
        let keys = [Some(&row.reference), row.approval_code.as_ref()];
        let found: Vec<usize> = keys
            .into_iter()
            .flatten()
            .filter_map(|k| by_reference.get(&normalize(k)))
            .flatten()
            .copied()
            .filter(|&ci| !used[ci] && same_kind(row, &candidates[ci]))
            .collect();
        let best = |exact: bool| {
            found
                .iter()
                .copied()
                .filter(|&ci| !exact || candidates[ci].minor == row.amount.minor())
                .min_by_key(|&ci| gap(row, &candidates[ci]))
        };
        let (ci, state) = match (best(true), best(false)) {
            (Some(ci), _) => (ci, MatchState::Matched),
            (None, Some(ci)) => (ci, MatchState::AmountMismatch),
            (None, None) => continue,
        };
        used[ci] = true;
        done[ri] = true;
        pairs.push((ri, ci, state));
    }

    let mut by_amount: HashMap<(SettlementKind, &str, i64), Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if !used[i] {
            by_amount
                .entry((c.kind, c.currency.as_str(), c.minor))
                .or_default()
                .push(i);
        }
    }
    for (ri, row) in rows.iter().enumerate() {
        if done[ri] {
            continue;
        }
        let key = (row.kind, row.amount.currency().code(), row.amount.minor());
        let Some(list) = by_amount.get(&key) else {
            continue;
        };
        let digits_differ = |c: &Candidate| match (&row.last4, &c.last4) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        let nearest = list
            .iter()
            .copied()
            .filter(|&ci| !used[ci] && gap(row, &candidates[ci]) <= window)
            .filter(|&ci| !digits_differ(&candidates[ci]))
            .min_by_key(|&ci| gap(row, &candidates[ci]));
        if let Some(ci) = nearest {
            used[ci] = true;
            pairs.push((ri, ci, MatchState::Suggested));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtill_core::money::{Currency, Money};

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + minutes * 60).unwrap()
    }

    fn row(reference: &str, amount: &str, minutes: i64) -> SettlementRow {
        SettlementRow {
            line: 2,
            kind: SettlementKind::Payment,
            reference: reference.into(),
            amount: Money::parse(amount, Currency::from_code("USD").unwrap()).unwrap(),
            at: at(minutes),
            last4: None,
            approval_code: None,
        }
    }

    fn cand(reference: Option<&str>, minor: i64, minutes: i64) -> Candidate {
        Candidate {
            kind: SettlementKind::Payment,
            currency: "USD".into(),
            minor,
            at: at(minutes),
            reference: reference.map(str::to_string),
            approval_code: None,
            last4: None,
        }
    }

    #[test]
    fn references_first_then_the_nearest_same_amount() {
        let rows = vec![
            row("ch_1", "10.00", 0),
            row("ch_2", "12.00", 0),
            row("ch_3", "5.00", 0),
            row("ch_4", "5.00", 0),
            row("ch_5", "7.00", 0),
        ];
        let candidates = vec![
            cand(Some("#CH_1"), 1000, 3), // reference, any case, '#'
            cand(Some("ch_2"), 1150, 1),  // reference, other amount
            cand(None, 500, 90),          // same amount, farther
            cand(None, 500, -20),         // same amount, nearer: the first 5.00 row
            cand(None, 700, 60 * 72),     // outside the window
        ];
        let pairs = match_rows(&rows, &candidates, SignedDuration::from_hours(48));
        assert_eq!(
            pairs,
            vec![
                (0, 0, MatchState::Matched),
                (1, 1, MatchState::AmountMismatch),
                (2, 3, MatchState::Suggested),
                (3, 2, MatchState::Suggested),
            ]
        );
    }

    #[test]
    fn different_card_digits_are_not_suggested() {
        let mut r = row("T1", "5.00", 0);
        r.last4 = Some("1111".into());
        let mut c = cand(None, 500, 1);
        c.last4 = Some("2222".into());
        assert!(match_rows(&[r], &[c], SignedDuration::from_hours(48)).is_empty());
    }
}
