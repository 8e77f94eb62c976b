-- The server's SQLite schema at version 11, as a fresh database has it.
-- Written by crates/server/tests/schema.rs; do not edit.

-- index automation_runs_order
CREATE INDEX automation_runs_order ON automation_runs (order_id);

-- index commission_runs_period
CREATE INDEX commission_runs_period ON commission_runs (period, ran_at);

-- index conflict_devices_device
CREATE INDEX conflict_devices_device ON conflict_devices (device_id);

-- index conflicts_open
CREATE INDEX conflicts_open ON conflicts (created_at) WHERE resolved_at IS NULL;

-- index conflicts_record
CREATE INDEX conflicts_record ON conflicts (record_type, record_id);

-- index follow_ups_customer
CREATE INDEX follow_ups_customer ON follow_ups (customer_id);

-- index follow_ups_due
CREATE INDEX follow_ups_due ON follow_ups (next_at) WHERE state = 'retrying';

-- index notifications_follow_up
CREATE INDEX notifications_follow_up ON notifications (follow_up_id);

-- index notifications_order
CREATE INDEX notifications_order ON notifications (order_id);

-- index notifications_queued
CREATE INDEX notifications_queued ON notifications (next_at) WHERE state = 'queued';

-- index orders_event
CREATE INDEX orders_event ON orders (event_id, device_id, staff);

-- index orders_unfilled
CREATE INDEX orders_unfilled ON orders (id) WHERE currency IS NULL;

-- index processor_jobs_due
CREATE INDEX processor_jobs_due ON processor_jobs (due_at) WHERE state <> 'done';

-- index records_event
CREATE INDEX records_event ON records (event_id, seq) WHERE event_id IS NOT NULL;

-- index records_shared
CREATE INDEX records_shared ON records (seq) WHERE event_id IS NULL;

-- index saved_cards_customer
CREATE INDEX saved_cards_customer ON saved_cards (customer_id);

-- index scheduled_charges_due
CREATE INDEX scheduled_charges_due ON scheduled_charges (charge_at) WHERE state = 'scheduled';

-- index scheduled_charges_order
CREATE INDEX scheduled_charges_order ON scheduled_charges (order_id);

-- index sign_in_failures_last
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_at);

-- index till_sessions_event
CREATE INDEX till_sessions_event ON till_sessions (event_id, opened_at);

-- index transactions_created
CREATE INDEX transactions_created ON transactions (created_at, id);

-- index transactions_customer
CREATE INDEX transactions_customer ON transactions (customer_id) WHERE customer_id IS NOT NULL;

-- index transactions_device
CREATE INDEX transactions_device ON transactions (device_id, created_at);

-- index transactions_event
CREATE INDEX transactions_event ON transactions (event_id, created_at);

-- index transactions_external
CREATE INDEX transactions_external ON transactions (external_system, external_reference) WHERE external_reference IS NOT NULL;

-- index transactions_holds
CREATE INDEX transactions_holds ON transactions (expires_at)
WHERE kind = 'authorize' AND result = 'approved' AND voided = 0 AND amount_minor > captured_minor;

-- index transactions_order
CREATE INDEX transactions_order ON transactions (order_id);

-- index transactions_parent
CREATE INDEX transactions_parent ON transactions (parent_id) WHERE parent_id IS NOT NULL;

-- index webhook_deliveries_due
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';

-- index webhook_deliveries_endpoint
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

-- table audit_log
CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY NOT NULL,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    note    TEXT
) STRICT;

-- table automation_runs
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

-- table automations
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

-- table card_setups
CREATE TABLE card_setups (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);

-- table commission_rules
CREATE TABLE commission_rules (
    id               TEXT PRIMARY KEY,
    beneficiary_kind TEXT NOT NULL CHECK (beneficiary_kind IN ('staff', 'referrer')),
    beneficiary      TEXT NOT NULL,
    rate             TEXT NOT NULL,
    scope            TEXT NOT NULL,
    needs            TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    retired_at       BIGINT
);

-- table commission_runs
CREATE TABLE commission_runs (
    id         TEXT PRIMARY KEY,
    period     TEXT NOT NULL,
    ran_at     BIGINT NOT NULL,
    ran_by     TEXT NOT NULL,
    body       TEXT NOT NULL
);

-- table conflict_devices
CREATE TABLE conflict_devices (
    conflict_id TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    PRIMARY KEY (conflict_id, device_id)
) STRICT;

-- table conflicts
CREATE TABLE conflicts (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('over_refund', 'over_capture', 'duplicate_reference', 'offer_name_taken')),
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    others      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    device_id   TEXT,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by TEXT,
    note        TEXT
) STRICT;

