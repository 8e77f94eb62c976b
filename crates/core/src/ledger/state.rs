//! Views derived from the facts: what is left to capture or refund, refund status, order status.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, TxId};
use crate::money::{Currency, Money};
use crate::order::{Order, OrderTotals};

use super::command::WriteOff;
use super::transaction::{RefundDetail, Transaction, TxKind, TxResult};
use super::{Ledger, LedgerError};

/// Where an authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuthState {
    /// Approved amount (0 unless approved).
    pub authorized: Money,
    /// Approved captures.
    pub captured: Money,
    /// Captures whose result is not known yet (held back from the remainder).
    pub capture_pending: Money,
    /// Amount released by a void.
    pub voided: Option<Money>,
    /// The capture window passed with money uncaptured.
    pub expired: bool,
    /// What can still be captured now.
    pub capturable: Money,
    /// What expired uncaptured (counts as canceled).
    pub expired_remainder: Money,
}

/// Where a sale or capture stands with respect to refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PaymentState {
    /// Money taken (0 unless approved and not voided).
    pub taken: Money,
    /// Complete refunds.
    pub refunded: Money,
    /// Pending refunds (held back from the refundable balance).
    pub refund_pending: Money,
    /// Voided (a logged sale entered by mistake).
    pub voided: bool,
    /// What can still be refunded.
    pub refundable: Money,
}

/// A refund's status (docs/domain.md, rules 6–7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Sent, not confirmed; can be voided.
    Pending,
    /// Money given back.
    Complete,
    /// Did not go through.
    Failed,
    /// Voided while pending.
    Voided,
}

/// A refund as its own object: the refund transaction and its derived status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RefundView {
    /// Refund id (its transaction's id).
    pub id: TxId,
    /// The sale or capture refunded.
    pub parent: TxId,
    /// Amount.
    pub amount: Money,
    /// Strategy and items.
    pub detail: RefundDetail,
    /// Status.
    pub status: RefundStatus,
    /// When asked for.
    pub created_at: Timestamp,
}

/// An order's state, derived from its transactions (docs/domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Nothing paid or reserved.
    Open,
    /// A payment's result is not known yet.
    PaymentPending,
    /// Authorized, not captured yet.
    Authorized,
    /// Partly captured, the rest still authorized.
    PartlyCaptured,
    /// Some paid, some still due.
    PartlyPaid,
    /// Paid in full.
    Paid,
    /// Some of what was paid was refunded.
    PartlyRefunded,
    /// Everything paid was refunded.
    Refunded,
    /// Its payment was voided and nothing is paid.
    Voided,
    /// Its authorization expired uncaptured.
    Expired,
    /// Written off.
    WrittenOff,
}

impl OrderStatus {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::PaymentPending => "payment pending",
            OrderStatus::Authorized => "authorized",
            OrderStatus::PartlyCaptured => "partly captured",
            OrderStatus::PartlyPaid => "partly paid",
            OrderStatus::Paid => "paid",
            OrderStatus::PartlyRefunded => "partly refunded",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Voided => "voided",
            OrderStatus::Expired => "expired",
            OrderStatus::WrittenOff => "written off",
        }
    }

    /// True when money may still be taken for the order (mark as paid, write off).
    pub fn is_open(self) -> bool {
        match self {
            OrderStatus::Open
            | OrderStatus::PartlyPaid
            | OrderStatus::Voided
            | OrderStatus::Expired => true,
            OrderStatus::PaymentPending
            | OrderStatus::Authorized
            | OrderStatus::PartlyCaptured
            | OrderStatus::Paid
            | OrderStatus::PartlyRefunded
            | OrderStatus::Refunded
            | OrderStatus::WrittenOff => false,
        }
    }
}

/// An order with everything derived from its transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OrderView {
    /// The order.
    pub order: Order,
    /// Its totals.
    pub totals: OrderTotals,
    /// Status.
    pub status: OrderStatus,
    /// Money taken for it (approved sales and captures, less voided logged sales).
    pub paid: Money,
    /// Complete refunds.
    pub refunded: Money,
    /// Pending refunds.
    pub refund_pending: Money,
    /// Authorized and still capturable.
    pub authorized_open: Money,
    /// Payments whose result is not known yet.
    pub pending: Money,
    /// Still due: total less taken, reserved and pending.
    pub balance_due: Money,
    /// The write-off, if any.
    pub write_off: Option<WriteOff>,
    /// Every transaction of every chain naming the order, oldest first.
    pub transactions: Vec<Transaction>,
    /// Its refunds.
    pub refunds: Vec<RefundView>,
}

/// Money of one chain, before it is shared among the chain's orders.
#[derive(Debug, Clone, Copy, Default)]
struct ChainMoney {
    taken: i64,
    refunded: i64,
    refund_pending: i64,
    open_auth: i64,
    pending: i64,
    voided: bool,
    expired: bool,
}

