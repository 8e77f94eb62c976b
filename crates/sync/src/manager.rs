//! The manager's client: sign in to the server with a manager account, then read every till's
//! transactions, close-outs, conflicts and settlements. The token is kept in the OS keyring
//! like the device's ([`Credential::for_manager`](crate::Credential::for_manager)).

use fairtill_core::csv_text::ExportFor;
use fairtill_core::filter::{Page, TxFilter};
use fairtill_core::ids::{CustomerId, DeviceId, EventId, OrderId, TxId};
use fairtill_core::ledger::Summary;
use fairtill_protocol::{
    AuditEntry, Automation, AutomationChange, CloseOut, ColumnMapping, CommissionPeriod,
    CommissionRule, CommissionRun, Conflict, CustomerMatch, CustomerRecord, Device, EventSummary,
    ExportQuery, FollowUp, HourlySales, ListQuery, LoginRequest, LoginResponse, ManagerOrder,
    NewAutomation, NewCommissionRule, NewWebhookEndpoint, Notification, Payout,
    ReceiptEmailRequest, RescheduleRequest, ScheduleRequest, ScheduledCharge, SettlementImport,
    SettlementReport, WebhookDelivery, WebhookEndpoint, WebhookEndpointChange, WebhookSecret,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::client::{offline, ClientError, SyncClient};

/// Requests to one server as one signed-in manager.
#[derive(Clone, Debug)]
pub struct ManagerClient {
    client: SyncClient,
}

/// Which part of an event a close-out covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseOutScope {
    /// The event.
    pub event_id: Option<EventId>,
    /// Only this till.
    pub device_id: Option<DeviceId>,
    /// Only this staff member.
    pub staff: Option<String>,
}

/// How to read a settlement file being imported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOptions {
    /// The file's name, to recognise it later.
    pub file_name: String,
    /// A format or saved mapping by name; recognised from the header when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The currency of files that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Hours either side a suggestion may be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_hours: Option<u32>,
    /// Only this event's transactions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventId>,
}

/// A manager's sign-in that is missing, refused or expired says so in the server's words.
fn signed_in(e: ClientError) -> ClientError {
    match e {
        ClientError::Unauthorized(message) => ClientError::SignIn(message),
        other => other,
    }
}

fn scope_query(scope: &CloseOutScope) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(e) = scope.event_id {
        q.push(("event", e.to_string()));
    }
    if let Some(d) = scope.device_id {
        q.push(("device", d.to_string()));
    }
    if let Some(s) = scope.staff.as_ref().filter(|s| !s.trim().is_empty()) {
        q.push(("staff", s.clone()));
    }
    q
}

impl ManagerClient {
    /// Signs in as `name` on `server_url`; the client and the sign-in (with its token, for the
    /// keyring).
    pub async fn sign_in(
        server_url: &str,
        name: &str,
        password: &str,
    ) -> Result<(ManagerClient, LoginResponse), ClientError> {
        let anonymous = SyncClient::new(server_url, None, None)?;
        let url = format!("{}/v1/manager/login", anonymous.server_url());
        let login: LoginResponse = anonymous
            .send(anonymous.http().post(url).json(&LoginRequest {
                name: name.trim().to_string(),
                password: password.to_string(),
            }))
            .await
            .map_err(signed_in)?;
        let client = ManagerClient::with_token(server_url, &login.token)?;
        Ok((client, login))
    }

    /// A client with a token kept from an earlier sign-in.
    pub fn with_token(server_url: &str, token: &str) -> Result<ManagerClient, ClientError> {
        Ok(ManagerClient {
            client: SyncClient::new(server_url, Some(token.to_string()), None)?,
        })
    }

    /// The server's address.
    pub fn server_url(&self) -> &str {
        self.client.server_url()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/manager{path}", self.client.server_url())
    }

    async fn get<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<T, ClientError> {
        let req = self.client.http().get(self.url(path)).query(query);
        self.client.send(req).await.map_err(signed_in)
    }

