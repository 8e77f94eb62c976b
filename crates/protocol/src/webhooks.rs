//! Webhooks to other systems, as a manager registers and watches them: the events a webhook can
//! be sent for, the endpoints that receive them, and each delivery with every attempt.
//!
//! Deliveries follow the Standard Webhooks specification: a JSON body `{type, timestamp, data}`
//! and the headers `webhook-id` (the same on every attempt, for receivers to deduplicate by),
//! `webhook-timestamp` and `webhook-signature`.

use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What happened, as a webhook's `type` names it.
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
pub enum WebhookEvent {
    /// An order reached the server: sold at a till (when it syncs) or logged from another
    /// payment system. `data` is the order.
    #[serde(rename = "sale.recorded")]
    SaleRecorded,
    /// A payment (a sale or a capture) is approved: recorded so at a till, or answered so by
    /// the card processor. `data` is the transaction.
    #[serde(rename = "payment.approved")]
    PaymentApproved,
    /// A payment or authorization was declined. `data` is the transaction.
    #[serde(rename = "payment.declined")]
    PaymentDeclined,
    /// A refund completed: given back at the booth, or done by the card processor. `data` is
    /// the refund transaction.
    #[serde(rename = "refund.completed")]
    RefundCompleted,
    /// What an order still owed was written off. `data` is the write-off.
    #[serde(rename = "order.written_off")]
    OrderWrittenOff,
    /// Records from different tills disagree and wait for a manager. `data` is the conflict.
    #[serde(rename = "conflict.raised")]
    ConflictRaised,
    /// A declined card-on-file payment's follow-up began. `data` is the follow-up.
    #[serde(rename = "follow_up.started")]
    FollowUpStarted,
    /// A follow-up stopped trying: recovered, paid another way, a hard decline, out of
    /// attempts, or ended by a manager. `data` is the follow-up with its final state.
    #[serde(rename = "follow_up.ended")]
    FollowUpEnded,
    /// An automation ran for an order (sent to the automation's own endpoint, and to any that
    /// receives this event). `data` holds the automation, the order and the payment.
    #[serde(rename = "automation.ran")]
    AutomationRan,
}

impl WebhookEvent {
    /// Every event, in the order they are shown.
    pub const ALL: [WebhookEvent; 9] = [
        WebhookEvent::SaleRecorded,
        WebhookEvent::PaymentApproved,
        WebhookEvent::PaymentDeclined,
        WebhookEvent::RefundCompleted,
        WebhookEvent::OrderWrittenOff,
        WebhookEvent::ConflictRaised,
        WebhookEvent::FollowUpStarted,
        WebhookEvent::FollowUpEnded,
        WebhookEvent::AutomationRan,
    ];

    /// Its name, as in the `type` of a delivery and as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::SaleRecorded => "sale.recorded",
            WebhookEvent::PaymentApproved => "payment.approved",
            WebhookEvent::PaymentDeclined => "payment.declined",
            WebhookEvent::RefundCompleted => "refund.completed",
            WebhookEvent::OrderWrittenOff => "order.written_off",
            WebhookEvent::ConflictRaised => "conflict.raised",
            WebhookEvent::FollowUpStarted => "follow_up.started",
            WebhookEvent::FollowUpEnded => "follow_up.ended",
            WebhookEvent::AutomationRan => "automation.ran",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// A receiver of webhooks, as registered by a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WebhookEndpoint {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// Where deliveries are posted: HTTPS, or HTTP to this machine.
    pub url: String,
    /// What it is, in the manager's words.
    pub description: String,
    /// The events it receives.
    pub events: Vec<WebhookEvent>,
    /// False once a manager turned it off or it answered 410 Gone: nothing is sent to it.
    pub enabled: bool,
    /// Why it was turned off.
    pub disabled_reason: Option<String>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Until when deliveries are also signed with the secret before the last rotation.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_until: Option<Timestamp>,
    /// Deliveries waiting to be sent (or tried again).
    pub pending: u32,
    /// Deliveries given up after every attempt.
    pub failed: u32,
    /// Deliveries received.
    pub delivered: u32,
    /// Deliveries not sent because it was turned off.
    pub stopped: u32,
}

/// A new endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewWebhookEndpoint {
    /// Where to post: HTTPS, or HTTP to this machine (`localhost`, `127.0.0.1`, `::1`).
    pub url: String,
    /// What it is (optional).
    #[serde(default)]
    pub description: Option<String>,
    /// The events to send it; at least one.
    pub events: Vec<WebhookEvent>,
    /// Its signing secret (`whsec_` and 24 to 64 bytes in base64); made by the server if
    /// not given.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A change to an endpoint: what is given changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WebhookEndpointChange {
    /// A new address.
    #[serde(default)]
    pub url: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
    /// A new set of events.
    #[serde(default)]
    pub events: Option<Vec<WebhookEvent>>,
    /// Turn it on or off. Turned on again, what was stopped while it was off is sent.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An endpoint with its signing secret: the answer to registering one and to rotating its
/// secret, the only times the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WebhookSecret {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// The secret receivers check signatures with (`whsec_…`).
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waits for its first attempt or the next one.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
    /// Not sent: its endpoint was turned off (by a manager, or by answering 410 Gone).
    Stopped,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Delivered,
        DeliveryState::Failed,
        DeliveryState::Stopped,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Stopped => "stopped",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WebhookAttempt {
    /// Its number, from 1.
    pub n: u32,
    /// When it was sent.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong (no answer in time, a refused connection, a status other than 2xx).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub took_ms: u32,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WebhookDelivery {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The endpoint.
    #[schema(value_type = String, format = Uuid)]
    pub endpoint_id: Uuid,
    /// The `webhook-id` header: the same on every attempt and to every endpoint.
    pub message_id: String,
    /// The event.
    pub event: WebhookEvent,
    /// What it is about: the id of the order, transaction, write-off, conflict or follow-up.
    pub subject: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// When the event happened.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the next attempt is due, while pending.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_at: Option<Timestamp>,
    /// When the receiver took it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    /// The body as sent.
    pub payload: String,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}