/// Fills `amount` into orders of the given totals in turn; the last takes any excess.
fn fill_share(amount: i64, totals: &[i64], index: usize) -> i64 {
    let mut left = amount;
    for (i, total) in totals.iter().enumerate() {
        let share = if i + 1 == totals.len() {
            left
        } else {
            left.min(*total).max(0)
        };
        if i == index {
            return share;
        }
        left -= share;
    }
    0
}

impl Ledger {
    /// True when the transaction has an approved void.
    pub fn is_voided(&self, id: TxId) -> bool {
        self.void_of(id).is_some()
    }

    pub(crate) fn void_of(&self, id: TxId) -> Option<&Transaction> {
        self.children_of(id)
            .find(|c| c.kind == TxKind::Void && c.is_approved())
    }

    /// Where an authorization stands at `now`.
    pub fn auth_state(&self, auth: &Transaction, now: Timestamp) -> AuthState {
        let c = auth.amount.currency();
        let zero = Money::zero(c);
        let (mut captured, mut pending) = (0_i64, 0_i64);
        for child in self
            .children_of(auth.id)
            .filter(|t| t.kind == TxKind::Capture)
        {
            match child.result() {
                TxResult::Approved => captured += child.amount.minor(),
                TxResult::Unknown => pending += child.amount.minor(),
                TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => {}
            }
        }
        let voided = self.void_of(auth.id).map(|v| v.amount);
        if !auth.is_approved() {
            return AuthState {
                authorized: zero,
                captured: zero,
                capture_pending: zero,
                voided,
                expired: false,
                capturable: zero,
                expired_remainder: zero,
            };
        }
        let remainder = auth.amount.minor() - captured - pending;
        let expired =
            voided.is_none() && remainder > 0 && auth.expires_at.is_some_and(|e| now >= e);
        let capturable = if voided.is_some() || expired {
            0
        } else {
            remainder.max(0)
        };
        AuthState {
            authorized: auth.amount,
            captured: Money::from_minor(captured, c),
            capture_pending: Money::from_minor(pending, c),
            voided,
            expired,
            capturable: Money::from_minor(capturable, c),
            expired_remainder: Money::from_minor(if expired { remainder } else { 0 }, c),
        }
    }

    /// Where a sale or capture stands with respect to refunds.
    pub fn payment_state(&self, payment: &Transaction) -> PaymentState {
        let c = payment.amount.currency();
        let voided = self.is_voided(payment.id);
        let (mut refunded, mut pending) = (0_i64, 0_i64);
        for r in self
            .children_of(payment.id)
            .filter(|t| t.kind == TxKind::Refund)
        {
            match self.refund_status(r) {
                RefundStatus::Complete => refunded += r.amount.minor(),
                RefundStatus::Pending => pending += r.amount.minor(),
                RefundStatus::Failed | RefundStatus::Voided => {}
            }
        }
        let taken = if payment.is_approved() && !voided {
            payment.amount.minor()
        } else {
            0
        };
        PaymentState {
            taken: Money::from_minor(taken, c),
            refunded: Money::from_minor(refunded, c),
            refund_pending: Money::from_minor(pending, c),
            voided,
            refundable: Money::from_minor((taken - refunded - pending).max(0), c),
        }
    }

    /// A refund transaction's status.
    pub fn refund_status(&self, refund: &Transaction) -> RefundStatus {
        if self.is_voided(refund.id) {
            return RefundStatus::Voided;
        }
        match refund.result() {
            TxResult::Unknown => RefundStatus::Pending,
            TxResult::Approved => RefundStatus::Complete,
            TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => RefundStatus::Failed,
        }
    }

    fn chain_money(&self, root: &Transaction, now: Timestamp) -> ChainMoney {
        let mut m = ChainMoney::default();
        let add_payment = |m: &mut ChainMoney, p: &Transaction| {
            let s = self.payment_state(p);
            m.taken += s.taken.minor();
            m.refunded += s.refunded.minor();
            m.refund_pending += s.refund_pending.minor();
            m.voided |= s.voided;
        };
        match root.kind {
            TxKind::Sale => match root.result() {
                TxResult::Unknown => m.pending = root.amount.minor(),
                TxResult::Approved => add_payment(&mut m, root),
                TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => {}
            },
            TxKind::Authorize => match root.result() {
                TxResult::Unknown => m.pending = root.amount.minor(),
                TxResult::Approved => {
                    let a = self.auth_state(root, now);
                    m.open_auth = a.capturable.minor();
                    m.pending = a.capture_pending.minor();
                    m.voided = a.voided.is_some();
                    m.expired = a.expired;
                    for cap in self
                        .children_of(root.id)
                        .filter(|t| t.kind == TxKind::Capture)
                    {
                        add_payment(&mut m, cap);
                    }
                }
                TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => {}
            },
            TxKind::Credit | TxKind::Capture | TxKind::Void | TxKind::Refund => {}
        }
        m
    }

