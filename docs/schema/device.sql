-- The till's schema at version 11, as a fresh database has it.
-- Written by crates/store/tests/migrations.rs; do not edit.

-- index events_seq
CREATE UNIQUE INDEX events_seq ON events (seq);

-- index products_grid
CREATE INDEX products_grid ON products (category COLLATE NOCASE, name COLLATE NOCASE) WHERE retired = 0;

-- index products_name
CREATE INDEX products_name ON products (name COLLATE NOCASE);

-- index products_search
CREATE INDEX products_search ON products (name COLLATE NOCASE, sku);

-- index products_seq
CREATE UNIQUE INDEX products_seq ON products (seq);

-- index receipt_emails_order
CREATE INDEX receipt_emails_order ON receipt_emails (order_id);

-- index saved_cards_customer
CREATE INDEX saved_cards_customer ON saved_cards (customer_id);

-- index transaction_orders_order
CREATE INDEX transaction_orders_order ON transaction_orders (order_id);

-- index transactions_created
CREATE INDEX transactions_created ON transactions (created_at, id);

-- index transactions_expiring
CREATE INDEX transactions_expiring ON transactions (expires_at) WHERE kind = 'authorize';

-- index transactions_external
CREATE INDEX transactions_external ON transactions (external_system, external_reference) WHERE external_reference IS NOT NULL;

-- index transactions_order
CREATE INDEX transactions_order ON transactions (order_id) WHERE parent_id IS NULL;

-- index transactions_parent
CREATE INDEX transactions_parent ON transactions (parent_id) WHERE parent_id IS NOT NULL;

-- table customers
CREATE TABLE customers (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL CHECK (length(id) = 36),
    updated_at  INTEGER NOT NULL,
    device_id   TEXT NOT NULL,
    name        TEXT,
    email       TEXT,
    phone       TEXT,
    -- Name, email and phone in lower case (digits of the phone too), for the till's search.
    search_text TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body)),
    remote      INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1)),
    UNIQUE (id, updated_at, device_id)
) STRICT;

-- table device
CREATE TABLE device (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id    TEXT NOT NULL CHECK (length(device_id) = 36),
    code         TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 8 AND code NOT GLOB '*[^A-Z0-9]*'),
    name         TEXT NOT NULL CHECK (length(name) > 0),
    created_at   INTEGER NOT NULL
) STRICT;

-- table events
CREATE TABLE events (
    id                  TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    name                TEXT NOT NULL CHECK (length(name) > 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    body                TEXT NOT NULL CHECK (json_valid(body)),
    created_at          INTEGER NOT NULL
, seq INTEGER, remote INTEGER NOT NULL DEFAULT 1 CHECK (remote IN (0, 1))) STRICT;

-- table offer_retirements
CREATE TABLE offer_retirements (
    seq        INTEGER PRIMARY KEY,
    offer_id   TEXT NOT NULL UNIQUE REFERENCES offers (id),
    retired_at INTEGER NOT NULL,
    staff      TEXT NOT NULL
, remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1))) STRICT;

-- table offers
CREATE TABLE offers (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    name       TEXT NOT NULL CHECK (length(name) > 0),
    currency   TEXT NOT NULL CHECK (length(currency) = 3),
    body       TEXT NOT NULL CHECK (json_valid(body)),
    created_at INTEGER NOT NULL
, remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1))) STRICT;

-- table orders
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
    body           TEXT NOT NULL CHECK (json_valid(body)), remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1)),
    UNIQUE (device_id, receipt_seq)
) STRICT;

-- table printer_settings
CREATE TABLE printer_settings (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    address        TEXT NOT NULL DEFAULT '',
    paper          TEXT NOT NULL DEFAULT 'mm80' CHECK (paper IN ('mm58', 'mm80')),
    code           TEXT NOT NULL DEFAULT 'qr' CHECK (code IN ('qr', 'barcode', 'none')),
    auto_print     INTEGER NOT NULL DEFAULT 0 CHECK (auto_print IN (0, 1)),
    seller_name    TEXT NOT NULL DEFAULT '',
    seller_address TEXT NOT NULL DEFAULT '',
    tax_id         TEXT NOT NULL DEFAULT ''
) STRICT;

-- table products
CREATE TABLE products (
    sku              TEXT PRIMARY KEY NOT NULL CHECK (length(sku) > 0),
    name             TEXT NOT NULL CHECK (length(name) > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    tax_category     TEXT NOT NULL CHECK (tax_category IN ('standard', 'reduced', 'exempt')),
    barcode          TEXT UNIQUE CHECK (barcode IS NULL OR (length(barcode) > 0 AND barcode NOT GLOB '*[^0-9]*')),
    favourite        INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
    updated_at       INTEGER NOT NULL
, category TEXT CHECK (category IS NULL OR length(category) BETWEEN 1 AND 160), colour TEXT
    CHECK (colour IS NULL OR colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'), retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)), version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0), seq INTEGER, remote INTEGER NOT NULL DEFAULT 1 CHECK (remote IN (0, 1))) STRICT;

-- table products_fts
CREATE VIRTUAL TABLE products_fts USING fts5 (
    name, sku, content = 'products', content_rowid = 'rowid', tokenize = 'trigram'
);

-- table products_fts_config
CREATE TABLE 'products_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table products_fts_data
CREATE TABLE 'products_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table products_fts_docsize
CREATE TABLE 'products_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table products_fts_idx
CREATE TABLE 'products_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table pull_state
CREATE TABLE pull_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    event_id  TEXT,
    cursor    TEXT NOT NULL
) STRICT;

-- table receipt_emails
CREATE TABLE receipt_emails (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    order_id     TEXT NOT NULL REFERENCES orders (id),
    email        TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    staff        TEXT NOT NULL,
    body         TEXT NOT NULL CHECK (json_valid(body)),
    remote       INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1))
) STRICT;

