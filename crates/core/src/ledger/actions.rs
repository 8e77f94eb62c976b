//! What staff may do to an order right now, and why not. Each action is found by asking the
//! rules themselves ([`Ledger::decide`] on a trial command), so the till never offers what the
//! ledger would refuse and its explanation is the rule's own words.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::SaleContext;
use crate::ids::{OrderId, TxId};
use crate::money::Money;

use super::command::{Command, Payment, PaymentKind, RefundStrategy, Stamp};
use super::error::LedgerError;
use super::state::RefundStatus;
use super::transaction::{Transaction, TxKind, TxResult};
use super::Ledger;

/// An action the order screen can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Capture part or all of an authorization.
    Capture,
    /// Void an authorization's remainder, a logged sale or a pending refund.
    Void,
    /// Refund all of a payment at once.
    RefundFull,
    /// Refund lines and quantities, or an amount of what is left.
    Refund,
    /// Record the final result of a payment whose result is unknown.
    Resolve,
    /// Pay again for a sale that was voided (rule 12).
    Replace,
    /// Mark an open order as paid by hand.
    MarkPaid,
    /// Write off what is due on an open order.
    WriteOff,
}

/// One action and whether the rules allow it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Action {
    /// What.
    pub kind: ActionKind,
    /// The transaction it acts on; `None` for actions on the order.
    pub target: Option<TxId>,
    /// The most it may move (capturable, refundable, due), when that applies.
    pub up_to: Option<Money>,
    /// `None` when allowed; otherwise the rule's reason, in words.
    pub refused: Option<String>,
}

impl Ledger {
    /// Every action that makes sense for the order's transactions and the order itself, each
    /// either allowed or refused with the reason. `context` is who would act (a refund may be
    /// made at another booth).
    pub fn order_actions(
        &self,
        order: OrderId,
        now: Timestamp,
        context: &SaleContext,
    ) -> Result<Vec<Action>, LedgerError> {
        let view = self.order_view(order, now)?;
        let stamp = Stamp {
            id: Uuid::nil(),
            at: now,
            context: context.clone(),
        };
        let mut out = Vec::new();
        for tx in &view.transactions {
            self.transaction_actions(tx, &stamp, &mut out);
        }
        let due = view.balance_due;
        for (kind, command) in [
            (
                ActionKind::MarkPaid,
                Command::MarkPaid {
                    order,
                    note: "trial".into(),
                },
            ),
            (
                ActionKind::WriteOff,
                Command::WriteOff {
                    order,
                    reason: "trial".into(),
                },
            ),
        ] {
            out.push(self.trial(kind, None, Some(due), &command, &stamp));
        }
        Ok(out)
    }

