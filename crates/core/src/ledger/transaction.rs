//! Transactions: immutable facts about money, each with a history of results.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::SaleContext;
use crate::ids::{CustomerId, OrderId, TxId};
use crate::money::Money;

/// The six kinds of transaction (docs/domain.md).
///
/// `label()` gives the kind with its article for messages ("an authorization").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    /// Reserve money on a card, to capture later.
    Authorize,
    /// Take (part of) an authorized amount.
    Capture,
    /// Take money at once.
    Sale,
    /// Cancel an authorization's remainder, a logged sale entered by mistake, or a pending refund.
    Void,
    /// Give money back against a sale or capture.
    Refund,
    /// Pay money to a customer beyond a refund (needs a manager).
    Credit,
}

/// The five results a transaction can have (docs/domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TxResult {
    /// It went through; only approved transactions move money.
    Approved,
    /// The payment method refused it.
    Declined,
    /// The customer walked away.
    Abandoned,
    /// Canceled before it completed.
    Canceled,
    /// Not known yet (a pending refund, a terminal that timed out); may later become another result.
    Unknown,
}

macro_rules! str_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            /// Parses a stored name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
        }
    };
}

str_enum!(TxKind { Authorize => "authorize", Capture => "capture", Sale => "sale", Void => "void", Refund => "refund", Credit => "credit" });
str_enum!(TxResult { Approved => "approved", Declined => "declined", Abandoned => "abandoned", Canceled => "canceled", Unknown => "unknown" });

impl TxKind {
    /// The kind as a noun, for messages: "authorization", "sale".
    pub fn noun(self) -> &'static str {
        match self {
            TxKind::Authorize => "authorization",
            TxKind::Capture => "capture",
            TxKind::Sale => "sale",
            TxKind::Void => "void",
            TxKind::Refund => "refund",
            TxKind::Credit => "credit",
        }
    }

    /// The kind with its article, for messages: "an authorization", "a sale".
    pub fn label(self) -> &'static str {
        match self {
            TxKind::Authorize => "an authorization",
            TxKind::Capture => "a capture",
            TxKind::Sale => "a sale",
            TxKind::Void => "a void",
            TxKind::Refund => "a refund",
            TxKind::Credit => "a credit",
        }
    }
}

impl TxResult {
    /// The one transition rule for results: only `unknown` may change, and to something else.
    pub fn can_become(self, next: TxResult) -> bool {
        match self {
            TxResult::Unknown => next != TxResult::Unknown,
            TxResult::Approved | TxResult::Declined | TxResult::Abandoned | TxResult::Canceled => {
                false
            }
        }
    }
}

/// How the money moved. Cash is taken by hand, cards on a separate terminal, and `External` /
/// `MarkedPaid` are *logged*: paid elsewhere (docs/domain.md, rule 11). Only `CardOnFile` moves
/// money through Fairtill: the server charges it at the processor (rule 14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash in the till.
    Cash,
    /// A card on a separate terminal at the booth.
    Card {
        /// Last four digits, if noted.
        last4: Option<String>,
        /// The terminal's approval code, if noted.
        approval_code: Option<String>,
    },
    /// Paid in another system (a web shop, a bank transfer): log, don't charge.
    External {
        /// The other system's name.
        system: String,
        /// Its reference for the payment.
        reference: String,
    },
    /// An open order marked as paid by hand, with a note saying how.
    MarkedPaid {
        /// How it was paid.
        note: String,
    },
    /// A customer's card saved at the processor, charged by the server (rule 14). Only the
    /// processor's id of the card and what may be shown of it: never its number.
    CardOnFile {
        /// Whose card.
        customer: CustomerId,
        /// The processor's id of the card (a Stripe payment method, `pm_…`).
        card: String,
        /// Brand, e.g. `visa`.
        brand: String,
        /// Last four digits.
        last4: String,
    },
}

impl PaymentMethod {
    /// The stored name of the method.
    pub fn name(&self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card { .. } => "card",
            PaymentMethod::External { .. } => "external",
            PaymentMethod::MarkedPaid { .. } => "marked_paid",
            PaymentMethod::CardOnFile { .. } => "card_on_file",
        }
    }

    /// True when the processor, not the till, says what happened (rule 14).
    pub fn is_processor(&self) -> bool {
        match self {
            PaymentMethod::CardOnFile { .. } => true,
            PaymentMethod::Cash
            | PaymentMethod::Card { .. }
            | PaymentMethod::External { .. }
            | PaymentMethod::MarkedPaid { .. } => false,
        }
    }

    /// True when the money was taken elsewhere and only logged here.
    pub fn is_logged(&self) -> bool {
        match self {
            PaymentMethod::External { .. } | PaymentMethod::MarkedPaid { .. } => true,
            PaymentMethod::Cash | PaymentMethod::Card { .. } | PaymentMethod::CardOnFile { .. } => {
                false
            }
        }
    }
}