    async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let req = self.client.http().post(self.url(path)).json(body);
        self.client.send(req).await.map_err(signed_in)
    }

    async fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let req = self.client.http().patch(self.url(path)).json(body);
        self.client.send(req).await.map_err(signed_in)
    }

    /// Writes a CSV answer into `out` as it arrives; the bytes written.
    async fn download<Q: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &Q,
        made_for: ExportFor,
        out: &mut impl std::io::Write,
    ) -> Result<u64, ClientError> {
        let export = ExportQuery {
            plain: made_for == ExportFor::Script,
        };
        let req = self
            .client
            .http()
            .get(self.url(path))
            .query(query)
            .query(&export);
        let mut res = self.client.respond(req).await.map_err(signed_in)?;
        let mut written = 0;
        while let Some(chunk) = res.chunk().await.map_err(offline)? {
            out.write_all(&chunk).map_err(|e| {
                ClientError::Protocol(format!("the file could not be written: {e}"))
            })?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }

    /// Signs out: the server stops accepting this client's token at once. A token the server
    /// no longer knows (expired, or signed out before) is signed out already.
    pub async fn sign_out(&self) -> Result<(), ClientError> {
        let req = self.client.http().post(self.url("/logout"));
        match self.client.respond(req).await {
            Ok(_) | Err(ClientError::Unauthorized(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every till the server knows.
    pub async fn devices(&self) -> Result<Vec<Device>, ClientError> {
        self.get("/devices", &()).await
    }

    /// The events transactions were recorded at, newest first.
    pub async fn events(&self) -> Result<Vec<EventSummary>, ClientError> {
        self.get("/events", &()).await
    }

    /// A page of every till's transactions, newest first.
    pub async fn transactions(
        &self,
        filter: &TxFilter,
        device: Option<DeviceId>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page, ClientError> {
        let q = ListQuery {
            after: after.map(str::to_string),
            limit: Some(limit),
            ..ListQuery::new(filter, device)
        };
        self.get("/transactions", &q).await
    }

    /// The per-currency summary of the filtered transactions.
    pub async fn summary(
        &self,
        filter: &TxFilter,
        device: Option<DeviceId>,
    ) -> Result<Summary, ClientError> {
        self.get("/summary", &ListQuery::new(filter, device)).await
    }

    /// The filtered transactions as CSV, written to `out`; the bytes written.
    pub async fn export_transactions(
        &self,
        filter: &TxFilter,
        device: Option<DeviceId>,
        made_for: ExportFor,
        out: &mut impl std::io::Write,
    ) -> Result<u64, ClientError> {
        self.download(
            "/transactions.csv",
            &ListQuery::new(filter, device),
            made_for,
            out,
        )
        .await
    }

    /// One order with its history across tills.
    pub async fn order(&self, id: OrderId) -> Result<ManagerOrder, ClientError> {
        self.get(&format!("/orders/{id}"), &()).await
    }

    /// Customers whose name, email or phone holds `text`.
    pub async fn find_customers(&self, text: &str) -> Result<Vec<CustomerMatch>, ClientError> {
        self.get("/customers", &[("q", text)]).await
    }

    /// One customer's record across tills.
    pub async fn customer(&self, id: CustomerId) -> Result<CustomerRecord, ClientError> {
        self.get(&format!("/customers/{id}"), &()).await
    }

    /// Declined payments in follow-up, newest first (with `all`, also those that ended).
    pub async fn follow_ups(&self, all: bool) -> Result<Vec<FollowUp>, ClientError> {
        self.get("/follow-ups", &[("all", all.to_string())]).await
    }

    /// Ends a follow-up: no more attempts.
    pub async fn end_follow_up(&self, id: Uuid) -> Result<FollowUp, ClientError> {
        self.post(&format!("/follow-ups/{id}/end"), &serde_json::json!({}))
            .await
    }

    /// Queues an order's receipt by email (to `email`, or the order's customer's address).
    pub async fn email_receipt(
        &self,
        order: OrderId,
        email: Option<String>,
    ) -> Result<Notification, ClientError> {
        self.post(
            &format!("/orders/{order}/receipt-emails"),
            &ReceiptEmailRequest { email },
        )
        .await
    }

    /// Every webhook endpoint, with its deliveries counted.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, ClientError> {
        self.get("/webhooks", &()).await
    }

    /// Registers a webhook endpoint; the answer holds its secret, shown once.
    pub async fn add_webhook(
        &self,
        new: &NewWebhookEndpoint,
    ) -> Result<WebhookSecret, ClientError> {
        self.post("/webhooks", new).await
    }

    /// Changes a webhook endpoint (or turns it off or on).
    pub async fn change_webhook(
        &self,
        id: Uuid,
        change: &WebhookEndpointChange,
    ) -> Result<WebhookEndpoint, ClientError> {
        self.patch(&format!("/webhooks/{id}"), change).await
    }

    /// Every commission rule.
    pub async fn commission_rules(&self) -> Result<Vec<CommissionRule>, ClientError> {
        self.get("/commission-rules", &()).await
    }

    /// Adds a commission rule.
    pub async fn add_commission_rule(
        &self,
        new: &NewCommissionRule,
    ) -> Result<CommissionRule, ClientError> {
        self.post("/commission-rules", new).await
    }

    /// Retires a commission rule.
    pub async fn retire_commission_rule(&self, id: Uuid) -> Result<CommissionRule, ClientError> {
        self.post(
            &format!("/commission-rules/{id}/retire"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Runs the commission report for a period (and compares it with the last run of it).
    pub async fn run_commissions(
        &self,
        period: &CommissionPeriod,
    ) -> Result<CommissionRun, ClientError> {
        self.post("/commission-runs", period).await
    }

    /// A kept commission run as CSV, into `out`; the bytes written.
    pub async fn export_commissions(
        &self,
        id: Uuid,
        made_for: ExportFor,
        out: &mut impl std::io::Write,
    ) -> Result<u64, ClientError> {
        self.download(&format!("/commission-runs/{id}/csv"), &(), made_for, out)
            .await
    }

    /// Every automation, with the orders each ran for counted.
    pub async fn automations(&self) -> Result<Vec<Automation>, ClientError> {
        self.get("/automations", &()).await
    }

    /// Adds an automation.
    pub async fn add_automation(&self, new: &NewAutomation) -> Result<Automation, ClientError> {
        self.post("/automations", new).await
    }

    /// Turns an automation off or on.
    pub async fn change_automation(
        &self,
        id: Uuid,
        change: &AutomationChange,
    ) -> Result<Automation, ClientError> {
        self.patch(&format!("/automations/{id}"), change).await
    }

    /// Gives a webhook endpoint a new secret, shown once.
    pub async fn rotate_webhook_secret(&self, id: Uuid) -> Result<WebhookSecret, ClientError> {
        self.post(
            &format!("/webhooks/{id}/rotate-secret"),
            &serde_json::json!({}),
        )
        .await
    }

    /// A webhook endpoint's latest deliveries with their attempts.
    pub async fn webhook_deliveries(&self, id: Uuid) -> Result<Vec<WebhookDelivery>, ClientError> {
        self.get(&format!("/webhooks/{id}/deliveries"), &()).await
    }

    /// Sends a webhook delivery again.
    pub async fn resend_webhook(&self, delivery: Uuid) -> Result<WebhookDelivery, ClientError> {
        self.post(
            &format!("/webhook-deliveries/{delivery}/resend"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Scheduled charges (with `all`, also those made or canceled).
    pub async fn scheduled_charges(&self, all: bool) -> Result<Vec<ScheduledCharge>, ClientError> {
        self.get("/scheduled-charges", &[("all", all.to_string())])
            .await
    }

    /// Schedules the balance of `order` to be charged to a saved card.
    pub async fn schedule_charge(
        &self,
        order: OrderId,
        request: &ScheduleRequest,
    ) -> Result<ScheduledCharge, ClientError> {
        self.post(&format!("/orders/{order}/scheduled-charges"), request)
            .await
    }

    /// Moves a scheduled charge to `charge_at`.
    pub async fn reschedule(
        &self,
        id: Uuid,
        charge_at: jiff::Timestamp,
    ) -> Result<ScheduledCharge, ClientError> {
        self.patch(
            &format!("/scheduled-charges/{id}"),
            &RescheduleRequest { charge_at },
        )
        .await
    }

    /// Cancels a scheduled charge.
    pub async fn cancel_scheduled(&self, id: Uuid) -> Result<ScheduledCharge, ClientError> {
        self.post(
            &format!("/scheduled-charges/{id}/cancel"),
            &serde_json::json!({}),
        )
        .await
    }

    /// An event's close-out.
    pub async fn close_out(&self, scope: &CloseOutScope) -> Result<CloseOut, ClientError> {
        self.get("/closeout", &scope_query(scope)).await
    }

    /// A close-out part (`figures`, `sessions`, `authorizations`) as CSV, written to `out`.
    pub async fn export_close_out(
        &self,
        scope: &CloseOutScope,
        part: &str,
        made_for: ExportFor,
        out: &mut impl std::io::Write,
    ) -> Result<u64, ClientError> {
        let mut q = scope_query(scope);
        q.push(("part", part.to_string()));
        self.download("/closeout.csv", &q, made_for, out).await
    }

    /// Sales per hour of an event.
    pub async fn sales_by_hour(
        &self,
        scope: &CloseOutScope,
    ) -> Result<Vec<HourlySales>, ClientError> {
        self.get("/sales-by-hour", &scope_query(scope)).await
    }

    /// The conflicts raised at sync, newest first.
    pub async fn conflicts(&self, include_resolved: bool) -> Result<Vec<Conflict>, ClientError> {
        self.get(
            "/conflicts",
            &[("include_resolved", include_resolved.to_string())],
        )
        .await
    }

    /// Resolves a conflict with a note, and with `void`, a correction: that transaction (one
    /// of the conflict's sides) voided in the manager's name.
    pub async fn resolve_conflict(
        &self,
        id: Uuid,
        note: &str,
        void: Option<TxId>,
    ) -> Result<Conflict, ClientError> {
        self.post(
            &format!("/conflicts/{id}/resolve"),
            &serde_json::json!({ "note": note, "void": void }),
        )
        .await
    }

    /// Publishes events and catalog products to every device: a product's publish becomes its
    /// newest version, so it wins over a till's change made to an older one (docs/domain.md).
    pub async fn publish(
        &self,
        records: &[fairtill_protocol::Record],
    ) -> Result<Vec<fairtill_protocol::PushResult>, ClientError> {
        let answer: fairtill_protocol::PushResponse = self
            .post("/catalog", &serde_json::json!({ "records": records }))
            .await?;
        Ok(answer.results)
    }

    /// What managers did, newest first.
    pub async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, ClientError> {
        self.get("/audit", &[("limit", limit.to_string())]).await
    }

    /// Fetches what the card processor settled since the last fetch and matches it; its report.
    pub async fn fetch_settlement(
        &self,
        window_hours: Option<u32>,
        event: Option<EventId>,
    ) -> Result<SettlementReport, ClientError> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(h) = window_hours {
            query.push(("window_hours", h.to_string()));
        }
        if let Some(e) = event {
            query.push(("event", e.to_string()));
        }
        let req = self
            .client
            .http()
            .post(self.url("/settlements/processor"))
            .query(&query);
        self.client.send(req).await.map_err(signed_in)
    }

    /// The card processor's latest payouts to the bank.
    pub async fn payouts(&self) -> Result<Vec<Payout>, ClientError> {
        self.get("/payouts", &()).await
    }

    /// Imports a settlement file; its report.
    pub async fn import_settlement(
        &self,
        file: Vec<u8>,
        options: &ImportOptions,
    ) -> Result<SettlementReport, ClientError> {
        let req = self
            .client
            .http()
            .post(self.url("/settlements"))
            .query(options)
            .header("content-type", "text/csv")
            .body(file);
        self.client.send(req).await.map_err(signed_in)
    }

    /// Every settlement import, newest first.
    pub async fn settlements(&self) -> Result<Vec<SettlementImport>, ClientError> {
        self.get("/settlements", &()).await
    }

    /// An import's report.
    pub async fn settlement(&self, id: Uuid) -> Result<SettlementReport, ClientError> {
        self.get(&format!("/settlements/{id}"), &()).await
    }

    /// Confirms or rejects a row's match, or links it to a transaction.
    pub async fn decide(
        &self,
        id: Uuid,
        line: u64,
        action: &str,
        transaction_id: Option<String>,
    ) -> Result<SettlementReport, ClientError> {
        self.post(
            &format!("/settlements/{id}/rows/{line}"),
            &serde_json::json!({ "action": action, "transaction_id": transaction_id }),
        )
        .await
    }

    /// The formats a settlement file can be read as.
    pub async fn formats(&self) -> Result<Vec<ColumnMapping>, ClientError> {
        self.get("/settlement-formats", &()).await
    }

    /// Saves a column mapping.
    pub async fn save_format(&self, mapping: &ColumnMapping) -> Result<ColumnMapping, ClientError> {
        self.post("/settlement-formats", mapping).await
    }
}