    fn transaction_actions(&self, tx: &Transaction, stamp: &Stamp, out: &mut Vec<Action>) {
        let one = Money::from_minor(1, tx.amount.currency());
        let void = Command::Void {
            target: tx.id,
            reason: None,
        };
        match tx.kind {
            TxKind::Authorize if tx.is_approved() => {
                let capturable = self.auth_state(tx, stamp.at).capturable;
                let capture = Command::Capture {
                    authorization: tx.id,
                    amount: if capturable.is_positive() {
                        capturable
                    } else {
                        one
                    },
                    result: if tx.method.is_processor() {
                        TxResult::Unknown
                    } else {
                        TxResult::Approved
                    },
                };
                out.push(self.trial(
                    ActionKind::Capture,
                    Some(tx.id),
                    Some(capturable),
                    &capture,
                    stamp,
                ));
                out.push(self.trial(
                    ActionKind::Void,
                    Some(tx.id),
                    Some(capturable),
                    &void,
                    stamp,
                ));
            }
            TxKind::Sale | TxKind::Capture if tx.is_approved() => {
                let refundable = self.payment_state(tx).refundable;
                // A card on file's refund is the processor's to complete (rule 14).
                let progress = if tx.method.is_processor() {
                    super::RefundProgress::Pending
                } else {
                    super::RefundProgress::Complete
                };
                let full = Command::Refund {
                    parent: tx.id,
                    strategy: RefundStrategy::Full,
                    progress,
                    reason: None,
                };
                let part = Command::Refund {
                    parent: tx.id,
                    strategy: RefundStrategy::Amount {
                        amount: if refundable.is_positive() {
                            refundable
                        } else {
                            one
                        },
                    },
                    progress,
                    reason: None,
                };
                let mut all = self.trial(
                    ActionKind::RefundFull,
                    Some(tx.id),
                    Some(tx.amount),
                    &full,
                    stamp,
                );
                // Rule 16: a split order's other parts give back what this one cannot.
                let spill: i64 = self
                    .other_parts(tx)
                    .iter()
                    .map(|p| self.payment_state(p).refundable.minor())
                    .sum();
                let mut refund = self.trial(
                    ActionKind::Refund,
                    Some(tx.id),
                    Some(Money::from_minor(
                        refundable.minor() + spill,
                        refundable.currency(),
                    )),
                    &part,
                    stamp,
                );
                for action in [&mut all, &mut refund] {
                    if !refundable.is_positive() && action.refused.is_some() {
                        action.refused = Some("nothing is left to refund on this payment".into());
                    }
                }
                out.push(all);
                out.push(refund);
                if tx.kind == TxKind::Sale {
                    out.push(self.trial(
                        ActionKind::Void,
                        Some(tx.id),
                        Some(tx.amount),
                        &void,
                        stamp,
                    ));
                    if self.is_voided(tx.id) {
                        let replace = Command::Pay(Payment {
                            kind: PaymentKind::Sale,
                            order_ids: Vec::new(),
                            amount: tx.amount,
                            method: tx.method.clone(),
                            result: TxResult::Approved,
                            replaces: Some(tx.id),
                        });
                        out.push(self.trial(
                            ActionKind::Replace,
                            Some(tx.id),
                            Some(tx.amount),
                            &replace,
                            stamp,
                        ));
                    }
                }
            }
            TxKind::Refund if self.refund_status(tx) == RefundStatus::Pending => {
                out.push(self.trial(ActionKind::Void, Some(tx.id), Some(tx.amount), &void, stamp));
            }
            TxKind::Authorize
            | TxKind::Sale
            | TxKind::Capture
            | TxKind::Refund
            | TxKind::Void
            | TxKind::Credit => {}
        }
        if tx.result() == TxResult::Unknown {
            let resolve = Command::ResolveResult {
                tx: tx.id,
                result: TxResult::Approved,
                note: None,
            };
            out.push(self.trial(ActionKind::Resolve, Some(tx.id), None, &resolve, stamp));
        }
    }

