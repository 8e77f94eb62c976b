//! What a till and the server say about money that moves at the processor: where a charge or
//! refund stands, and what the processor's card form needs to save a card.

use fairtill_core::ids::TxId;
use fairtill_core::ledger::TxResult;
use serde::{Deserialize, Serialize};

/// Where the server's work on a charge or refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ChargeState {
    /// To send, or to ask the processor about (also while it cannot be reached).
    Due,
    /// Waiting for the customer to approve it offsite (3-D Secure).
    Approval,
    /// A refund the processor has not finished.
    Pending,
    /// The processor answered; the result is recorded.
    Done,
}

impl ChargeState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeState::Due => "due",
            ChargeState::Approval => "approval",
            ChargeState::Pending => "pending",
            ChargeState::Done => "done",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<ChargeState> {
        match text {
            "due" => Some(ChargeState::Due),
            "approval" => Some(ChargeState::Approval),
            "pending" => Some(ChargeState::Pending),
            "done" => Some(ChargeState::Done),
            _ => None,
        }
    }
}

/// A charge or refund as a till asks about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PaymentProgress {
    /// The ledger transaction.
    #[schema(value_type = String, format = Uuid)]
    pub transaction_id: TxId,
    /// Where the server's work on it stands.
    pub state: ChargeState,
    /// The transaction's result now.
    pub result: TxResult,
    /// The processor's words (a decline's reason), or why it could not be asked yet.
    pub message: Option<String>,
    /// Where the customer approves it, while it waits for them.
    pub approval_url: Option<String>,
}

/// What the card form needs to save a card: the processor's script and publishable key, the
/// setup it finishes, and the server's page that shows the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CardSetupStart {
    /// The setup at the processor (finish it with `POST /v1/card-setups/{id}/finish`).
    pub setup_id: String,
    /// What the processor's form needs to finish this one setup.
    pub client_secret: String,
    /// The processor's publishable key (not a secret).
    pub publishable_key: String,
    /// Where the processor's card form script is loaded from.
    pub script_url: String,
    /// The server's page with the card form for this setup (relative to the server's address).
    pub form_path: String,
}
