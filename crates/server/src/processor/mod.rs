//! Where money really moves: a card processor behind one small interface ([`Processor`]), one
//! adapter per processor ([`stripe::Stripe`] first). The ledger never calls a processor's API
//! itself, and no card number passes through here: cards are entered in the processor's own
//! form, and Fairtill keeps the processor's ids, brand, last four and expiry.
//!
//! **At most once per ledger transaction.** Every call that moves money names the ledger
//! transaction it carries out ([`TxId`]). The adapter sends that id as the processor's
//! idempotency key *and* as metadata on the object, and before it creates anything it looks
//! for an object already made for that id ([`Processor::find_payment`],
//! [`Processor::find_refund`]). Idempotency keys alone are not enough: they expire (Stripe keeps
//! them 24 h), and an emulator may ignore them; a server killed between the processor's answer
//! and its own commit learns on its next try what the processor already did.

pub mod stripe;

use std::future::Future;

use fairtill_core::ids::TxId;
use fairtill_core::money::Money;
use fairtill_core::Timestamp;

/// A processor's customer, by its id there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef(pub String);

/// A saved card at the processor: its id and what may be shown of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCard {
    /// The processor's payment method id.
    pub id: String,
    /// Brand, e.g. `visa`.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry month (1–12).
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
}

/// When the money of a payment is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// At once: a sale.
    Now,
    /// Held for a later capture: an authorization.
    Later,
}

/// A payment to make with a saved card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The ledger transaction this payment carries out.
    pub ledger_tx: TxId,
    /// How much.
    pub amount: Money,
    /// Whose card.
    pub customer: CustomerRef,
    /// Which card.
    pub card: String,
    /// Now or later.
    pub capture: Capture,
    /// What the processor's dashboard shows of it (the event and receipt).
    pub description: String,
}

/// Where a payment stands at the processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    /// The money was taken.
    Approved,
    /// Authorized: held until captured, cancelled, or the hold lapses.
    Authorized {
        /// When the processor lets the hold lapse, if it says.
        capture_before: Option<Timestamp>,
    },
    /// The card was declined.
    Declined {
        /// The processor's words.
        reason: String,
        /// A decline retrying cannot fix (lost or stolen card, fraud, invalid account).
        hard: bool,
    },
    /// The customer must approve it offsite (3-D Secure): send them to `url`.
    NeedsApproval {
        /// Where the customer approves.
        url: Option<String>,
    },
    /// Cancelled (released, or given up offsite).
    Canceled,
    /// The processor has not decided yet.
    Processing,
}

/// A payment at the processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The processor's id.
    pub id: String,
    /// The ledger transaction it carries out.
    pub ledger_tx: Option<TxId>,
    /// The amount asked for. (What was captured of it is the ledger's capture transactions:
    /// the ledger, not the processor, is the record of what was asked and taken.)
    pub amount: Money,
    /// Where it stands.
    pub status: PaymentStatus,
}

/// Where a refund stands at the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    /// Sent; the processor's batch has not run yet.
    Pending,
    /// The money went back.
    Complete,
    /// It did not go through.
    Failed,
    /// Cancelled before it went through.
    Canceled,
}

/// A refund at the processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The processor's id.
    pub id: String,
    /// The ledger transaction it carries out.
    pub ledger_tx: Option<TxId>,
    /// How much.
    pub amount: Money,
    /// Where it stands.
    pub status: RefundStatus,
}

/// Why a processor call did not give an answer about the money.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The processor could not be reached or did not answer in time: what happened is not
    /// known, so the caller finds out ([`Processor::find_payment`]) before it tries again.
    #[error("the payment processor cannot be reached: {0}")]
    Unreachable(String),
    /// The processor refused the request itself (not a decline): its words.
    #[error("the payment processor refused the request: {0}")]
    Refused(String),
    /// The processor's answer could not be read.
    #[error("the payment processor's answer could not be read: {0}")]
    Protocol(String),
}

/// What the ledger asks of a card processor. Every method that moves money is safe to call
/// again for the same ledger transaction: it returns what was done the first time.
pub trait Processor: Send + Sync {
    /// Makes a customer; `key` names it in Fairtill (the idempotency key).
    fn create_customer(
        &self,
        key: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> impl Future<Output = Result<CustomerRef, ProcessorError>> + Send;

    /// The customer's saved cards, newest first.
    fn cards(
        &self,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<Vec<SavedCard>, ProcessorError>> + Send;

    /// Pays with a saved card, once per ledger transaction.
    fn pay(
        &self,
        request: &PaymentRequest,
    ) -> impl Future<Output = Result<Payment, ProcessorError>> + Send;

    /// The payment made for a ledger transaction, if one was.
    fn find_payment(
        &self,
        ledger_tx: TxId,
    ) -> impl Future<Output = Result<Option<Payment>, ProcessorError>> + Send;

    /// Captures `amount` of an authorized payment (the ledger's capture `ledger_tx`).
    fn capture(
        &self,
        payment: &str,
        amount: Money,
        ledger_tx: TxId,
    ) -> impl Future<Output = Result<Payment, ProcessorError>> + Send;

    /// Releases an authorized payment.
    fn cancel(&self, payment: &str)
        -> impl Future<Output = Result<Payment, ProcessorError>> + Send;

    /// Refunds `amount` of a payment, once per ledger transaction.
    fn refund(
        &self,
        payment: &str,
        amount: Money,
        ledger_tx: TxId,
    ) -> impl Future<Output = Result<Refund, ProcessorError>> + Send;

    /// The refund made for a ledger transaction, if one was.
    fn find_refund(
        &self,
        ledger_tx: TxId,
    ) -> impl Future<Output = Result<Option<Refund>, ProcessorError>> + Send;
}
