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
-- base64) as rendered when it was queued, so the log shows what is sent. SQLite cannot drop a
-- NOT NULL, so the table is made again with what it held.
CREATE TABLE notifications_new (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    customer_id     TEXT,
    order_id        TEXT,
    follow_up_id    TEXT,
    email           TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         BIGINT NOT NULL DEFAULT 0,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    html            TEXT,
    attachment_name TEXT,
    attachment      TEXT,
    requested_by    TEXT
);
INSERT INTO notifications_new (id, kind, customer_id, order_id, follow_up_id, email, subject, body, state,
                               created_at, sent_at, attempts, next_at, lease_until, error)
    SELECT id, kind, customer_id, order_id, follow_up_id, email, subject, body, state,
           created_at, sent_at, attempts, next_at, lease_until, error
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_queued ON notifications (next_at) WHERE state = 'queued';
CREATE INDEX notifications_follow_up ON notifications (follow_up_id);
CREATE INDEX notifications_order ON notifications (order_id);
