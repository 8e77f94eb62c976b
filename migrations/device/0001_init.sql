-- Fairtill device database, version 1.
-- Money is INTEGER minor units plus a currency code, so SUM() is exact.
-- Times are INTEGER milliseconds since the Unix epoch (UTC).
-- Orders, transactions and their facts are append-only: triggers refuse UPDATE and DELETE,
-- except a transaction's current `result`, a projection of result_changes that may only move
-- away from 'unknown'.

CREATE TABLE device (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id    TEXT NOT NULL CHECK (length(device_id) = 36),
    code         TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 8 AND code NOT GLOB '*[^A-Z0-9]*'),
    name         TEXT NOT NULL CHECK (length(name) > 0),
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
    id                  TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    name                TEXT NOT NULL CHECK (length(name) > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    body                TEXT NOT NULL CHECK (json_valid(body)),
    created_at          INTEGER NOT NULL
) STRICT;

CREATE TABLE products (
    sku              TEXT PRIMARY KEY NOT NULL CHECK (length(sku) > 0),
    name             TEXT NOT NULL CHECK (length(name) > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    tax_category     TEXT NOT NULL CHECK (tax_category IN ('standard', 'reduced', 'exempt')),
    barcode          TEXT UNIQUE CHECK (barcode IS NULL OR (length(barcode) > 0 AND barcode NOT GLOB '*[^0-9]*')),
    favourite        INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX products_name ON products (name COLLATE NOCASE);

CREATE TABLE offers (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    name       TEXT NOT NULL CHECK (length(name) > 0),
    currency   TEXT NOT NULL CHECK (length(currency) = 3),
    body       TEXT NOT NULL CHECK (json_valid(body)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE offer_retirements (
    seq        INTEGER PRIMARY KEY,
    offer_id   TEXT NOT NULL UNIQUE REFERENCES offers (id),
    retired_at INTEGER NOT NULL,
    staff      TEXT NOT NULL
) STRICT;

CREATE TABLE orders (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    receipt        TEXT NOT NULL,
    receipt_seq    INTEGER NOT NULL CHECK (receipt_seq >= 1),
    device_id      TEXT NOT NULL,
    event_id       TEXT,
    staff          TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    currency       TEXT NOT NULL CHECK (length(currency) = 3),
    total_minor    INTEGER NOT NULL CHECK (total_minor >= 0),
    customer_name  TEXT,
    customer_email TEXT,
    body           TEXT NOT NULL CHECK (json_valid(body)),
    UNIQUE (device_id, receipt_seq)
) STRICT;

CREATE TABLE transactions (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    kind               TEXT NOT NULL CHECK (kind IN ('authorize', 'capture', 'sale', 'void', 'refund', 'credit')),
    parent_id          TEXT REFERENCES transactions (id),
    parent_kind        TEXT CHECK (parent_kind IN ('authorize', 'capture', 'sale', 'void', 'refund', 'credit')),
    root_id            TEXT NOT NULL,
    order_id           TEXT REFERENCES orders (id),
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    method             TEXT NOT NULL CHECK (method IN ('cash', 'card', 'external', 'marked_paid')),
    external_system    TEXT,
    external_reference TEXT,
    result             TEXT NOT NULL CHECK (result IN ('approved', 'declined', 'abandoned', 'canceled', 'unknown')),
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER,
    device_id          TEXT NOT NULL,
    event_id           TEXT,
    staff              TEXT NOT NULL,
    search_text        TEXT NOT NULL,
    body               TEXT NOT NULL CHECK (json_valid(body)),
    CHECK ((kind IN ('authorize', 'sale', 'credit')) = (parent_id IS NULL)),
    CHECK ((parent_id IS NULL) = (parent_kind IS NULL)),
    CHECK (kind = 'authorize' OR expires_at IS NULL),
    CHECK ((method = 'external') = (external_reference IS NOT NULL))
) STRICT;
CREATE INDEX transactions_created ON transactions (created_at, id);
CREATE INDEX transactions_parent ON transactions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX transactions_order ON transactions (order_id) WHERE parent_id IS NULL;
CREATE INDEX transactions_external ON transactions (external_system, external_reference) WHERE external_reference IS NOT NULL;
CREATE INDEX transactions_expiring ON transactions (expires_at) WHERE kind = 'authorize';

-- The second and further orders of a transaction that pays several (the first is transactions.order_id).
CREATE TABLE transaction_orders (
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    position       INTEGER NOT NULL CHECK (position >= 1),
    order_id       TEXT NOT NULL REFERENCES orders (id),
    PRIMARY KEY (transaction_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX transaction_orders_order ON transaction_orders (order_id);

-- Changes of result after the first (which is in the transaction's body).
CREATE TABLE result_changes (
    seq            INTEGER PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    n              INTEGER NOT NULL CHECK (n >= 1),
    result         TEXT NOT NULL CHECK (result IN ('approved', 'declined', 'abandoned', 'canceled', 'unknown')),
    at             INTEGER NOT NULL,
    note           TEXT,
    UNIQUE (transaction_id, n)
) STRICT;

CREATE TABLE write_offs (
    seq          INTEGER PRIMARY KEY,
    order_id     TEXT NOT NULL UNIQUE REFERENCES orders (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    at           INTEGER NOT NULL,
    body         TEXT NOT NULL CHECK (json_valid(body))
) STRICT;

-- Running totals per day and filterable dimension, kept by triggers, so the per-currency summary
-- of a million transactions reads a few thousand rows. Edges of a date range that cut a day, and
-- text searches, are summed from the transactions themselves.
CREATE TABLE tx_totals (
    day          INTEGER NOT NULL,
    event_id     TEXT NOT NULL,
    staff        TEXT NOT NULL,
    method       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    parent_kind  TEXT NOT NULL,
    result       TEXT NOT NULL,
    count        INTEGER NOT NULL CHECK (count >= 0),
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (day, event_id, staff, method, currency, kind, parent_kind, result)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER tx_totals_insert AFTER INSERT ON transactions
BEGIN
    INSERT INTO tx_totals (day, event_id, staff, method, currency, kind, parent_kind, result, count, amount_minor)
    VALUES (new.created_at / 86400000, coalesce(new.event_id, ''), new.staff, new.method, new.currency, new.kind,
            coalesce(new.parent_kind, ''), new.result, 1, new.amount_minor)
    ON CONFLICT DO UPDATE SET count = count + 1, amount_minor = amount_minor + excluded.amount_minor;
END;

CREATE TRIGGER tx_totals_result AFTER UPDATE OF result ON transactions WHEN new.result <> old.result
BEGIN
    UPDATE tx_totals SET count = count - 1, amount_minor = amount_minor - old.amount_minor
    WHERE day = old.created_at / 86400000 AND event_id = coalesce(old.event_id, '') AND staff = old.staff
      AND method = old.method AND currency = old.currency AND kind = old.kind
      AND parent_kind = coalesce(old.parent_kind, '') AND result = old.result;
    INSERT INTO tx_totals (day, event_id, staff, method, currency, kind, parent_kind, result, count, amount_minor)
    VALUES (new.created_at / 86400000, coalesce(new.event_id, ''), new.staff, new.method, new.currency, new.kind,
            coalesce(new.parent_kind, ''), new.result, 1, new.amount_minor)
    ON CONFLICT DO UPDATE SET count = count + 1, amount_minor = amount_minor + excluded.amount_minor;
END;

-- The outbox. Every synced table is append-only with an increasing `seq`, so what has not reached
-- the server is exactly the rows above the last acknowledged seq of each table: no extra write
-- per sale. Sync is idempotent by record id on the server, so re-sending after a lost ack is safe.
CREATE TABLE sync_state (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;
INSERT INTO sync_state (record_type, acked_seq) VALUES
    ('order', 0), ('transaction', 0), ('result_change', 0), ('write_off', 0), ('offer', 0), ('offer_retirement', 0);

-- Append-only history.
CREATE TRIGGER orders_append_only_u BEFORE UPDATE ON orders BEGIN SELECT RAISE(ABORT, 'orders are append-only'); END;
CREATE TRIGGER orders_append_only_d BEFORE DELETE ON orders BEGIN SELECT RAISE(ABORT, 'orders are append-only'); END;
CREATE TRIGGER offers_append_only_u BEFORE UPDATE ON offers BEGIN SELECT RAISE(ABORT, 'saved offers cannot be edited'); END;
CREATE TRIGGER offers_append_only_d BEFORE DELETE ON offers BEGIN SELECT RAISE(ABORT, 'saved offers cannot be deleted'); END;
CREATE TRIGGER retirements_append_only_u BEFORE UPDATE ON offer_retirements BEGIN SELECT RAISE(ABORT, 'offer retirements are append-only'); END;
CREATE TRIGGER retirements_append_only_d BEFORE DELETE ON offer_retirements BEGIN SELECT RAISE(ABORT, 'offer retirements are append-only'); END;
CREATE TRIGGER result_changes_append_only_u BEFORE UPDATE ON result_changes BEGIN SELECT RAISE(ABORT, 'result history is append-only'); END;
CREATE TRIGGER result_changes_append_only_d BEFORE DELETE ON result_changes BEGIN SELECT RAISE(ABORT, 'result history is append-only'); END;
CREATE TRIGGER transaction_orders_append_only_u BEFORE UPDATE ON transaction_orders BEGIN SELECT RAISE(ABORT, 'transactions are append-only'); END;
CREATE TRIGGER transaction_orders_append_only_d BEFORE DELETE ON transaction_orders BEGIN SELECT RAISE(ABORT, 'transactions are append-only'); END;
CREATE TRIGGER write_offs_append_only_u BEFORE UPDATE ON write_offs BEGIN SELECT RAISE(ABORT, 'write-offs are append-only'); END;
CREATE TRIGGER write_offs_append_only_d BEFORE DELETE ON write_offs BEGIN SELECT RAISE(ABORT, 'write-offs are append-only'); END;
CREATE TRIGGER transactions_append_only_d BEFORE DELETE ON transactions BEGIN SELECT RAISE(ABORT, 'transactions are append-only'); END;
CREATE TRIGGER transactions_append_only_u BEFORE UPDATE ON transactions
WHEN old.result <> 'unknown' OR new.result = 'unknown'
  OR new.seq IS NOT old.seq OR new.id IS NOT old.id OR new.kind IS NOT old.kind OR new.parent_id IS NOT old.parent_id
  OR new.amount_minor IS NOT old.amount_minor OR new.currency IS NOT old.currency OR new.body IS NOT old.body
  OR new.created_at IS NOT old.created_at OR new.method IS NOT old.method OR new.root_id IS NOT old.root_id
BEGIN SELECT RAISE(ABORT, 'transactions are append-only; only an unknown result may change'); END;

-- The current result follows the history.
CREATE TRIGGER result_changes_project AFTER INSERT ON result_changes
BEGIN UPDATE transactions SET result = new.result WHERE id = new.transaction_id; END;
