-- Fairtill device database, version 3: where the till is and who works it, and cash sessions.

-- Product search walks this index in name order and reads only the rows it returns.
CREATE INDEX products_search ON products (name COLLATE NOCASE, sku);

-- The till's current event and staff member (device-local, not synced).
CREATE TABLE till_settings (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    event_id  TEXT REFERENCES events (id),
    staff     TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO till_settings (singleton, event_id, staff) VALUES (1, NULL, '');

-- A till session: the cash drawer opened with a float...
CREATE TABLE till_sessions (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    device_id   TEXT NOT NULL,
    event_id    TEXT,
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    float_minor INTEGER NOT NULL CHECK (float_minor >= 0),
    opened_at   INTEGER NOT NULL,
    opened_by   TEXT NOT NULL CHECK (length(opened_by) > 0)
) STRICT;

-- ...and closed once with a count. Expected cash (float plus the ledger's cash since opening)
-- is kept with the count, so over/short stays as it was seen at closing.
CREATE TABLE till_closes (
    seq            INTEGER PRIMARY KEY,
    session_id     TEXT NOT NULL UNIQUE REFERENCES till_sessions (id),
    closed_at      INTEGER NOT NULL,
    closed_by      TEXT NOT NULL CHECK (length(closed_by) > 0),
    counted_minor  INTEGER NOT NULL CHECK (counted_minor >= 0),
    expected_minor INTEGER NOT NULL,
    note           TEXT
) STRICT;

CREATE TRIGGER till_sessions_append_only_u BEFORE UPDATE ON till_sessions
BEGIN SELECT RAISE(ABORT, 'till sessions are append-only'); END;
CREATE TRIGGER till_sessions_append_only_d BEFORE DELETE ON till_sessions
BEGIN SELECT RAISE(ABORT, 'till sessions are append-only'); END;
CREATE TRIGGER till_closes_append_only_u BEFORE UPDATE ON till_closes
BEGIN SELECT RAISE(ABORT, 'till closes are append-only'); END;
CREATE TRIGGER till_closes_append_only_d BEFORE DELETE ON till_closes
BEGIN SELECT RAISE(ABORT, 'till closes are append-only'); END;