-- table customers
CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    name          TEXT,
    email         TEXT,
    phone         TEXT,
    updated_at    BIGINT NOT NULL,
    device_id     TEXT NOT NULL,
    -- The processor's id of this customer, once a card was first saved.
    processor_ref TEXT
);

-- table devices
CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    code         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    enrolled_at  INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_push_at INTEGER
) STRICT;

-- table enrollments
CREATE TABLE enrollments (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL CHECK (length(name) > 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) STRICT;

-- table follow_up_attempts
CREATE TABLE follow_up_attempts (
    follow_up_id TEXT NOT NULL,
    n            INTEGER NOT NULL,
    tx_id        TEXT NOT NULL UNIQUE,
    made_at      BIGINT NOT NULL,
    PRIMARY KEY (follow_up_id, n)
);

-- table follow_ups
CREATE TABLE follow_ups (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    -- The declined charge that began it.
    first_tx      TEXT NOT NULL UNIQUE,
    state         TEXT NOT NULL,
    next_at       BIGINT,
    -- Names the customer's update-your-card page (/update-card/<token>) while it runs.
    card_token    TEXT UNIQUE,
    last_reason   TEXT,
    started_at    BIGINT NOT NULL,
    ended_at      BIGINT,
    ended_by      TEXT
);

-- table manager_tokens
CREATE TABLE manager_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    manager    TEXT NOT NULL REFERENCES managers (name),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- table managers
CREATE TABLE managers (
    name          TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- table notifications
CREATE TABLE "notifications" (
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

-- table offers
CREATE TABLE offers (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    retired_at INTEGER
) STRICT;

-- table orders
CREATE TABLE orders (
    id             TEXT PRIMARY KEY NOT NULL,
    seq            INTEGER NOT NULL,
    receipt        TEXT NOT NULL,
    customer_name  TEXT,
    customer_email TEXT,
    customer_phone TEXT,
    device_id      TEXT NOT NULL,
    event_id       TEXT,
    staff          TEXT NOT NULL,
    created_at     INTEGER NOT NULL
, currency TEXT, discount_minor INTEGER) STRICT;

-- table orders_text
CREATE VIRTUAL TABLE orders_text USING fts5 (
    order_id UNINDEXED, customer_name, customer_email, customer_phone, receipt, tokenize = 'trigram'
);

-- table orders_text_config
CREATE TABLE 'orders_text_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table orders_text_content
CREATE TABLE 'orders_text_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3, c4);

-- table orders_text_data
CREATE TABLE 'orders_text_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table orders_text_docsize
CREATE TABLE 'orders_text_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table orders_text_idx
CREATE TABLE 'orders_text_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table processor_jobs
CREATE TABLE processor_jobs (
    tx_id        TEXT PRIMARY KEY,
    -- 'charge' or 'refund'.
    kind         TEXT NOT NULL,
    -- 'due' (to send or to ask about), 'approval' (waiting for the customer offsite),
    -- 'pending' (a refund the processor has not finished), 'done'.
    state        TEXT NOT NULL,
    -- Not before this time (milliseconds).
    due_at       BIGINT NOT NULL,
    -- A server process working on it holds it until this time.
    lease_until  BIGINT NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    processor_id TEXT,
    approval_url TEXT,
    -- Names the job in the customer's approval link (/approve/<token>), while it waits.
    approval_token TEXT UNIQUE,
    -- The last thing the processor said, or why it could not be asked.
    message      TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);

-- table processor_settled
CREATE TABLE processor_settled (
    balance_id TEXT PRIMARY KEY,
    import_id  TEXT NOT NULL,
    at         BIGINT NOT NULL
);

-- table records
CREATE TABLE records (
    seq         INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    device_id   TEXT,
    event_id    TEXT,
    received_at INTEGER NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (record_type, record_id)
) STRICT;

-- table result_changes
CREATE TABLE result_changes (
    transaction_id TEXT NOT NULL,
    n              INTEGER NOT NULL,
    result         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    PRIMARY KEY (transaction_id, n)
) STRICT;

-- table saved_cards
CREATE TABLE saved_cards (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    brand       TEXT NOT NULL,
    last4       TEXT NOT NULL,
    exp_month   INTEGER NOT NULL,
    exp_year    INTEGER NOT NULL,
    saved_at    BIGINT NOT NULL,
    removed_at  BIGINT
);

-- table scheduled_charges
CREATE TABLE scheduled_charges (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    -- The card chosen; if it was replaced by then, the customer's newest card is charged.
    card_id     TEXT NOT NULL,
    charge_at   BIGINT NOT NULL,
    state       TEXT NOT NULL,
    tx_id       TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- table settlement_formats
CREATE TABLE settlement_formats (
    name     TEXT PRIMARY KEY NOT NULL,
    mapping  TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    saved_by TEXT NOT NULL
) STRICT;

-- table settlement_imports
CREATE TABLE settlement_imports (
    id           TEXT PRIMARY KEY NOT NULL,
    file_hash    TEXT NOT NULL UNIQUE,
    file_name    TEXT NOT NULL,
    format       TEXT NOT NULL,
    window_hours INTEGER NOT NULL,
    event_id     TEXT,
    imported_at  INTEGER NOT NULL,
    imported_by  TEXT NOT NULL,
    row_count    INTEGER NOT NULL,
    skipped      INTEGER NOT NULL
) STRICT;

-- table settlement_matches
CREATE TABLE settlement_matches (
    import_id      TEXT NOT NULL,
    line           INTEGER NOT NULL,
    transaction_id TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('matched', 'amount_mismatch', 'suggested', 'confirmed', 'linked')),
    decided_at     INTEGER NOT NULL,
    decided_by     TEXT NOT NULL,
    PRIMARY KEY (import_id, line),
    UNIQUE (import_id, transaction_id)
) STRICT;

-- table settlement_rows
CREATE TABLE settlement_rows (
    import_id     TEXT NOT NULL,
    line          INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
    reference     TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    at            INTEGER NOT NULL,
    last4         TEXT,
    approval_code TEXT,
    PRIMARY KEY (import_id, line)
) STRICT;

-- table sign_in_failures
CREATE TABLE sign_in_failures (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);

-- table till_closes
CREATE TABLE till_closes (
    session_id     TEXT PRIMARY KEY NOT NULL,
    seq            INTEGER NOT NULL,
    device_id      TEXT NOT NULL,
    currency       TEXT NOT NULL,
    closed_at      INTEGER NOT NULL,
    closed_by      TEXT NOT NULL,
    counted_minor  INTEGER NOT NULL,
    expected_minor INTEGER NOT NULL,
    note           TEXT
) STRICT;

-- table till_sessions
CREATE TABLE till_sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    seq         INTEGER NOT NULL,
    device_id   TEXT NOT NULL,
    event_id    TEXT,
    currency    TEXT NOT NULL,
    float_minor INTEGER NOT NULL,
    opened_at   INTEGER NOT NULL,
    opened_by   TEXT NOT NULL
) STRICT;

-- table transaction_totals
CREATE TABLE transaction_totals (
    event_id     TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    staff        TEXT NOT NULL,
    method       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    parent_kind  TEXT NOT NULL,
    result       TEXT NOT NULL,
    tx_count     INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (event_id, device_id, staff, method, currency, kind, parent_kind, result)
) STRICT;

-- table transactions
CREATE TABLE transactions (
    id                 TEXT PRIMARY KEY NOT NULL,
    seq                INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    parent_id          TEXT,
    parent_kind        TEXT,
    root_id            TEXT NOT NULL,
    order_id           TEXT,
    amount_minor       INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    method             TEXT NOT NULL,
    external_system    TEXT,
    external_reference TEXT,
    result             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER,
    device_id          TEXT NOT NULL,
    event_id           TEXT,
    staff              TEXT NOT NULL
, card_last4 TEXT, approval_code TEXT, captured_minor INTEGER NOT NULL DEFAULT 0, voided INTEGER NOT NULL DEFAULT 0, customer_id TEXT) STRICT;

-- table transactions_reference_text
CREATE VIRTUAL TABLE transactions_reference_text USING fts5 (
    transaction_id UNINDEXED, external_reference, tokenize = 'trigram'
);

-- table transactions_reference_text_config
CREATE TABLE 'transactions_reference_text_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table transactions_reference_text_content
CREATE TABLE 'transactions_reference_text_content'(id INTEGER PRIMARY KEY, c0, c1);

-- table transactions_reference_text_data
CREATE TABLE 'transactions_reference_text_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table transactions_reference_text_docsize
CREATE TABLE 'transactions_reference_text_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table transactions_reference_text_idx
CREATE TABLE 'transactions_reference_text_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table webhook_attempts
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    n           BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    took_ms     BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, n)
);

