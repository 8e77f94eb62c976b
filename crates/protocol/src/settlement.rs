//! Settlement matching on the wire: how a processor's export is read (a column mapping), and
//! the report of its rows against the transactions the tills logged.

use fairtill_core::ids::TxId;
use fairtill_core::money::Money;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How to read one kind of export: which columns hold what. Each field lists the header names
/// it may have (exports rename columns between versions and languages); the first present wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ColumnMapping {
    /// What the format is called ("Stripe payments", or the manager's own name).
    pub name: String,
    /// The processor's reference for the payment (required).
    pub reference: Vec<String>,
    /// The amount charged or refunded (required).
    pub amount: Vec<String>,
    /// The currency code; empty when the file has none (the import then names one).
    #[serde(default)]
    pub currency: Vec<String>,
    /// The date, or date and time (required).
    pub date: Vec<String>,
    /// A separate time of day, if any.
    #[serde(default)]
    pub time: Vec<String>,
    /// A column saying what a row is (sale, refund, payout…), if any.
    #[serde(default)]
    pub kind: Vec<String>,
    /// Values of `kind` that are refunds.
    #[serde(default)]
    pub refund_kinds: Vec<String>,
    /// Values of `kind` that are payments; when empty, any row not a refund is a payment.
    #[serde(default)]
    pub payment_kinds: Vec<String>,
    /// Rows that moved no money through the processor (failed or canceled attempts, cash
    /// noted in the processor's app): skipped.
    #[serde(default)]
    pub skip: Vec<SkipRule>,
    /// The card's last four digits, if the file has them.
    #[serde(default)]
    pub last4: Vec<String>,
    /// The terminal's approval code, if the file has it.
    #[serde(default)]
    pub approval_code: Vec<String>,
    /// Dates are written day first (31.01.2025, 31/01/2025) rather than month first.
    #[serde(default)]
    pub day_first: bool,
}

/// Rows to skip: those whose `column` holds one of `values` (compared without case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SkipRule {
    /// The header names the column may have.
    pub column: Vec<String>,
    /// The values that mean "skip".
    pub values: Vec<String>,
}

/// Most unmatched transactions a report lists (the total is always given).
pub const UNMATCHED_SHOWN: usize = 500;

/// Payment or refund.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SettlementKind {
    /// Money taken from a customer.
    Payment,
    /// Money given back.
    Refund,
}

impl SettlementKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementKind::Payment => "payment",
            SettlementKind::Refund => "refund",
        }
    }

    /// From the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "payment" => Some(SettlementKind::Payment),
            "refund" => Some(SettlementKind::Refund),
            _ => None,
        }
    }
}

/// One payment or refund read from a settlement file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SettlementRow {
    /// Its line in the file (the header is line 1).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub line: u64,
    /// Payment or refund.
    pub kind: SettlementKind,
    /// The processor's reference (empty when the file's id columns were empty: such a row is
    /// matched by amount, currency and time).
    pub reference: String,
    /// The amount, always positive (`kind` says which way it went).
    pub amount: Money,
    /// When the processor recorded it.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The card's last four digits, if given.
    pub last4: Option<String>,
    /// The approval code, if given.
    pub approval_code: Option<String>,
}

/// How a file row and a transaction came together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    /// Same reference (or approval code), amount and currency: matched on import.
    Matched,
    /// Same reference but a different amount: needs a look.
    AmountMismatch,
    /// Same amount and currency near the same time, no reference to confirm it: a suggestion.
    Suggested,
    /// A suggestion the manager confirmed.
    Confirmed,
    /// Linked by hand by the manager.
    Linked,
}

impl MatchState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchState::Matched => "matched",
            MatchState::AmountMismatch => "amount_mismatch",
            MatchState::Suggested => "suggested",
            MatchState::Confirmed => "confirmed",
            MatchState::Linked => "linked",
        }
    }

    /// From the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "matched" => Some(MatchState::Matched),
            "amount_mismatch" => Some(MatchState::AmountMismatch),
            "suggested" => Some(MatchState::Suggested),
            "confirmed" => Some(MatchState::Confirmed),
            "linked" => Some(MatchState::Linked),
            _ => None,
        }
    }
}

/// A logged transaction as the settlement report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LedgerEntry {
    /// The transaction.
    #[schema(value_type = String, format = Uuid)]
    pub id: TxId,
    /// `sale`, `capture` or `refund`.
    pub kind: String,
    /// Its amount.
    pub amount: Money,
    /// `card` or `external`.
    pub method: String,
    /// The other system's reference, for a logged external sale.
    pub reference: Option<String>,
    /// The card's last four digits, if noted.
    pub last4: Option<String>,
    /// The approval code, if noted.
    pub approval_code: Option<String>,
    /// Its order's receipt.
    pub receipt: Option<String>,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// The till's name.
    pub device_name: String,
    /// Who recorded it.
    pub staff: String,
}

/// A file row with the transaction it goes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SettlementMatch {
    /// How they came together.
    pub state: MatchState,
    /// The file's row.
    pub row: SettlementRow,
    /// The transaction.
    pub entry: LedgerEntry,
    /// File amount less logged amount (zero unless `AmountMismatch`).
    pub difference: Money,
}

/// An imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SettlementImport {
    /// Its id.
    pub id: Uuid,
    /// The file's name as given.
    pub file_name: String,
    /// The format it was read as.
    pub format: String,
    /// When, and by whom.
    #[schema(value_type = String, format = DateTime)]
    pub imported_at: Timestamp,
    /// The manager who imported it.
    pub imported_by: String,
    /// Payments and refunds read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// Rows that moved no money at the processor (payouts, fees, failed attempts), skipped.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    /// How far apart in time a suggestion's two sides may be, in hours.
    pub window_hours: u32,
}

/// A settlement file against the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SettlementReport {
    /// The import.
    pub import: SettlementImport,
    /// Set when this file had been imported before: nothing was changed.
    pub already_imported: bool,
    /// Rows with their transaction, by state then line.
    pub matches: Vec<SettlementMatch>,
    /// File rows with no transaction.
    pub unmatched_rows: Vec<SettlementRow>,
    /// Card and external transactions in the file's time span with no row (the first
    /// [`UNMATCHED_SHOWN`], oldest first).
    pub unmatched_entries: Vec<LedgerEntry>,
    /// How many there are in all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unmatched_entries_total: u64,
}

/// Where a payout from the card processor to the seller's bank stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum PayoutState {
    /// Not sent to the bank yet.
    Pending,
    /// On its way.
    InTransit,
    /// In the bank account.
    Paid,
    /// The bank refused it (the money went back to the processor's balance).
    Failed,
    /// Canceled before it was sent.
    Canceled,
}

/// Money the card processor paid out to the seller's bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Payout {
    /// The processor's id (`po_…`).
    pub id: String,
    /// How much.
    pub amount: Money,
    /// When it reaches (or reached) the bank.
    #[schema(value_type = String, format = DateTime)]
    pub arrival: Timestamp,
    /// Where it stands.
    pub state: PayoutState,
    /// The bank's reason, when it failed.
    pub failure: Option<String>,
}
