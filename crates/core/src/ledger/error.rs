//! Why the ledger refused an operation. Messages say what happened and what to do instead.

use jiff::Timestamp;

use crate::ids::{OrderId, TxId};
use crate::money::{Money, MoneyError};
use crate::order::OrderError;

use super::state::OrderStatus;
use super::transaction::{TxKind, TxResult};

/// A refused ledger operation. A refused operation changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// No such transaction.
    #[error("there is no transaction {0}")]
    UnknownTransaction(TxId),
    /// No such order.
    #[error("there is no order {0}")]
    UnknownOrder(OrderId),
    /// The id is taken.
    #[error("{0} is already recorded")]
    Duplicate(String),
    /// The operation needs an approved transaction.
    #[error("this {kind} was {result}, not approved, so it cannot be {action}")]
    NotApproved {
        /// Its kind.
        kind: &'static str,
        /// Its result.
        result: &'static str,
        /// What was attempted ("captured").
        action: &'static str,
    },
    /// Only authorizations can be captured.
    #[error("only an authorization can be captured; this is {0}")]
    NotAnAuthorization(&'static str),
    /// Capturing more than is left.
    #[error(
        "cannot capture {requested}: only {capturable} of the authorization is left to capture"
    )]
    CaptureExceedsAuthorization {
        /// Asked for.
        requested: Money,
        /// Left.
        capturable: Money,
    },
    /// The authorization was voided.
    #[error("this authorization was voided; it can no longer be captured")]
    AuthorizationVoided,
    /// The capture window passed.
    #[error("this authorization expired at {0} (capture window passed); it counts as canceled")]
    AuthorizationExpired(Timestamp),
    /// Money was taken: refund, don't void.
    #[error("money was taken for this {0}: give it back with a refund, not a void")]
    RefundInstead(&'static str),
    /// Nothing left to void.
    #[error("nothing is left to void on this authorization (all of it was captured); refund the captures instead")]
    NothingToVoid,
    /// Already voided.
    #[error("this transaction was already voided")]
    AlreadyVoided,
    /// Void of something that cannot be voided.
    #[error("{0} cannot be voided")]
    NotVoidable(&'static str),
    /// Void of a refund that is not pending.
    #[error("only a pending refund can be voided; this one is {0}")]
    RefundNotPending(&'static str),
    /// A logged sale with refunds cannot be voided.
    #[error("this sale already has refunds, so it cannot be voided; refund the rest instead")]
    VoidAfterRefund,
    /// Refund of something that is not a sale or capture.
    #[error("refunds apply only to approved sales and captures; this is {0}")]
    NotRefundable(&'static str),
    /// Refund beyond what is left.
    #[error("cannot refund {requested}: only {refundable} of this payment can still be refunded")]
    RefundExceedsBalance {
        /// Asked for.
        requested: Money,
        /// Left.
        refundable: Money,
    },
    /// Full refund after partial refunds.
    #[error("part of this payment was already refunded; refund the remaining {0} instead of the full amount")]
    AlreadyPartlyRefunded(Money),
    /// A refund item that does not fit the order.
    #[error("cannot refund item: {0}")]
    BadRefundItem(String),
    /// Currency differs from the original.
    #[error("amount is in {found}, but this is in {expected}: refunds and captures use the original currency")]
    WrongCurrency {
        /// The original currency.
        expected: &'static str,
        /// The one given.
        found: &'static str,
    },
    /// Credits need a manager.
    #[error("a credit pays out money beyond a refund and needs a manager's approval")]
    CreditNeedsManager,
    /// A reason is needed.
    #[error("a {0} needs a reason")]
    ReasonRequired(&'static str),
    /// A result that cannot change.
    #[error("this transaction is {0}; only an unknown result can change")]
    ResultFinal(&'static str),
    /// Resolving to unknown again, or resolving a voided refund.
    #[error("cannot change the result to {0}")]
    BadResult(&'static str),
    /// Paying more than is due.
    #[error("{amount} is more than the {due} still due on the order")]
    Overpayment {
        /// Asked for.
        amount: Money,
        /// Still due.
        due: Money,
    },
    /// The order is not open.
    #[error("the order is {0}, so this cannot be done")]
    OrderNotOpen(&'static str),
    /// The method cannot be used that way.
    #[error("{method} cannot be used to {action}")]
    MethodNotAllowed {
        /// Method name.
        method: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// The processor, not the till, decides this (rule 14): the words say what to do.
    #[error("{0}")]
    ProcessorDecides(&'static str),
    /// A replacement that does not replace a voided paid transaction.
    #[error("a replacement must replace a paid sale that was voided: {0}")]
    BadReplacement(&'static str),
    /// Money problem.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Order problem.
    #[error(transparent)]
    Order(#[from] OrderError),
}

impl LedgerError {
    pub(crate) fn not_approved(kind: TxKind, result: TxResult, action: &'static str) -> Self {
        LedgerError::NotApproved {
            kind: kind.noun(),
            result: result.as_str(),
            action,
        }
    }

    pub(crate) fn order_not_open(status: OrderStatus) -> Self {
        LedgerError::OrderNotOpen(status.label())
    }
}
