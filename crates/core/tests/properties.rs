//! Property tests: random sequences of ledger operations, checking after every step that the
//! invariants of docs/domain.md hold and that refused operations change nothing.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::ids::{OrderId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::money::Money;
use fairtill_core::SignedDuration;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    NewOrder {
        cents: i64,
        quantity: u32,
    },
    Pay {
        order: usize,
        authorize: bool,
        cents: i64,
        method: u8,
        result: u8,
    },
    Capture {
        tx: usize,
        cents: i64,
    },
    Void {
        tx: usize,
    },
    Refund {
        tx: usize,
        cents: i64,
        strategy: u8,
        pending: bool,
    },
    Resolve {
        tx: usize,
        result: u8,
    },
    Advance {
        hours: i64,
    },
    MarkPaid {
        order: usize,
    },
    WriteOff {
        order: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1..5_000i64, 1..4u32).prop_map(|(cents, quantity)| Op::NewOrder { cents, quantity }),
        4 => (any::<usize>(), any::<bool>(), 1..12_000i64, 0..3u8, 0..8u8)
            .prop_map(|(order, authorize, cents, method, result)| Op::Pay { order, authorize, cents, method, result }),
        4 => (any::<usize>(), 1..8_000i64).prop_map(|(tx, cents)| Op::Capture { tx, cents }),
        2 => any::<usize>().prop_map(|tx| Op::Void { tx }),
        4 => (any::<usize>(), 1..8_000i64, 0..3u8, any::<bool>())
            .prop_map(|(tx, cents, strategy, pending)| Op::Refund { tx, cents, strategy, pending }),
        2 => (any::<usize>(), 0..5u8).prop_map(|(tx, result)| Op::Resolve { tx, result }),
        1 => (0..100i64).prop_map(|hours| Op::Advance { hours }),
        1 => any::<usize>().prop_map(|order| Op::MarkPaid { order }),
        1 => any::<usize>().prop_map(|order| Op::WriteOff { order }),
    ]
}

fn result_of(n: u8) -> TxResult {
    // Mostly approved, like a real till.
    match n {
        0 => TxResult::Declined,
        1 => TxResult::Abandoned,
        2 => TxResult::Canceled,
        3 => TxResult::Unknown,
        _ => TxResult::Approved,
    }
}

fn cents(c: i64) -> Money {
    Money::from_minor(c, usd("1").currency())
}

fn command(op: &Op, orders: &[OrderId], txs: &[TxId], t: &Till) -> Option<Command> {
    let pick_tx = |i: usize| (!txs.is_empty()).then(|| txs[i % txs.len()]);
    let pick_order = |i: usize| (!orders.is_empty()).then(|| orders[i % orders.len()]);
    Some(match op {
        Op::NewOrder { .. } | Op::Advance { .. } => return None,
        Op::Pay {
            order,
            authorize,
            cents: c,
            method,
            result,
        } => {
            let method = match method {
                0 => PaymentMethod::Cash,
                1 => card(),
                _ => external("REF-1"),
            };
            let kind = if *authorize {
                PaymentKind::Authorize {
                    capture_window: SignedDuration::from_hours(24 * 7),
                }
            } else {
                PaymentKind::Sale
            };
            let mut result = result_of(*result);
            if method.is_logged() && result == TxResult::Unknown {
                result = TxResult::Approved;
            }
            Command::Pay(Payment {
                kind,
                order_ids: vec![pick_order(*order)?],
                amount: cents(*c),
                method,
                result,
                replaces: None,
            })
        }
        Op::Capture { tx, cents: c } => {
            // Mostly aim at authorizations, so captures are exercised, sometimes at anything.
            let auths: Vec<TxId> = txs
                .iter()
                .copied()
                .filter(|id| {
                    t.ledger
                        .transaction(*id)
                        .is_some_and(|x| x.kind == TxKind::Authorize)
                })
                .collect();
            let target = if auths.is_empty() || tx % 5 == 0 {
                pick_tx(*tx)?
            } else {
                auths[tx % auths.len()]
            };
            Command::Capture {
                authorization: target,
                amount: cents(*c / 2 + 1),
                result: TxResult::Approved,
            }
        }
        Op::Void { tx } => Command::Void {
            target: pick_tx(*tx)?,
            reason: None,
        },
        Op::Refund {
            tx,
            cents: c,
            strategy,
            pending,
        } => {
            let paid: Vec<TxId> = txs
                .iter()
                .copied()
                .filter(|id| {
                    t.ledger
                        .transaction(*id)
                        .is_some_and(|x| matches!(x.kind, TxKind::Sale | TxKind::Capture))
                })
                .collect();
            let parent = if paid.is_empty() || tx % 5 == 0 {
                pick_tx(*tx)?
            } else {
                paid[tx % paid.len()]
            };
            let strategy = match strategy {
                0 => RefundStrategy::Full,
                1 => RefundStrategy::Amount { amount: cents(*c) },
                _ => {
                    let order = t.ledger.transaction(parent)?.order_ids.first().copied()?;
                    RefundStrategy::Items {
                        items: vec![RefundItem {
                            order_id: order,
                            line: 0,
                            quantity: 1,
                        }],
                    }
                }
            };
            let progress = if *pending {
                RefundProgress::Pending
            } else {
                RefundProgress::Complete
            };
            Command::Refund {
                parent,
                strategy,
                progress,
                reason: None,
            }
        }
        Op::Resolve { tx, result } => Command::ResolveResult {
            tx: pick_tx(*tx)?,
            result: result_of(*result),
            note: None,
        },
        Op::MarkPaid { order } => Command::MarkPaid {
            order: pick_order(*order)?,
            note: "paid by transfer".into(),
        },
        Op::WriteOff { order } => Command::WriteOff {
            order: pick_order(*order)?,
            reason: "uncollectible".into(),
        },
    })
}