    fn roots_of(&self, order: OrderId) -> impl Iterator<Item = &Transaction> {
        self.chains_by_order
            .get(&order)
            .into_iter()
            .flatten()
            .filter_map(|id| self.txs.get(id))
    }

    fn chain_of(&self, root: &Transaction, out: &mut Vec<Transaction>) {
        out.push(root.clone());
        for child in self.children_of(root.id) {
            self.chain_of(child, out);
        }
    }

    /// An order with its status, balances, transactions and refunds at `now`.
    pub fn order_view(&self, id: OrderId, now: Timestamp) -> Result<OrderView, LedgerError> {
        let entry = self.entry(id)?;
        let currency: Currency = entry.order.currency();
        let mut sums = ChainMoney::default();
        let mut transactions = Vec::new();
        for root in self.roots_of(id) {
            let m = self.chain_money(root, now);
            let index = root.order_ids.iter().position(|o| *o == id).unwrap_or(0);
            let totals: Vec<i64> = root
                .order_ids
                .iter()
                .map(|o| self.orders.get(o).map_or(0, |e| e.totals.total.minor()))
                .collect();
            let share = |amount: i64| fill_share(amount, &totals, index);
            let taken = share(m.taken);
            let net = share(m.taken - m.refunded);
            sums.taken += taken;
            sums.refunded += taken - net;
            sums.refund_pending += share(m.refund_pending);
            sums.open_auth += share(m.open_auth);
            sums.pending += share(m.pending);
            sums.voided |= m.voided;
            sums.expired |= m.expired;
            self.chain_of(root, &mut transactions);
        }
        transactions.sort_by_key(|t| (t.created_at, t.id));
        let total = entry.totals.total.minor();
        let status = if entry.write_off.is_some() {
            OrderStatus::WrittenOff
        } else if sums.taken > 0 {
            if sums.refunded >= sums.taken {
                OrderStatus::Refunded
            } else if sums.refunded > 0 {
                OrderStatus::PartlyRefunded
            } else if sums.open_auth > 0 {
                OrderStatus::PartlyCaptured
            } else if sums.taken >= total {
                OrderStatus::Paid
            } else {
                OrderStatus::PartlyPaid
            }
        } else if sums.open_auth > 0 {
            OrderStatus::Authorized
        } else if sums.pending > 0 {
            OrderStatus::PaymentPending
        } else if sums.voided {
            OrderStatus::Voided
        } else if sums.expired {
            OrderStatus::Expired
        } else {
            OrderStatus::Open
        };
        let refunds = transactions
            .iter()
            .filter(|t| t.kind == TxKind::Refund)
            .filter_map(|t| {
                Some(RefundView {
                    id: t.id,
                    parent: t.parent?,
                    amount: t.amount,
                    detail: t.refund.clone()?,
                    status: self.refund_status(t),
                    created_at: t.created_at,
                })
            })
            .collect();
        let money = |minor: i64| Money::from_minor(minor, currency);
        let committed = sums.taken + sums.open_auth + sums.pending;
        let due = if entry.write_off.is_some() {
            0
        } else {
            (total - committed).max(0)
        };
        Ok(OrderView {
            order: entry.order.clone(),
            totals: entry.totals.clone(),
            status,
            paid: money(sums.taken),
            refunded: money(sums.refunded),
            refund_pending: money(sums.refund_pending),
            authorized_open: money(sums.open_auth),
            pending: money(sums.pending),
            balance_due: money(due),
            write_off: entry.write_off.clone(),
            transactions,
            refunds,
        })
    }

    /// Units of each line of an order already given back by item refunds that are not
    /// failed or voided.
    pub(crate) fn refunded_units(&self, order: OrderId, line: u32) -> u32 {
        self.txs
            .values()
            .filter(|t| t.kind == TxKind::Refund)
            .filter(|t| match self.refund_status(t) {
                RefundStatus::Pending | RefundStatus::Complete => true,
                RefundStatus::Failed | RefundStatus::Voided => false,
            })
            .filter_map(|t| t.refund.as_ref())
            .flat_map(|d| d.items.iter())
            .filter(|i| i.order_id == order && i.line == line)
            .map(|i| i.quantity)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::fill_share;

    #[test]
    fn a_payment_for_several_orders_fills_them_in_turn() {
        let totals = [60, 40];
        assert_eq!(fill_share(100, &totals, 0), 60);
        assert_eq!(fill_share(100, &totals, 1), 40);
        assert_eq!(fill_share(70, &totals, 0), 60);
        assert_eq!(fill_share(70, &totals, 1), 10);
        assert_eq!(fill_share(50, &[50], 0), 50);
    }
}
