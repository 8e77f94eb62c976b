//! fairtill-protocol: the wire types of device ↔ server sync and the API version.
//!
//! Records are the immutable facts of `fairtill-core` (orders, transactions, result changes,
//! write-offs, offers and their retirements) plus the catalog and events the server hands out.
//! Every record has a stable [`RecordKey`]; the server stores by key, so re-sending a record
//! never duplicates it.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod automations;
mod commissions;
mod customers;
mod follow_up;
mod list;
mod manager;
mod messages;
mod payments;
mod record;
mod settlement;
mod version;
mod webhooks;

pub use automations::{
    Automation, AutomationChange, AutomationEmail, AutomationNeed, AutomationRun,
    AutomationTrigger, NewAutomation,
};
pub use commissions::{
    Beneficiary, CommissionChange, CommissionLine, CommissionPeriod, CommissionRule, CommissionRun,
    CommissionScope, CommissionTotal, NewCommissionRule,
};
pub use customers::{CustomerMatch, CustomerRecord};
pub use follow_up::{
    FollowUp, FollowUpAttempt, FollowUpState, Notification, NotificationState, RescheduleRequest,
    ScheduleRequest, ScheduleState, ScheduledCharge,
};
pub use list::{blank, id_of, ExportQuery, ListFilter, ListQuery};
pub use manager::{
    AuditEntry, CashSession, CloseOut, CloseOutPart, Conflict, ConflictKind, Device, EventSummary,
    HourlySales, LoginRequest, LoginResponse, ManagerOrder, MethodSummary, OpenAuthorization,
    ReceiptEmailRequest, EXPIRES_SOON_HOURS, SERVER_DEVICE,
};
pub use messages::{
    DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, PullRequest, PullResponse,
    PushOutcome, PushRequest, PushResponse, PushResult,
};
pub use payments::{CardSetupStart, ChargeState, PaymentProgress};
pub use record::{Record, RecordKey, RecordType};
pub use settlement::{
    ColumnMapping, LedgerEntry, MatchState, Payout, PayoutState, SettlementImport, SettlementKind,
    SettlementMatch, SettlementReport, SettlementRow, SkipRule, UNMATCHED_SHOWN,
};
pub use version::{
    check_client_version, VersionError, API_VERSION, API_VERSION_HEADER, MAX_BATCH, MAX_BODY_BYTES,
};
pub use webhooks::{
    DeliveryState, NewWebhookEndpoint, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
    WebhookEndpointChange, WebhookEvent, WebhookSecret,
};
