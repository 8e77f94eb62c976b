-- Fairtill server, version 2 (postgres): what a close-out reads besides transactions.
-- The same tables as the other backend's 0002_closeout.sql.

-- Cash sessions: a till's drawer opened with a float...
CREATE TABLE till_sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    seq         BIGINT NOT NULL,
    device_id   TEXT NOT NULL,
    event_id    TEXT,
    currency    TEXT NOT NULL,
    float_minor BIGINT NOT NULL,
    opened_at   BIGINT NOT NULL,
    opened_by   TEXT NOT NULL
);
CREATE INDEX till_sessions_event ON till_sessions (event_id, opened_at);

-- ...and closed with a count against the cash its ledger expected. A closing may arrive
-- before its opening (keyed by session, not joined by a foreign key).
CREATE TABLE till_closes (
    session_id     TEXT PRIMARY KEY NOT NULL,
    seq            BIGINT NOT NULL,
    device_id      TEXT NOT NULL,
    currency       TEXT NOT NULL,
    closed_at      BIGINT NOT NULL,
    closed_by      TEXT NOT NULL,
    counted_minor  BIGINT NOT NULL,
    expected_minor BIGINT NOT NULL,
    note           TEXT
);

-- An order's currency and the discount it gave (line and order discounts together), filled
-- when it is stored; orders stored before version 2 are filled in from their records at start.
ALTER TABLE orders ADD COLUMN currency TEXT;
ALTER TABLE orders ADD COLUMN discount_minor BIGINT;
CREATE INDEX orders_event ON orders (event_id, device_id, staff);
-- The start-up fill-in finds the orders still to fill without reading the others.
CREATE INDEX orders_unfilled ON orders (id) WHERE currency IS NULL;

-- A card payment's last four digits and the terminal's approval code, for matching a card
-- processor's settlement rows; filled from the stored records for transactions stored before.
ALTER TABLE transactions ADD COLUMN card_last4 TEXT;
ALTER TABLE transactions ADD COLUMN approval_code TEXT;
UPDATE transactions t SET
    card_last4 = (r.body::jsonb) #>> '{transaction,method,last4}',
    approval_code = (r.body::jsonb) #>> '{transaction,method,approval_code}'
FROM records r
WHERE r.record_type = 'transaction' AND r.record_id = t.id AND t.method = 'card';
CREATE INDEX conflicts_record ON conflicts (record_type, record_id);