    fn trial(
        &self,
        kind: ActionKind,
        target: Option<TxId>,
        up_to: Option<Money>,
        command: &Command,
        stamp: &Stamp,
    ) -> Action {
        Action {
            kind,
            target,
            up_to,
            refused: self.decide(command, stamp).err().map(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SaleContext;
    use crate::ids::{DeviceId, OrderId};
    use crate::ledger::{Fact, PaymentMethod};
    use crate::money::Currency;
    use crate::order::{Order, OrderDraft, OrderLine};
    use crate::tax::{TaxCategory, TaxPolicy};

    fn id() -> Uuid {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Uuid::from_u128(u128::from(
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        ))
    }

    fn ctx() -> SaleContext {
        SaleContext {
            device_id: DeviceId(Uuid::from_u128(7)),
            event_id: None,
            staff: "Ana".into(),
        }
    }

    fn stamp(at: Timestamp) -> Stamp {
        Stamp {
            id: id(),
            at,
            context: ctx(),
        }
    }

    fn order(ledger: &mut Ledger, at: Timestamp) -> OrderId {
        let eur = Currency::from_code("EUR").unwrap();
        let draft = OrderDraft {
            currency: eur,
            lines: vec![OrderLine {
                sku: "MUG".into(),
                name: "Mug".into(),
                unit_price: Money::from_minor(1000, eur),
                quantity: 1,
                tax_category: TaxCategory::Standard,
                discount: None,
                price_override_reason: None,
            }],
            discount: None,
            tax: TaxPolicy::none(),
            customer: None,
            note: None,
            referrer: None,
        };
        let s = stamp(at);
        let order =
            Order::place(OrderId(s.id), "T1-1".into(), s.context.clone(), at, draft).unwrap();
        let id = order.id;
        ledger
            .apply(Fact::OrderPlaced {
                order: Box::new(order),
            })
            .unwrap();
        id
    }

    fn find(actions: &[Action], kind: ActionKind) -> &Action {
        actions.iter().find(|a| a.kind == kind).unwrap()
    }

    #[test]
    fn a_cash_sale_offers_refunds_and_explains_why_it_cannot_be_voided() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut l = Ledger::new();
        let o = order(&mut l, now);
        let eur = Currency::from_code("EUR").unwrap();
        l.execute(
            &Command::Pay(Payment {
                kind: PaymentKind::Sale,
                order_ids: vec![o],
                amount: Money::from_minor(1000, eur),
                method: PaymentMethod::Cash,
                result: TxResult::Approved,
                replaces: None,
            }),
            &stamp(now),
        )
        .unwrap();
        let actions = l.order_actions(o, now, &ctx()).unwrap();
        assert_eq!(find(&actions, ActionKind::Refund).refused, None);
        assert_eq!(
            find(&actions, ActionKind::Refund).up_to,
            Some(Money::from_minor(1000, eur))
        );
        assert_eq!(find(&actions, ActionKind::RefundFull).refused, None);
        let void = find(&actions, ActionKind::Void);
        assert!(void.refused.as_deref().unwrap().contains("refund"));
        assert!(find(&actions, ActionKind::MarkPaid).refused.is_some());

        let sale = actions[0].target.unwrap();
        l.execute(
            &Command::Refund {
                parent: sale,
                strategy: RefundStrategy::Full,
                progress: super::super::RefundProgress::Complete,
                reason: None,
            },
            &stamp(now),
        )
        .unwrap();
        let actions = l.order_actions(o, now, &ctx()).unwrap();
        for kind in [ActionKind::Refund, ActionKind::RefundFull] {
            assert_eq!(
                find(&actions, kind).refused.as_deref(),
                Some("nothing is left to refund on this payment")
            );
        }
    }

    #[test]
    fn an_authorization_offers_capture_up_to_what_is_left_and_nothing_after_expiry() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut l = Ledger::new();
        let o = order(&mut l, now);
        let eur = Currency::from_code("EUR").unwrap();
        let facts = l
            .execute(
                &Command::Pay(Payment {
                    kind: PaymentKind::Authorize {
                        capture_window: jiff::SignedDuration::from_hours(1),
                    },
                    order_ids: vec![o],
                    amount: Money::from_minor(1000, eur),
                    method: PaymentMethod::Card {
                        last4: None,
                        approval_code: None,
                    },
                    result: TxResult::Approved,
                    replaces: None,
                }),
                &stamp(now),
            )
            .unwrap();
        let Fact::Recorded { tx } = &facts[0] else {
            panic!("recorded")
        };
        l.execute(
            &Command::Capture {
                authorization: tx.id,
                amount: Money::from_minor(400, eur),
                result: TxResult::Approved,
            },
            &stamp(now),
        )
        .unwrap();
        let actions = l.order_actions(o, now, &ctx()).unwrap();
        let capture = find(&actions, ActionKind::Capture);
        assert_eq!(capture.refused, None);
        assert_eq!(capture.up_to, Some(Money::from_minor(600, eur)));
        let later = now
            .saturating_add(jiff::SignedDuration::from_hours(2))
            .unwrap();
        let actions = l.order_actions(o, later, &ctx()).unwrap();
        assert!(find(&actions, ActionKind::Capture)
            .refused
            .as_deref()
            .unwrap()
            .contains("expired"));
    }
}