-- table webhook_deliveries
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

-- table webhook_endpoints
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

-- table webhook_messages
CREATE TABLE webhook_messages (
    id         TEXT PRIMARY KEY,
    event      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (event, subject)
);

-- trigger audit_log_no_delete
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- trigger audit_log_no_update
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- trigger orders_text_insert
CREATE TRIGGER orders_text_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_text (order_id, customer_name, customer_email, customer_phone, receipt)
    VALUES (NEW.id, NEW.customer_name, NEW.customer_email, NEW.customer_phone, NEW.receipt);
END;

-- trigger transaction_children_apply_row
CREATE TRIGGER transaction_children_apply_row INSTEAD OF INSERT ON transaction_children_apply BEGIN
    UPDATE transactions SET
        captured_minor = coalesce((SELECT sum(c.amount_minor) FROM transactions c WHERE c.parent_id = NEW.id
            AND c.kind = 'capture' AND c.result IN ('approved', 'unknown')), 0),
        voided = EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = NEW.id
            AND v.kind = 'void' AND v.result = 'approved')
    WHERE id = NEW.id;
END;

-- trigger transaction_totals_add_row
CREATE TRIGGER transaction_totals_add_row INSTEAD OF INSERT ON transaction_totals_add BEGIN
    INSERT INTO transaction_totals VALUES (NEW.event_id, NEW.device_id, NEW.staff, NEW.method, NEW.currency,
        NEW.kind, NEW.parent_kind, NEW.result, NEW.n, NEW.amount_minor)
    ON CONFLICT DO UPDATE SET tx_count = tx_count + excluded.tx_count, amount_minor = amount_minor + excluded.amount_minor;
    DELETE FROM transaction_totals
    WHERE event_id = NEW.event_id AND device_id = NEW.device_id AND staff = NEW.staff AND method = NEW.method
      AND currency = NEW.currency AND kind = NEW.kind AND parent_kind = NEW.parent_kind AND result = NEW.result
      AND tx_count = 0;