fn check_invariants(t: &Till) -> Result<(), TestCaseError> {
    let l = &t.ledger;
    let mut expected_net = 0_i64;
    for tx in l.transactions() {
        let children: Vec<&Transaction> = l.children_of(tx.id).collect();
        match tx.kind {
            TxKind::Authorize => {
                let held: i64 = children
                    .iter()
                    .filter(|c| {
                        c.kind == TxKind::Capture
                            && matches!(c.result(), TxResult::Approved | TxResult::Unknown)
                    })
                    .map(|c| c.amount.minor())
                    .sum();
                prop_assert!(
                    held <= tx.amount.minor(),
                    "captures {held} exceed authorization {}",
                    tx.amount
                );
                for cap in children.iter().filter(|c| c.kind == TxKind::Capture) {
                    prop_assert!(tx.is_approved(), "capture of an unapproved authorization");
                    prop_assert!(
                        cap.created_at < tx.expires_at.unwrap(),
                        "capture after expiry"
                    );
                    if let Some(v) = children.iter().find(|c| c.kind == TxKind::Void) {
                        prop_assert!(cap.created_at < v.created_at, "capture after void");
                    }
                }
            }
            TxKind::Sale | TxKind::Capture => {
                let held: i64 = children
                    .iter()
                    .filter(|c| c.kind == TxKind::Refund)
                    .filter(|c| {
                        matches!(
                            l.refund_status(c),
                            RefundStatus::Pending | RefundStatus::Complete
                        )
                    })
                    .map(|c| c.amount.minor())
                    .sum();
                prop_assert!(
                    held <= tx.amount.minor(),
                    "refunds {held} exceed payment {}",
                    tx.amount
                );
                for r in children.iter().filter(|c| c.kind == TxKind::Refund) {
                    prop_assert_eq!(r.amount.currency(), tx.amount.currency());
                    prop_assert!(tx.is_approved(), "refund of an unapproved payment");
                }
                if tx.is_approved() && !l.is_voided(tx.id) {
                    expected_net += tx.amount.minor();
                }
            }
            TxKind::Refund => {
                if tx.is_approved() {
                    expected_net -= tx.amount.minor();
                }
            }
            TxKind::Credit => {
                if tx.is_approved() {
                    expected_net -= tx.amount.minor();
                }
            }
            TxKind::Void => {}
        }
    }
    let summary = l.summary(t.now, |_| true);
    let net = summary.currencies.first().map_or(0, |c| c.net.minor());
    prop_assert_eq!(
        net,
        expected_net,
        "summary net equals the sum of approved movements"
    );
    for order in l.orders() {
        let v = l.order_view(order.id, t.now).unwrap();
        prop_assert!(v.refunded.minor() <= v.paid.minor());
        prop_assert!(v.balance_due.minor() >= 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_operation_sequences_keep_the_ledger_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let mut t = Till::new();
        let mut orders: Vec<OrderId> = vec![];
        let mut txs: Vec<TxId> = vec![];
        for op in &ops {
            match op {
                Op::NewOrder { cents: c, quantity } => {
                    let price = cents(*c).amount_string();
                    orders.push(t.order(vec![line("item", &price, *quantity)]));
                }
                Op::Advance { hours } => t.advance(SignedDuration::from_hours(*hours)),
                other => {
                    let Some(cmd) = command(other, &orders, &txs, &t) else { continue };
                    let before = t.ledger.clone();
                    match t.run(cmd) {
                        Ok(facts) => {
                            for f in facts {
                                if let Fact::Recorded { tx } = f {
                                    txs.push(tx.id);
                                }
                            }
                        }
                        Err(_) => prop_assert_eq!(&t.ledger, &before, "a refused operation changed the ledger"),
                    }
                }
            }
            check_invariants(&t)?;
        }
    }
}