/// One entry in a transaction's result history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ResultChange {
    /// The result from this time on.
    pub result: TxResult,
    /// When it was recorded.
    pub at: Timestamp,
    /// Why, if said.
    pub note: Option<String>,
    /// For an authorization the processor approved: when the processor lets its hold lapse
    /// (Stripe's `capture_before`). The authorization expires then if that is sooner than its
    /// own window (docs/domain.md, rule 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub expires_at: Option<Timestamp>,
}

/// How a refund was asked for (docs/domain.md, rule 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum RefundStrategyKind {
    /// The full amount of the payment.
    Full,
    /// Specific lines and quantities.
    Items,
    /// An amount of the remaining balance.
    Amount,
}

str_enum!(RefundStrategyKind { Full => "full", Items => "items", Amount => "amount" });

/// Units of one order line given back by an item refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RefundItem {
    /// The order.
    pub order_id: OrderId,
    /// 0-based line index in the order.
    pub line: u32,
    /// Units refunded.
    pub quantity: u32,
}

/// What a refund transaction carries beyond its amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RefundDetail {
    /// The strategy used.
    pub strategy: RefundStrategyKind,
    /// The lines and quantities, for an item refund.
    pub items: Vec<RefundItem>,
    /// For the rest of a refund too big for the payment it was asked of, given back from
    /// another part of the same split order (docs/domain.md, rule 16): the refund it completes.
    /// That refund holds the items; this one holds none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rest_of: Option<TxId>,
}

impl RefundDetail {
    /// A refund asked for by `strategy`, with no items yet and complete in itself.
    pub fn of(strategy: RefundStrategyKind) -> Self {
        RefundDetail {
            strategy,
            items: vec![],
            rest_of: None,
        }
    }
}

/// An immutable transaction. Operations on it are new transactions naming it as `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Transaction {
    /// Identifier (a refund's id is its refund transaction's id).
    pub id: TxId,
    /// Kind.
    pub kind: TxKind,
    /// The transaction this one operates on (capture → authorize, refund → sale/capture, void → target).
    pub parent: Option<TxId>,
    /// The kind of the parent, kept so a void's effect on totals is known without a lookup.
    pub parent_kind: Option<TxKind>,
    /// The first transaction of the chain (itself for authorize, sale and credit).
    pub root: TxId,
    /// Orders it relates to: zero, one or several (docs/domain.md, rule 10).
    pub order_ids: Vec<OrderId>,
    /// Amount (for a void: the amount it released).
    pub amount: Money,
    /// How the money moved.
    pub method: PaymentMethod,
    /// Result changes, oldest first; never empty.
    pub history: Vec<ResultChange>,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// For an authorization: when it expires uncaptured.
    pub expires_at: Option<Timestamp>,
    /// For a refund: strategy and items.
    pub refund: Option<RefundDetail>,
    /// A voided paid transaction this one replaces (docs/domain.md, rule 12).
    pub replaces: Option<TxId>,
    /// For a credit: the manager who permitted it.
    pub approved_by: Option<String>,
    /// Why (voids, refunds, credits, mark-as-paid).
    pub reason: Option<String>,
    /// Device, event and staff.
    pub context: SaleContext,
}

impl Transaction {
    /// The current result: the last in the history.
    pub fn result(&self) -> TxResult {
        self.history.last().map_or(TxResult::Unknown, |c| c.result)
    }

    /// Adds a result change; one that says when the processor's hold lapses brings the
    /// authorization's expiry forward to then.
    pub fn push_change(&mut self, change: ResultChange) {
        if let Some(hold) = change.expires_at {
            self.expires_at = Some(self.expires_at.map_or(hold, |own| own.min(hold)));
        }
        self.history.push(change);
    }

    /// True when the current result is approved.
    pub fn is_approved(&self) -> bool {
        self.result() == TxResult::Approved
    }

    /// True for kinds that start a chain.
    pub fn is_root(&self) -> bool {
        match self.kind {
            TxKind::Authorize | TxKind::Sale | TxKind::Credit => true,
            TxKind::Capture | TxKind::Void | TxKind::Refund => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unknown_results_change() {
        for r in TxResult::ALL {
            for next in TxResult::ALL {
                let allowed = r.can_become(*next);
                assert_eq!(
                    allowed,
                    *r == TxResult::Unknown && *next != TxResult::Unknown,
                    "{r:?} -> {next:?}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for k in TxKind::ALL {
            assert_eq!(TxKind::parse(k.as_str()), Some(*k));
        }
        for r in TxResult::ALL {
            assert_eq!(TxResult::parse(r.as_str()), Some(*r));
        }
    }
}
