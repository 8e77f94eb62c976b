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
pub mod webhook;

use std::future::Future;
use std::pin::Pin;

use fairtill_core::ids::TxId;
use fairtill_core::money::Money;
use fairtill_core::Timestamp;

/// A processor's customer, by its id there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef(pub String);

/// A saved card at the processor: its id and what may be shown of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorCard {
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

/// A card setup begun at the processor: the processor's card form finishes it in the
/// customer's browser with `client_secret`, which is all Fairtill hands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSetup {
    /// The processor's id (a Stripe SetupIntent, `seti_…`).
    pub id: String,
    /// What the card form needs to finish it (not a secret key: it opens this setup only).
    pub client_secret: String,
}

/// How a card setup stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupOutcome {
    /// The card is saved and attached to the customer.
    Saved(ProcessorCard),
    /// The customer has not finished the form (or the processor is still checking).
    Unfinished,
    /// The card was refused: the processor's words.
    Failed(String),
}

/// A payment or refund the processor settled to the account: one entry of its balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The processor's id of the balance entry (`txn_…`).
    pub id: String,
    /// Money in (a payment) or out (a refund).
    pub kind: fairtill_protocol::SettlementKind,
    /// What Fairtill knows it by: the payment's id (`pi_…`) or the refund's (`re_…`).
    pub reference: String,
    /// The amount, positive whichever way it went.
    pub amount: Money,
    /// The processor's fee on it.
    pub fee: Money,
    /// When the processor recorded it.
    pub at: Timestamp,
}

/// A future of a processor call.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProcessorError>> + Send + 'a>>;

/// What the ledger asks of a card processor. One adapter per processor implements it; the
/// server holds it as `Arc<dyn Processor>`.
///
/// Calls that move money carry the ledger transaction as idempotency key and metadata, but do
/// **not** look for what an earlier try made: the caller does that ([`Processor::find_payment`],
/// [`Processor::find_refund`]) when its own records say an earlier try may have been sent, so a
/// first try costs one request.
pub trait Processor: Send + Sync + std::fmt::Debug {
    /// The processor's name, for messages and logs: `stripe`.
    fn name(&self) -> &'static str;

    /// What this processor can do.
    fn capabilities(&self) -> Capabilities;

    /// The payments and refunds settled to the account, newest first: those recorded at or
    /// after `since`, or all of them.
    fn settled(&self, since: Option<Timestamp>) -> Call<'_, Vec<Settled>>;

    /// The latest payouts to the seller's bank, newest first.
    fn payouts(&self) -> Call<'_, Vec<fairtill_protocol::Payout>>;

    /// Makes a customer; `key` names it in Fairtill (the idempotency key).
    fn create_customer<'a>(
        &'a self,
        key: &'a str,
        name: Option<&'a str>,
        email: Option<&'a str>,
    ) -> Call<'a, CustomerRef>;

    /// The customer's saved cards, newest first.
    fn cards<'a>(&'a self, customer: &'a CustomerRef) -> Call<'a, Vec<ProcessorCard>>;

    /// Begins saving a card for `customer`, to be finished in the processor's card form.
    fn start_card_setup<'a>(&'a self, customer: &'a CustomerRef) -> Call<'a, CardSetup>;

    /// How setup `id` stands; once the form finished it, the card is attached to `customer`.
    fn finish_card_setup<'a>(
        &'a self,
        id: &'a str,
        customer: &'a CustomerRef,
    ) -> Call<'a, SetupOutcome>;

    /// Detaches a saved card: it can no longer be charged.
    fn remove_card<'a>(&'a self, card: &'a str) -> Call<'a, ()>;

    /// Pays with a saved card for a ledger transaction.
    fn pay<'a>(&'a self, request: &'a PaymentRequest) -> Call<'a, Payment>;

    /// A payment by the processor's id.
    fn payment<'a>(&'a self, id: &'a str) -> Call<'a, Payment>;

    /// What the processor's own script needs to let the customer approve payment `id`
    /// offsite (Stripe: the PaymentIntent's client secret; it opens this payment only).
    fn approval_secret<'a>(&'a self, id: &'a str) -> Call<'a, String>;

    /// The payment made for a ledger transaction, if one was.
    fn find_payment(&self, ledger_tx: TxId) -> Call<'_, Option<Payment>>;

    /// Captures `amount` of an authorized payment (the ledger's capture `ledger_tx`).
    fn capture<'a>(&'a self, payment: &'a str, amount: Money, ledger_tx: TxId)
        -> Call<'a, Payment>;

    /// Releases an authorized payment, or gives up one waiting for the customer's approval.
    fn cancel<'a>(&'a self, payment: &'a str) -> Call<'a, Payment>;

    /// Refunds `amount` of a payment for a ledger transaction.
    fn refund<'a>(&'a self, payment: &'a str, amount: Money, ledger_tx: TxId) -> Call<'a, Refund>;

    /// A refund by the processor's id.
    fn refund_status<'a>(&'a self, id: &'a str) -> Call<'a, Refund>;

    /// The refund made for a ledger transaction, if one was.
    fn find_refund(&self, ledger_tx: TxId) -> Call<'_, Option<Refund>>;
}

/// What a processor can do, so the ledger offers only that (and says why not otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Several captures per authorization (Stripe: only with multicapture enabled).
    pub multiple_captures: bool,
    /// Paying money to a card beyond a refund (Stripe: no).
    pub credits: bool,
}
