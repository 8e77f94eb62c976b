-- Fairtill server, embedded SQLite, version 1. Times are INTEGER milliseconds since the epoch,
-- money INTEGER minor units. The same tables as migrations/server/postgres/0001_init.sql: the
-- server's statements are written once for both.

CREATE TABLE enrollments (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL CHECK (length(name) > 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) STRICT;

CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    code         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    enrolled_at  INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_push_at INTEGER
) STRICT;

-- Every record any device pushed (or the server created), once, by key. `seq` is given under
-- the push lock, in commit order, so a pull cursor never skips a record.
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
CREATE INDEX records_event ON records (event_id, seq) WHERE event_id IS NOT NULL;
CREATE INDEX records_shared ON records (seq) WHERE event_id IS NULL;

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
) STRICT;

-- Transactions as columns, for the cross-device rules and the manager's queries. `result` is
-- the newest known result (result changes may arrive before their transaction).
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
) STRICT;
CREATE INDEX transactions_parent ON transactions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX transactions_external ON transactions (external_system, external_reference) WHERE external_reference IS NOT NULL;
CREATE INDEX transactions_created ON transactions (created_at, id);
CREATE INDEX transactions_device ON transactions (device_id, created_at);
CREATE INDEX transactions_event ON transactions (event_id, created_at);
CREATE INDEX transactions_order ON transactions (order_id);

CREATE TABLE result_changes (
    transaction_id TEXT NOT NULL,
    n              INTEGER NOT NULL,
    result         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    PRIMARY KEY (transaction_id, n)
) STRICT;

CREATE TABLE offers (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    retired_at INTEGER
) STRICT;

-- A rule broken across devices: both sides are stored, and a manager resolves it.
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
CREATE INDEX conflicts_open ON conflicts (created_at) WHERE resolved_at IS NULL;

-- Every device a conflict involves (the pusher and the owners of the other side).
CREATE TABLE conflict_devices (
    conflict_id TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    PRIMARY KEY (conflict_id, device_id)
) STRICT;
CREATE INDEX conflict_devices_device ON conflict_devices (device_id);

CREATE TABLE managers (
    name          TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE manager_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    manager    TEXT NOT NULL REFERENCES managers (name),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- What managers did, kept for good: nothing here is updated or deleted.
CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY NOT NULL,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    note    TEXT
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