-- table result_changes
CREATE TABLE result_changes (
    seq            INTEGER PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    n              INTEGER NOT NULL CHECK (n >= 1),
    result         TEXT NOT NULL CHECK (result IN ('approved', 'declined', 'abandoned', 'canceled', 'unknown')),
    at             INTEGER NOT NULL,
    note           TEXT, remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1)), expires_at INTEGER,
    UNIQUE (transaction_id, n)
) STRICT;

-- table saved_cards
CREATE TABLE saved_cards (
    id          TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL,
    brand       TEXT NOT NULL,
    last4       TEXT NOT NULL CHECK (length(last4) = 4),
    exp_month   INTEGER NOT NULL,
    exp_year    INTEGER NOT NULL,
    saved_at    INTEGER NOT NULL,
    removed_at  INTEGER
) STRICT;

-- table sync_rejections
CREATE TABLE sync_rejections (
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (record_type, record_id)
) STRICT;

-- table sync_server
CREATE TABLE sync_server (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    url         TEXT NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    name        TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL
) STRICT;

-- table sync_state
CREATE TABLE "sync_state" (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('customer', 'event', 'product', 'order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement', 'till_opened', 'till_closed', 'receipt_email')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;

-- table till_closes
CREATE TABLE till_closes (
    seq            INTEGER PRIMARY KEY,
    session_id     TEXT NOT NULL UNIQUE REFERENCES till_sessions (id),
    closed_at      INTEGER NOT NULL,
    closed_by      TEXT NOT NULL CHECK (length(closed_by) > 0),
    counted_minor  INTEGER NOT NULL CHECK (counted_minor >= 0),
    expected_minor INTEGER NOT NULL,
    note           TEXT
, remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1))) STRICT;

-- table till_sessions
CREATE TABLE till_sessions (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
    device_id   TEXT NOT NULL,
    event_id    TEXT,
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    float_minor INTEGER NOT NULL CHECK (float_minor >= 0),
    opened_at   INTEGER NOT NULL,
    opened_by   TEXT NOT NULL CHECK (length(opened_by) > 0)
, remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1))) STRICT;

-- table till_settings
CREATE TABLE till_settings (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    event_id  TEXT REFERENCES events (id),
    staff     TEXT NOT NULL DEFAULT ''
) STRICT;

-- table transaction_orders
CREATE TABLE transaction_orders (
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    position       INTEGER NOT NULL CHECK (position >= 1),
    order_id       TEXT NOT NULL REFERENCES orders (id),
    PRIMARY KEY (transaction_id, position)
) STRICT, WITHOUT ROWID;

-- table transactions
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
    method             TEXT NOT NULL CHECK (method IN ('cash', 'card', 'external', 'marked_paid', 'card_on_file')),
    external_system    TEXT,
    external_reference TEXT,
    result             TEXT NOT NULL CHECK (result IN ('approved', 'declined', 'abandoned', 'canceled', 'unknown')),
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER,
    device_id          TEXT NOT NULL,
    event_id           TEXT,
    staff              TEXT NOT NULL,
    search_text        TEXT NOT NULL,
    body               TEXT NOT NULL CHECK (json_valid(body)), remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1)),
    CHECK ((kind IN ('authorize', 'sale', 'credit')) = (parent_id IS NULL)),
    CHECK ((parent_id IS NULL) = (parent_kind IS NULL)),
    CHECK (kind = 'authorize' OR expires_at IS NULL),
    CHECK ((method = 'external') = (external_reference IS NOT NULL))
) STRICT;

-- table tx_totals
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

-- table write_offs
CREATE TABLE write_offs (
    seq          INTEGER PRIMARY KEY,
    order_id     TEXT NOT NULL UNIQUE REFERENCES orders (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    at           INTEGER NOT NULL,
    body         TEXT NOT NULL CHECK (json_valid(body))
, remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1))) STRICT;

-- trigger offers_append_only_d
CREATE TRIGGER offers_append_only_d BEFORE DELETE ON offers BEGIN SELECT RAISE(ABORT, 'saved offers cannot be deleted'); END;

-- trigger offers_append_only_u
CREATE TRIGGER offers_append_only_u BEFORE UPDATE ON offers BEGIN SELECT RAISE(ABORT, 'saved offers cannot be edited'); END;

