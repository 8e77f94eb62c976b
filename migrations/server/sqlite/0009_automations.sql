-- Fairtill server, version 9: automations per product or offer (issue 14). The same tables on
-- both backends.
--
-- "After a sale of this product or offer: email the customer this message and/or call this
-- webhook". `needs` is what an order must hold (JSON [{sku, quantity}]: the product at least
-- once, or every line of the offer, copied when the automation was made; offers never change).
-- The email's subject and body are templates, checked when the automation is saved.
CREATE TABLE automations (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    trigger_kind        TEXT NOT NULL CHECK (trigger_kind IN ('product', 'offer')),
    trigger_ref         TEXT NOT NULL,
    needs               TEXT NOT NULL,
    email_subject       TEXT,
    email_body          TEXT,
    webhook_endpoint_id TEXT REFERENCES webhook_endpoints (id),
    enabled             BIGINT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
-- One automation's run for one order, written in the database transaction that stored the
-- approved payment that set it off: once per automation and order, whatever is pushed again.
CREATE TABLE automation_runs (
    automation_id      TEXT NOT NULL REFERENCES automations (id),
    order_id           TEXT NOT NULL,
    transaction_id     TEXT NOT NULL,
    ran_at             BIGINT NOT NULL,
    notification_id    TEXT,
    webhook_message_id TEXT,
    note               TEXT,
    PRIMARY KEY (automation_id, order_id)
);
CREATE INDEX automation_runs_order ON automation_runs (order_id);
