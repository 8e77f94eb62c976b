-- Fairtill server, version 8: after the sale (issue 14): webhooks to other systems, sent from a
-- durable outbox, and receipts by email. The same webhook tables on both backends.
--
-- A receiver a manager registered. `events` is the space-separated list of event names it
-- receives. Deliveries are signed with `secret` and, until `previous_until`, also with the
-- secret it replaced (a rotation), so a receiver can move to the new one without losing any.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  BIGINT,
    -- 1 while deliveries are sent; 0 once a manager turned it off or it answered 410 Gone.
    enabled         BIGINT NOT NULL,
    disabled_reason TEXT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
-- One event, written in the database transaction that recorded what it tells of (a push, a
-- processor's answer, a follow-up's step), once per event and subject (the ledger id it is
-- about). `id` is its `webhook-id`; `payload` the body every endpoint is sent.
CREATE TABLE webhook_messages (
    id         TEXT PRIMARY KEY,
    event      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (event, subject)
);
-- A message's delivery to one endpoint that received its event when it happened. 'pending'
-- until the receiver answers 2xx ('delivered'), every attempt of the schedule failed
-- ('failed'), or the endpoint was turned off ('stopped'). Attempts so far (raised before each
-- one), the attempt a "send again" or a re-enabled endpoint began a new round at, when to try
-- next, and a sending process's hold on it, as for the mail queue.
CREATE TABLE webhook_deliveries (
    id           TEXT PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES webhook_messages (id),
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id),
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    round_start  BIGINT NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,
    lease_until  BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (message_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
-- Each attempt, for the manager: the receiver's status or what went wrong, and how long it took.
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    n           BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    took_ms     BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
-- Receipts by email (issue 14): a message may be for an order with no customer on file (the
-- address typed at the till), and carries an HTML part and an attachment (the receipt's PDF,
-- base64) as rendered when it was queued, so the log shows what is sent.
ALTER TABLE notifications ALTER COLUMN customer_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN html TEXT;
ALTER TABLE notifications ADD COLUMN attachment_name TEXT;
ALTER TABLE notifications ADD COLUMN attachment TEXT;
ALTER TABLE notifications ADD COLUMN requested_by TEXT;
CREATE INDEX notifications_order ON notifications (order_id);
