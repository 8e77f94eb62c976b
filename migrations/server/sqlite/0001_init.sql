-- Fairtill server, embedded SQLite, version 1. Times are INTEGER milliseconds since the epoch.

CREATE TABLE enrollments (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL CHECK (length(name) > 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) STRICT;

CREATE TABLE devices (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    code        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    enrolled_at INTEGER NOT NULL,
    revoked_at  INTEGER,
    last_push_at INTEGER
) STRICT;

-- Every record any device pushed (or the server created), once, by key. `seq` is given in commit
-- order, so a pull cursor never skips a record.
CREATE TABLE records (
    seq         INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    device_id   TEXT,
    event_id    TEXT,
    received_at INTEGER NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body)),
    UNIQUE (record_type, record_id)
) STRICT;
CREATE INDEX records_event ON records (event_id, seq) WHERE event_id IS NOT NULL;

-- Transactions as columns, for the cross-device rules and the manager's queries.
CREATE TABLE transactions (
    id                 TEXT PRIMARY KEY NOT NULL,
    seq                INTEGER NOT NULL REFERENCES records (seq),
    kind               TEXT NOT NULL,
    parent_id          TEXT,
    root_id            TEXT NOT NULL,
    order_id           TEXT,
    amount_minor       INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    method             TEXT NOT NULL,
    external_system    TEXT,
    external_reference TEXT,
    result             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    device_id          TEXT NOT NULL,
    event_id           TEXT,
    staff              TEXT NOT NULL
) STRICT;
CREATE INDEX transactions_parent ON transactions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX transactions_external ON transactions (external_system, external_reference) WHERE external_reference IS NOT NULL;
CREATE INDEX transactions_created ON transactions (created_at, id);

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
    others      TEXT NOT NULL CHECK (json_valid(others)),
    reason      TEXT NOT NULL,
    device_id   TEXT,
    devices     TEXT NOT NULL CHECK (json_valid(devices)),
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by TEXT,
    note        TEXT
) STRICT;
