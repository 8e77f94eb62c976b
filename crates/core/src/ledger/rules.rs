//! The rules of docs/domain.md, in one function: [`Ledger::decide`]. Every command is checked here
//! and nowhere else; the store and the app only call it.

use crate::ids::{DeviceId, OrderId, TxId};
use crate::money::Money;
use crate::order::units_share;

use super::command::{
    Command, Fact, Payment, PaymentKind, RefundProgress, RefundStrategy, Stamp, WriteOff,
};
use super::transaction::{
    PaymentMethod, RefundDetail, RefundItem, RefundStrategyKind, ResultChange, Transaction, TxKind,
    TxResult,
};
use super::{Ledger, LedgerError};

/// The longest a card processor holds an authorization (Stripe: 7 days for a card payment). A
/// card-on-file authorization expires at the sooner of this and the event's window, and sooner
/// still if the processor says so when it approves it (rule 14).
pub const PROCESSOR_HOLD: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

fn required(text: &Option<String>, what: &'static str) -> Result<String, LedgerError> {
    match text.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => Ok(t.to_string()),
        _ => Err(LedgerError::ReasonRequired(what)),
    }
}

fn same_currency(expected: Money, found: Money) -> Result<(), LedgerError> {
    if expected.currency() == found.currency() {
        Ok(())
    } else {
        Err(LedgerError::WrongCurrency {
            expected: expected.currency().code(),
            found: found.currency().code(),
        })
    }
}