END;

-- trigger transaction_totals_insert
CREATE TRIGGER transaction_totals_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transaction_totals_add VALUES (coalesce(NEW.event_id, ''), NEW.device_id, NEW.staff, NEW.method,
        NEW.currency, NEW.kind, coalesce(NEW.parent_kind, ''), NEW.result, 1, NEW.amount_minor);
END;

-- trigger transaction_totals_result
CREATE TRIGGER transaction_totals_result AFTER UPDATE OF result ON transactions
WHEN OLD.result <> NEW.result BEGIN
    INSERT INTO transaction_totals_add VALUES (coalesce(OLD.event_id, ''), OLD.device_id, OLD.staff, OLD.method,
        OLD.currency, OLD.kind, coalesce(OLD.parent_kind, ''), OLD.result, -1, -OLD.amount_minor);
    INSERT INTO transaction_totals_add VALUES (coalesce(NEW.event_id, ''), NEW.device_id, NEW.staff, NEW.method,
        NEW.currency, NEW.kind, coalesce(NEW.parent_kind, ''), NEW.result, 1, NEW.amount_minor);
END;

-- trigger transactions_children_before
CREATE TRIGGER transactions_children_before AFTER INSERT ON transactions
WHEN EXISTS (SELECT 1 FROM transactions c WHERE c.parent_id = NEW.id) BEGIN
    INSERT INTO transaction_children_apply VALUES (NEW.id);
END;

-- trigger transactions_children_insert
CREATE TRIGGER transactions_children_insert AFTER INSERT ON transactions
WHEN NEW.parent_id IS NOT NULL AND NEW.kind IN ('capture', 'void') BEGIN
    INSERT INTO transaction_children_apply VALUES (NEW.parent_id);
END;

-- trigger transactions_children_result
CREATE TRIGGER transactions_children_result AFTER UPDATE OF result ON transactions
WHEN NEW.parent_id IS NOT NULL AND NEW.kind IN ('capture', 'void') AND OLD.result <> NEW.result BEGIN
    INSERT INTO transaction_children_apply VALUES (NEW.parent_id);
END;

-- trigger transactions_reference_text_insert
CREATE TRIGGER transactions_reference_text_insert AFTER INSERT ON transactions
WHEN NEW.external_reference IS NOT NULL BEGIN
    INSERT INTO transactions_reference_text (transaction_id, external_reference)
    VALUES (NEW.id, NEW.external_reference);
END;

-- view transaction_children_apply
CREATE VIEW transaction_children_apply AS SELECT id FROM transactions WHERE 0;

-- view transaction_totals_add
CREATE VIEW transaction_totals_add AS
SELECT event_id, device_id, staff, method, currency, kind, parent_kind, result, tx_count AS n, amount_minor
FROM transaction_totals WHERE 0;
