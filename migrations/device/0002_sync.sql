-- Fairtill device database, version 2: what sync brings in.
-- Records pulled from the server (other devices' orders and transactions of this event, and
-- their offers) live in the same tables, marked remote, so a customer can be refunded at any
-- booth. The outbox pushes only this device's own records (remote = 0).

ALTER TABLE orders ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));
ALTER TABLE transactions ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));
ALTER TABLE result_changes ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));
ALTER TABLE write_offs ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));
ALTER TABLE offers ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));
ALTER TABLE offer_retirements ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));

-- Where pulling stands: the server's cursor, for the event it was asked about.
CREATE TABLE pull_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    event_id  TEXT,
    cursor    TEXT NOT NULL
) STRICT;

-- Records the server refused as malformed: kept here with its reason, shown to the user.
-- (The record itself stays in its table; nothing is deleted.)
CREATE TABLE sync_rejections (
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (record_type, record_id)
) STRICT;

-- The server this device syncs with (its token is in the OS keyring, never here).
CREATE TABLE sync_server (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    url         TEXT NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    name        TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL
) STRICT;