-- trigger orders_append_only_d
CREATE TRIGGER orders_append_only_d BEFORE DELETE ON orders BEGIN SELECT RAISE(ABORT, 'orders are append-only'); END;

-- trigger orders_append_only_u
CREATE TRIGGER orders_append_only_u BEFORE UPDATE ON orders BEGIN SELECT RAISE(ABORT, 'orders are append-only'); END;

-- trigger products_fts_delete
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku)
    VALUES ('delete', old.rowid, old.name, old.sku);
END;

-- trigger products_fts_insert
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, name, sku) VALUES (new.rowid, new.name, new.sku);
END;

-- trigger products_fts_update
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku)
    VALUES ('delete', old.rowid, old.name, old.sku);
    INSERT INTO products_fts (rowid, name, sku) VALUES (new.rowid, new.name, new.sku);
END;

-- trigger result_changes_append_only_d
CREATE TRIGGER result_changes_append_only_d BEFORE DELETE ON result_changes BEGIN SELECT RAISE(ABORT, 'result history is append-only'); END;

-- trigger result_changes_append_only_u
CREATE TRIGGER result_changes_append_only_u BEFORE UPDATE ON result_changes BEGIN SELECT RAISE(ABORT, 'result history is append-only'); END;

-- trigger result_changes_project
CREATE TRIGGER result_changes_project AFTER INSERT ON result_changes
BEGIN UPDATE transactions SET result = new.result WHERE id = new.transaction_id; END;

-- trigger retirements_append_only_d
CREATE TRIGGER retirements_append_only_d BEFORE DELETE ON offer_retirements BEGIN SELECT RAISE(ABORT, 'offer retirements are append-only'); END;

-- trigger retirements_append_only_u
CREATE TRIGGER retirements_append_only_u BEFORE UPDATE ON offer_retirements BEGIN SELECT RAISE(ABORT, 'offer retirements are append-only'); END;

-- trigger till_closes_append_only_d
CREATE TRIGGER till_closes_append_only_d BEFORE DELETE ON till_closes
BEGIN SELECT RAISE(ABORT, 'till closes are append-only'); END;

-- trigger till_closes_append_only_u
CREATE TRIGGER till_closes_append_only_u BEFORE UPDATE ON till_closes
BEGIN SELECT RAISE(ABORT, 'till closes are append-only'); END;

-- trigger till_sessions_append_only_d
CREATE TRIGGER till_sessions_append_only_d BEFORE DELETE ON till_sessions
BEGIN SELECT RAISE(ABORT, 'till sessions are append-only'); END;

-- trigger till_sessions_append_only_u
CREATE TRIGGER till_sessions_append_only_u BEFORE UPDATE ON till_sessions
BEGIN SELECT RAISE(ABORT, 'till sessions are append-only'); END;

-- trigger transaction_orders_append_only_d
CREATE TRIGGER transaction_orders_append_only_d BEFORE DELETE ON transaction_orders BEGIN SELECT RAISE(ABORT, 'transactions are append-only'); END;

-- trigger transaction_orders_append_only_u
CREATE TRIGGER transaction_orders_append_only_u BEFORE UPDATE ON transaction_orders BEGIN SELECT RAISE(ABORT, 'transactions are append-only'); END;

-- trigger transactions_append_only_d
CREATE TRIGGER transactions_append_only_d BEFORE DELETE ON transactions BEGIN SELECT RAISE(ABORT, 'transactions are append-only'); END;

-- trigger transactions_append_only_u
CREATE TRIGGER transactions_append_only_u BEFORE UPDATE ON transactions
WHEN old.result <> 'unknown' OR new.result = 'unknown'
  OR new.seq IS NOT old.seq OR new.id IS NOT old.id OR new.kind IS NOT old.kind OR new.parent_id IS NOT old.parent_id
  OR new.amount_minor IS NOT old.amount_minor OR new.currency IS NOT old.currency OR new.body IS NOT old.body
  OR new.created_at IS NOT old.created_at OR new.method IS NOT old.method OR new.root_id IS NOT old.root_id
BEGIN SELECT RAISE(ABORT, 'transactions are append-only; only an unknown result may change'); END;

-- trigger tx_totals_insert
CREATE TRIGGER tx_totals_insert AFTER INSERT ON transactions
BEGIN
    INSERT INTO tx_totals (day, event_id, staff, method, currency, kind, parent_kind, result, count, amount_minor)
    VALUES (new.created_at / 86400000, coalesce(new.event_id, ''), new.staff, new.method, new.currency, new.kind,
            coalesce(new.parent_kind, ''), new.result, 1, new.amount_minor)
    ON CONFLICT DO UPDATE SET count = count + 1, amount_minor = amount_minor + excluded.amount_minor;
END;

-- trigger tx_totals_result
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

-- trigger write_offs_append_only_d
CREATE TRIGGER write_offs_append_only_d BEFORE DELETE ON write_offs BEGIN SELECT RAISE(ABORT, 'write-offs are append-only'); END;

-- trigger write_offs_append_only_u
CREATE TRIGGER write_offs_append_only_u BEFORE UPDATE ON write_offs BEGIN SELECT RAISE(ABORT, 'write-offs are append-only'); END;