fn check_method(method: &PaymentMethod) -> Result<(), LedgerError> {
    let blank = |s: &str| s.trim().is_empty();
    match method {
        PaymentMethod::Cash => Ok(()),
        PaymentMethod::Card {
            last4,
            approval_code: _,
        } => match last4 {
            Some(d) if d.len() != 4 || !d.chars().all(|c| c.is_ascii_digit()) => Err(
                LedgerError::ReasonRequired("card's last four digits (exactly 4 digits)"),
            ),
            Some(_) | None => Ok(()),
        },
        PaymentMethod::External { system, reference } => {
            if blank(system) {
                Err(LedgerError::ReasonRequired(
                    "payment logged from another system's name",
                ))
            } else if blank(reference) {
                Err(LedgerError::ReasonRequired(
                    "payment logged from another system's reference",
                ))
            } else {
                Ok(())
            }
        }
        PaymentMethod::MarkedPaid { note } => {
            if blank(note) {
                Err(LedgerError::ReasonRequired("order marked as paid"))
            } else {
                Ok(())
            }
        }
        PaymentMethod::CardOnFile {
            customer: _,
            card,
            brand: _,
            last4,
        } => {
            if blank(card) {
                Err(LedgerError::ProcessorDecides(
                    "choose one of the customer's saved cards to charge",
                ))
            } else if last4.len() != 4 || !last4.chars().all(|c| c.is_ascii_digit()) {
                Err(LedgerError::ReasonRequired(
                    "card's last four digits (exactly 4 digits)",
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// Rule 14: the processor's answer is recorded by the server alone.
fn from_server(stamp: &Stamp) -> bool {
    stamp.context.device_id == DeviceId::SERVER
}

impl Ledger {
    /// Checks `command` against the rules and returns the facts it records. Changes nothing.
    pub fn decide(&self, command: &Command, stamp: &Stamp) -> Result<Vec<Fact>, LedgerError> {
        match command {
            Command::PlaceOrder { order } => {
                if self.orders.contains_key(&order.id) {
                    return Err(LedgerError::Duplicate(format!("order {}", order.id)));
                }
                order.totals()?;
                Ok(vec![Fact::OrderPlaced {
                    order: order.clone(),
                }])
            }
            Command::Pay(payment) => self.decide_pay(payment, stamp),
            Command::Capture {
                authorization,
                amount,
                result,
            } => self.decide_capture(*authorization, *amount, *result, stamp),
            Command::Void { target, reason } => self.decide_void(*target, reason, stamp),
            Command::Refund {
                parent,
                strategy,
                progress,
                reason,
            } => self.decide_refund(*parent, strategy, *progress, reason, stamp),
            Command::Credit {
                order_ids,
                amount,
                method,
                approved_by,
                reason,
            } => {
                // Rule 8: a credit pays out beyond a refund and needs a manager.
                if approved_by.trim().is_empty() {
                    return Err(LedgerError::CreditNeedsManager);
                }
                let reason = required(&Some(reason.clone()), "credit")?;
                amount.require_positive("credit amount")?;
                check_method(method)?;
                match method {
                    PaymentMethod::MarkedPaid { .. } => {
                        return Err(LedgerError::MethodNotAllowed {
                            method: method.name(),
                            action: "pay out a credit",
                        });
                    }
                    PaymentMethod::CardOnFile { .. } => {
                        return Err(LedgerError::ProcessorDecides(
                            "the card processor cannot pay money to a card beyond a refund; \
                             pay the credit in cash or by bank transfer",
                        ));
                    }
                    PaymentMethod::Cash
                    | PaymentMethod::Card { .. }
                    | PaymentMethod::External { .. } => {}
                }
                for o in order_ids {
                    self.entry(*o)?;
                }
                let mut tx = self.new_tx(
                    stamp,
                    TxKind::Credit,
                    None,
                    order_ids.clone(),
                    *amount,
                    method.clone(),
                );
                tx.approved_by = Some(approved_by.trim().to_string());
                tx.reason = Some(reason);
                Ok(vec![Fact::Recorded { tx: Box::new(tx) }])
            }
            Command::ResolveResult { tx, result, note } => {
                let t = self.tx(*tx)?;
                let current = t.result();
                if !current.can_become(*result) {
                    return if current == TxResult::Unknown {
                        Err(LedgerError::BadResult(result.as_str()))
                    } else {
                        Err(LedgerError::ResultFinal(current.as_str()))
                    };
                }
                if self.is_voided(t.id) {
                    return Err(LedgerError::AlreadyVoided);
                }
                if t.method.is_processor() && !from_server(stamp) {
                    return Err(LedgerError::ProcessorDecides(
                        "the card processor decides this result; the server records its answer \
                         and the till receives it when it syncs",
                    ));
                }
                let change = ResultChange {
                    result: *result,
                    at: stamp.at,
                    note: note.clone(),
                    expires_at: None,
                };
                Ok(vec![Fact::ResultChanged { tx: *tx, change }])
            }
            Command::WriteOff { order, reason } => {
                // Rule 12: write off what is still due on an open order.
                let reason = required(&Some(reason.clone()), "write-off")?;
                let view = self.order_view(*order, stamp.at)?;
                if !view.status.is_open() || !view.balance_due.is_positive() {
                    return Err(LedgerError::order_not_open(view.status));
                }
                let write_off = WriteOff {
                    order_id: *order,
                    amount: view.balance_due,
                    reason,
                    at: stamp.at,
                    context: stamp.context.clone(),
                };
                Ok(vec![Fact::WrittenOff { write_off }])
            }
            Command::MarkPaid { order, note } => {
                // Rule 12: mark an open order as paid — a logged sale for what is due.
                let note = required(&Some(note.clone()), "order marked as paid")?;
                let view = self.order_view(*order, stamp.at)?;
                if !view.status.is_open() || !view.balance_due.is_positive() {
                    return Err(LedgerError::order_not_open(view.status));
                }
                let payment = Payment {
                    kind: PaymentKind::Sale,
                    order_ids: vec![*order],
                    amount: view.balance_due,
                    method: PaymentMethod::MarkedPaid { note: note.clone() },
                    result: TxResult::Approved,
                    replaces: None,
                };
                let mut facts = self.decide_pay(&payment, stamp)?;
                if let Some(Fact::Recorded { tx }) = facts.first_mut() {
                    tx.reason = Some(note);
                }
                Ok(facts)
            }
        }
    }

    fn new_tx(
        &self,
        stamp: &Stamp,
        kind: TxKind,
        parent: Option<&Transaction>,
        order_ids: Vec<OrderId>,
        amount: Money,
        method: PaymentMethod,
    ) -> Transaction {
        let id = TxId(stamp.id);
        Transaction {
            id,
            kind,
            parent: parent.map(|p| p.id),
            parent_kind: parent.map(|p| p.kind),
            root: parent.map_or(id, |p| p.root),
            order_ids,
            amount,
            method,
            history: vec![ResultChange {
                result: TxResult::Approved,
                at: stamp.at,
                note: None,
                expires_at: None,
            }],
            created_at: stamp.at,
            expires_at: None,
            refund: None,
            replaces: None,
            approved_by: None,
            reason: None,
            context: stamp.context.clone(),
        }
    }

    fn decide_pay(&self, p: &Payment, stamp: &Stamp) -> Result<Vec<Fact>, LedgerError> {
        p.amount.require_positive("payment amount")?;
        check_method(&p.method)?;
        if p.result == TxResult::Unknown && p.method.is_logged() {
            return Err(LedgerError::BadResult(
                "unknown for a payment logged from elsewhere",
            ));
        }
        if p.method.is_processor() && p.result != TxResult::Unknown {
            return Err(LedgerError::ProcessorDecides(
                "a charge to a card on file is recorded as waiting to charge; \
                 the card processor's answer decides its result",
            ));
        }
        let kind = match p.kind {
            PaymentKind::Sale => TxKind::Sale,
            PaymentKind::Authorize { .. } => match &p.method {
                PaymentMethod::Card { .. }
                | PaymentMethod::External { .. }
                | PaymentMethod::CardOnFile { .. } => TxKind::Authorize,
                PaymentMethod::Cash | PaymentMethod::MarkedPaid { .. } => {
                    return Err(LedgerError::MethodNotAllowed {
                        method: p.method.name(),
                        action: "authorize",
                    });
                }
            },
        };
        let mut order_ids = p.order_ids.clone();
        // Rule 12: replacing a paid transaction that was voided.
        if let Some(old_id) = p.replaces {
            let old = self.tx(old_id)?;
            if old.kind != TxKind::Sale || !old.is_approved() {
                return Err(LedgerError::BadReplacement(
                    "the transaction replaced is not an approved sale",
                ));
            }
            if !self.is_voided(old_id) {
                return Err(LedgerError::BadReplacement(
                    "the sale replaced has not been voided",
                ));
            }
            if self.replaced_by.contains_key(&old_id) {
                return Err(LedgerError::BadReplacement(
                    "that voided sale was already replaced",
                ));
            }
            if order_ids.is_empty() {
                order_ids = old.order_ids.clone();
            }
        }
        // Rule 10: zero, one or several orders; each must exist, share the currency, be payable.
        let moves_money = match p.result {
            TxResult::Approved | TxResult::Unknown => true,
            TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => false,
        };
        let mut due = Money::zero(p.amount.currency());
        for id in &order_ids {
            let view = self.order_view(*id, stamp.at)?;
            same_currency(view.totals.total, p.amount)?;
            if view.write_off.is_some() {
                return Err(LedgerError::order_not_open(view.status));
            }
            due = due.checked_add(view.balance_due)?;
        }
        if moves_money && !order_ids.is_empty() && p.amount.minor() > due.minor() {
            return Err(LedgerError::Overpayment {
                amount: p.amount,
                due,
            });
        }
        let mut tx = self.new_tx(stamp, kind, None, order_ids, p.amount, p.method.clone());
        tx.history[0].result = p.result;
        tx.replaces = p.replaces;
        if let PaymentKind::Authorize { capture_window } = p.kind {
            // Rule 14: a processor's hold lasts no longer than its own window.
            let window = if p.method.is_processor() {
                capture_window.min(PROCESSOR_HOLD)
            } else {
                capture_window
            };
            tx.expires_at = Some(
                stamp
                    .at
                    .saturating_add(window)
                    .map_err(|_| crate::money::MoneyError::Overflow)?,
            );
        }
        Ok(vec![Fact::Recorded { tx: Box::new(tx) }])
    }

    fn decide_capture(
        &self,
        auth_id: TxId,
        amount: Money,
        result: TxResult,
        stamp: &Stamp,
    ) -> Result<Vec<Fact>, LedgerError> {
        let auth = self.tx(auth_id)?;
        match auth.kind {
            TxKind::Authorize => {}
            TxKind::Capture | TxKind::Sale | TxKind::Void | TxKind::Refund | TxKind::Credit => {
                return Err(LedgerError::NotAnAuthorization(auth.kind.label()));
            }
        }
        if !auth.is_approved() {
            return Err(LedgerError::not_approved(
                auth.kind,
                auth.result(),
                "captured",
            ));
        }
        same_currency(auth.amount, amount)?;
        amount.require_positive("capture amount")?;
        if auth.method.is_processor() {
            self.check_processor_capture(auth, result, stamp)?;
        }
        // Rules 1–3: within the authorization, not voided, not expired.
        let state = self.auth_state(auth, stamp.at);
        if state.voided.is_some() {
            return Err(LedgerError::AuthorizationVoided);
        }
        if state.expired {
            return Err(LedgerError::AuthorizationExpired(
                auth.expires_at.unwrap_or(stamp.at),
            ));
        }
        if amount.minor() > state.capturable.minor() {
            return Err(LedgerError::CaptureExceedsAuthorization {
                requested: amount,
                capturable: state.capturable,
            });
        }
        let mut tx = self.new_tx(
            stamp,
            TxKind::Capture,
            Some(auth),
            auth.order_ids.clone(),
            amount,
            auth.method.clone(),
        );
        tx.history[0].result = result;
        Ok(vec![Fact::Recorded { tx: Box::new(tx) }])
    }

    fn decide_void(
        &self,
        target_id: TxId,
        reason: &Option<String>,
        stamp: &Stamp,
    ) -> Result<Vec<Fact>, LedgerError> {
        let target = self.tx(target_id)?;
        if self.is_voided(target_id) {
            return Err(LedgerError::AlreadyVoided);
        }
        let amount = match target.kind {
            // Rule 2: a void releases only the uncaptured remainder.
            TxKind::Authorize => {
                if !target.is_approved() {
                    return Err(LedgerError::not_approved(
                        target.kind,
                        target.result(),
                        "voided",
                    ));
                }
                let state = self.auth_state(target, stamp.at);
                if state.expired {
                    return Err(LedgerError::AuthorizationExpired(
                        target.expires_at.unwrap_or(stamp.at),
                    ));
                }
                if target.method.is_processor() {
                    self.check_processor_void(target, stamp)?;
                }
                if !state.capturable.is_positive() {
                    return Err(LedgerError::NothingToVoid);
                }
                state.capturable
            }
            // Rule 4: a sale is refunded, not voided — unless it was only logged, by mistake.
            TxKind::Sale => {
                if !target.is_approved() {
                    return Err(LedgerError::not_approved(
                        target.kind,
                        target.result(),
                        "voided",
                    ));
                }
                if !target.method.is_logged() {
                    return Err(LedgerError::RefundInstead("sale"));
                }
                let state = self.payment_state(target);
                if state.refunded.is_positive() || state.refund_pending.is_positive() {
                    return Err(LedgerError::VoidAfterRefund);
                }
                target.amount
            }
            // Rule 14: what was sent to the processor is the processor's to finish.
            TxKind::Refund if target.method.is_processor() => {
                return Err(LedgerError::ProcessorDecides(
                    "a refund to a card on file goes to the card processor and cannot be voided; \
                     it completes or fails there",
                ));
            }
            // Rule 7: a pending refund can be voided.
            TxKind::Refund => match self.refund_status(target) {
                super::RefundStatus::Pending => target.amount,
                status @ (super::RefundStatus::Complete
                | super::RefundStatus::Failed
                | super::RefundStatus::Voided) => {
                    return Err(LedgerError::RefundNotPending(match status {
                        super::RefundStatus::Complete => "complete",
                        super::RefundStatus::Failed => "failed",
                        super::RefundStatus::Voided | super::RefundStatus::Pending => "voided",
                    }));
                }
            },
            TxKind::Capture => return Err(LedgerError::RefundInstead("capture")),
            TxKind::Void | TxKind::Credit => {
                return Err(LedgerError::NotVoidable(target.kind.label()))
            }
        };
        let mut tx = self.new_tx(
            stamp,
            TxKind::Void,
            Some(target),
            target.order_ids.clone(),
            amount,
            target.method.clone(),
        );
        tx.reason = reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        // Rule 14: a till's void of a processor's hold is sent there; the server's records a
        // release the processor already made.
        if target.method.is_processor() && !from_server(stamp) {
            tx.history[0].result = TxResult::Unknown;
        }
        Ok(vec![Fact::Recorded { tx: Box::new(tx) }])
    }

    /// Rule 14 for a capture of a processor's authorization: recorded waiting (only the server
    /// records an answer), and only one, since the processor captures once and releases the
    /// rest; none while a void of it waits.
    fn check_processor_capture(
        &self,
        auth: &Transaction,
        result: TxResult,
        stamp: &Stamp,
    ) -> Result<(), LedgerError> {
        if result != TxResult::Unknown && !from_server(stamp) {
            return Err(LedgerError::ProcessorDecides(
                "a capture of a card on file is sent to the card processor; it is recorded as \
                 waiting and the processor's answer decides its result",
            ));
        }
        self.check_processor_hold_free(auth)
    }

    /// Rule 14 for a void of a processor's authorization: nothing captured or being captured
    /// (the processor released the rest with its one capture), and not already being voided.
    fn check_processor_void(&self, auth: &Transaction, stamp: &Stamp) -> Result<(), LedgerError> {
        if from_server(stamp) {
            return Ok(());
        }
        self.check_processor_hold_free(auth)
    }

    fn check_processor_hold_free(&self, auth: &Transaction) -> Result<(), LedgerError> {
        for child in self.children_of(auth.id) {
            let live = match child.result() {
                TxResult::Approved | TxResult::Unknown => true,
                TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => false,
            };
            match child.kind {
                TxKind::Capture if live => {
                    return Err(LedgerError::ProcessorDecides(
                        "the card processor captures an authorization once, and releases what \
                         that capture does not take; this one was captured",
                    ));
                }
                TxKind::Void if child.result() == TxResult::Unknown => {
                    return Err(LedgerError::ProcessorDecides(
                        "a void of this authorization is waiting for the card processor",
                    ));
                }
                TxKind::Authorize
                | TxKind::Capture
                | TxKind::Sale
                | TxKind::Void
                | TxKind::Refund
                | TxKind::Credit => {}
            }
        }
        Ok(())
    }

    fn decide_refund(
        &self,
        parent_id: TxId,
        strategy: &RefundStrategy,
        progress: RefundProgress,
        reason: &Option<String>,
        stamp: &Stamp,
    ) -> Result<Vec<Fact>, LedgerError> {
        let parent = self.tx(parent_id)?;
        // Rule 5: refunds apply only to approved sales and captures.
        match parent.kind {
            TxKind::Sale | TxKind::Capture => {}
            TxKind::Authorize | TxKind::Void | TxKind::Refund | TxKind::Credit => {
                return Err(LedgerError::NotRefundable(parent.kind.label()));
            }
        }
        if !parent.is_approved() {
            return Err(LedgerError::not_approved(
                parent.kind,
                parent.result(),
                "refunded",
            ));
        }
        let state = self.payment_state(parent);
        if state.voided {
            return Err(LedgerError::AlreadyVoided);
        }
        // Rule 6: three strategies.
        let (amount, detail) = match strategy {
            RefundStrategy::Full => {
                if state.refunded.is_positive() || state.refund_pending.is_positive() {
                    return Err(LedgerError::AlreadyPartlyRefunded(state.refundable));
                }
                (parent.amount, RefundDetail::of(RefundStrategyKind::Full))
            }
            RefundStrategy::Amount { amount } => {
                same_currency(parent.amount, *amount)?;
                amount.require_positive("refund amount")?;
                (*amount, RefundDetail::of(RefundStrategyKind::Amount))
            }
            RefundStrategy::Items { items } => {
                let amount = self.items_amount(parent, items)?;
                (
                    amount,
                    RefundDetail {
                        items: items.clone(),
                        ..RefundDetail::of(RefundStrategyKind::Items)
                    },
                )
            }
        };
        let reason = reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        // Rule 16: what the payment cannot give back comes from the order's other parts.
        let parts = match strategy {
            RefundStrategy::Full => vec![],
            RefundStrategy::Amount { .. } | RefundStrategy::Items { .. } => {
                self.other_parts(parent)
            }
        };
        let mut left = amount.minor();
        let mut takes = vec![(parent, left.min(state.refundable.minor()))];
        left -= takes[0].1;
        for part in parts {
            if left == 0 {
                break;
            }
            let take = left.min(self.payment_state(part).refundable.minor());
            takes.push((part, take));
            left -= take;
        }
        if left > 0 {
            let refundable = takes.iter().map(|(p, _)| self.payment_state(p).refundable);
            return Err(LedgerError::RefundExceedsBalance {
                requested: amount,
                refundable: Money::from_minor(
                    refundable.map(|m| m.minor()).sum(),
                    amount.currency(),
                ),
            });
        }
        let mut facts = Vec::with_capacity(takes.len());
        let mut first: Option<TxId> = None;
        for (n, (part, take)) in takes.into_iter().filter(|(_, t)| *t > 0).enumerate() {
            let id_stamp = Stamp {
                id: stamp.nth_id(n as u64),
                ..stamp.clone()
            };
            let mut tx = self.new_tx(
                &id_stamp,
                TxKind::Refund,
                Some(part),
                part.order_ids.clone(),
                Money::from_minor(take, amount.currency()),
                part.method.clone(),
            );
            tx.history[0].result = if part.id == parent.id {
                match progress {
                    RefundProgress::Complete if part.method.is_processor() => {
                        return Err(LedgerError::ProcessorDecides(
                            "a refund to a card on file is pending until the card processor completes it",
                        ));
                    }
                    RefundProgress::Complete => TxResult::Approved,
                    RefundProgress::Pending => TxResult::Unknown,
                }
            } else if part.method.is_processor() {
                TxResult::Unknown
            } else {
                TxResult::Approved
            };
            tx.refund = Some(match first {
                None => detail.clone(),
                Some(first) => RefundDetail {
                    rest_of: Some(first),
                    ..RefundDetail::of(detail.strategy)
                },
            });
            tx.reason = reason.clone();
            first.get_or_insert(tx.id);
            facts.push(Fact::Recorded { tx: Box::new(tx) });
        }
        Ok(facts)
    }

    /// The other parts of a split payment that can give money back, in the order rule 16
    /// refunds them: every payment but cash first, then cash; the latest first within each.
    /// Only a payment for one order has parts.
    pub(super) fn other_parts(&self, parent: &Transaction) -> Vec<&Transaction> {
        if parent.order_ids.len() != 1 {
            return vec![];
        }
        let mut parts: Vec<&Transaction> = self
            .txs
            .values()
            .filter(|t| t.id != parent.id && t.order_ids == parent.order_ids)
            .filter(|t| match t.kind {
                TxKind::Sale | TxKind::Capture => true,
                TxKind::Authorize | TxKind::Void | TxKind::Refund | TxKind::Credit => false,
            })
            .filter(|t| t.is_approved() && self.payment_state(t).refundable.is_positive())
            .collect();
        parts.sort_by_key(|t| {
            let cash = match t.method {
                PaymentMethod::Cash => true,
                PaymentMethod::Card { .. }
                | PaymentMethod::External { .. }
                | PaymentMethod::MarkedPaid { .. }
                | PaymentMethod::CardOnFile { .. } => false,
            };
            (cash, std::cmp::Reverse(t.id))
        });
        parts
    }

    /// The amount of an item refund: each line's payable share for the units, never more units
    /// than were sold less those already refunded.
    fn items_amount(
        &self,
        parent: &Transaction,
        items: &[RefundItem],
    ) -> Result<Money, LedgerError> {
        let bad = |m: String| LedgerError::BadRefundItem(m);
        if items.is_empty() {
            return Err(bad("choose at least one item".into()));
        }
        let mut total = Money::zero(parent.amount.currency());
        let mut seen = std::collections::BTreeSet::new();
        for item in items {
            if !parent.order_ids.contains(&item.order_id) {
                return Err(bad(
                    "the item is not on an order this payment paid for".into()
                ));
            }
            if !seen.insert((item.order_id, item.line)) {
                return Err(bad(format!("line {} is listed twice", item.line + 1)));
            }
            let entry = self.entry(item.order_id)?;
            let idx = item.line as usize;
            let (line, totals) = match (
                entry.order.draft.lines.get(idx),
                entry.totals.lines.get(idx),
            ) {
                (Some(l), Some(t)) => (l, t),
                _ => return Err(bad(format!("the order has no line {}", item.line + 1))),
            };
            if item.quantity == 0 {
                return Err(bad(format!("{}: quantity must be at least 1", line.name)));
            }
            let already = self.refunded_units(item.order_id, item.line);
            let left = line.quantity.saturating_sub(already);
            if item.quantity > left {
                return Err(bad(format!(
                    "{}: {} sold, {} already refunded, so at most {} can be refunded",
                    line.name, line.quantity, already, left
                )));
            }
            total =
                total.checked_add(units_share(totals, line.quantity, already, item.quantity)?)?;
        }
        if !total.is_positive() {
            return Err(bad(
                "those items were free; there is nothing to refund".into()
            ));
        }
        Ok(total)
    }
}
