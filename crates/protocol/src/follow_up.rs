//! Charges the server makes on its own, as a manager sees and steers them: scheduled charges of
//! an order's balance, the follow-up of declined payments (dunning) with each of its attempts,
//! and the notifications queued for the customer.

use fairtill_core::ids::{CustomerId, OrderId, TxId};
use fairtill_core::ledger::TxResult;
use fairtill_core::money::Money;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a scheduled charge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ScheduleState {
    /// Waits for its time.
    Scheduled,
    /// The server made its charge (the transaction says how it went).
    Charged,
    /// The order had nothing due when its time came (paid another way): nothing was charged.
    NothingDue,
    /// A manager canceled it.
    Canceled,
}

impl ScheduleState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleState::Scheduled => "scheduled",
            ScheduleState::Charged => "charged",
            ScheduleState::NothingDue => "nothing_due",
            ScheduleState::Canceled => "canceled",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<ScheduleState> {
        match text {
            "scheduled" => Some(ScheduleState::Scheduled),
            "charged" => Some(ScheduleState::Charged),
            "nothing_due" => Some(ScheduleState::NothingDue),
            "canceled" => Some(ScheduleState::Canceled),
            _ => None,
        }
    }
}

/// The balance of an order, to be charged to a saved card at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScheduledCharge {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The order whose balance it charges.
    #[schema(value_type = String, format = Uuid)]
    pub order_id: OrderId,
    /// The order's receipt number.
    pub receipt: String,
    /// Whose card.
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    /// The customer's name, if known.
    pub customer_name: Option<String>,
    /// The processor's id of the card chosen (the customer's newest card is charged if this
    /// one was replaced by then).
    pub card_id: String,
    /// When the server charges it.
    #[schema(value_type = String, format = DateTime)]
    pub charge_at: Timestamp,
    /// Where it stands.
    pub state: ScheduleState,
    /// The charge the server made, once made.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub transaction_id: Option<TxId>,
    /// That charge's result.
    pub result: Option<TxResult>,
    /// What is due on the order now.
    pub balance_due: Money,
    /// The manager who scheduled it.
    pub created_by: String,
}

/// A manager schedules the balance of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScheduleRequest {
    /// Whose saved card to charge.
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    /// Which of their cards (default: their newest).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub card_id: Option<String>,
    /// When to charge it.
    #[schema(value_type = String, format = DateTime)]
    pub charge_at: Timestamp,
}

/// A manager moves a scheduled charge to another time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RescheduleRequest {
    /// The new time.
    #[schema(value_type = String, format = DateTime)]
    pub charge_at: Timestamp,
}

/// Where the follow-up of a declined payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    /// Waits for its next attempt.
    Retrying,
    /// An attempt waits for the processor's answer.
    Charging,
    /// An attempt was approved.
    Recovered,
    /// The order was paid another way (or written off).
    Paid,
    /// The card cannot be charged again (lost, stolen, fraud, a closed account): no more
    /// attempts until the customer saves another card.
    HardDecline,
    /// Every attempt of the schedule was declined.
    Exhausted,
    /// A manager ended it.
    Ended,
}

impl FollowUpState {
    /// Every state.
    pub const ALL: [FollowUpState; 7] = [
        FollowUpState::Retrying,
        FollowUpState::Charging,
        FollowUpState::Recovered,
        FollowUpState::Paid,
        FollowUpState::HardDecline,
        FollowUpState::Exhausted,
        FollowUpState::Ended,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpState::Retrying => "retrying",
            FollowUpState::Charging => "charging",
            FollowUpState::Recovered => "recovered",
            FollowUpState::Paid => "paid",
            FollowUpState::HardDecline => "hard_decline",
            FollowUpState::Exhausted => "exhausted",
            FollowUpState::Ended => "ended",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<FollowUpState> {
        match text {
            "retrying" => Some(FollowUpState::Retrying),
            "charging" => Some(FollowUpState::Charging),
            "recovered" => Some(FollowUpState::Recovered),
            "paid" => Some(FollowUpState::Paid),
            "hard_decline" => Some(FollowUpState::HardDecline),
            "exhausted" => Some(FollowUpState::Exhausted),
            "ended" => Some(FollowUpState::Ended),
            _ => None,
        }
    }

    /// True while the server may still charge for it (a new card brings back one that
    /// stopped at a hard decline or ran out of attempts).
    pub fn is_open(self) -> bool {
        match self {
            FollowUpState::Retrying
            | FollowUpState::Charging
            | FollowUpState::HardDecline
            | FollowUpState::Exhausted => true,
            FollowUpState::Recovered | FollowUpState::Paid | FollowUpState::Ended => false,
        }
    }
}

/// One attempt of a follow-up: a charge the server made on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FollowUpAttempt {
    /// Its number (the declined charge that began the follow-up is 0).
    pub n: u32,
    /// Its ledger transaction.
    #[schema(value_type = String, format = Uuid)]
    pub transaction_id: TxId,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub made_at: Timestamp,
    /// How much it charged.
    pub amount: Money,
    /// Its result.
    pub result: TxResult,
    /// The processor's words on it.
    pub note: Option<String>,
}

/// Where a queued message for a customer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    /// Waits to be delivered.
    Queued,
    /// Delivered.
    Sent,
    /// Delivery gave up.
    Failed,
    /// Not sent: the follow-up it belonged to ended first (the payment was recovered, the
    /// order paid another way, or a manager ended it).
    Withdrawn,
}

impl NotificationState {
    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<NotificationState> {
        match text {
            "queued" => Some(NotificationState::Queued),
            "sent" => Some(NotificationState::Sent),
            "failed" => Some(NotificationState::Failed),
            "withdrawn" => Some(NotificationState::Withdrawn),
            _ => None,
        }
    }
}

/// A message for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Notification {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// What it is: `payment_declined` (a follow-up's notice) or `receipt`.
    pub kind: String,
    /// To whom, when they are a customer on file.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<CustomerId>,
    /// Their address when it was queued (none known: it waits for one).
    pub email: Option<String>,
    /// Subject.
    pub subject: String,
    /// Text (a declined payment's notice has the customer's update-your-card link).
    pub body: String,
    /// The attachment's file name (a receipt's PDF), if it has one.
    pub attachment_name: Option<String>,
    /// Who asked for it (a receipt: the till's staff member or the manager), if anyone did.
    pub requested_by: Option<String>,
    /// Where it stands.
    pub state: NotificationState,
    /// When it was queued.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the mail server took it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    /// Tries to send it so far.
    pub attempts: u32,
    /// Why the last try did not send it.
    pub error: Option<String>,
}

/// The follow-up of an order whose charge to a saved card was declined while the customer was
/// not there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FollowUp {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The order.
    #[schema(value_type = String, format = Uuid)]
    pub order_id: OrderId,
    /// The order's receipt number.
    pub receipt: String,
    /// Whose card.
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    /// The customer's name, if known.
    pub customer_name: Option<String>,
    /// Where it stands.
    pub state: FollowUpState,
    /// When the next attempt is made, while it waits for one.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_at: Option<Timestamp>,
    /// What is due on the order now.
    pub balance_due: Money,
    /// The last decline's reason.
    pub last_reason: Option<String>,
    /// When it began (the first decline).
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When it ended.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    /// The manager who ended it.
    pub ended_by: Option<String>,
    /// The declined charge that began it, then each attempt, oldest first.
    pub attempts: Vec<FollowUpAttempt>,
    /// What was queued for the customer.
    pub notifications: Vec<Notification>,
}
