-- Fairtill device database, version 7: customers who buy again, and the cards the processor
-- saved for them (issue 13). A till finds a customer by name, email or phone with no network,
-- and keeps what it needs to charge a card on file: the processor's id of the card, its brand,
-- last four and expiry. Never a card number.
--
-- Every version of a customer made here or pulled is kept; the customer is their latest
-- version (by time, then device id, the same rule on every till and the server). A version made
-- here waits in the outbox like every other record.
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

-- Cards come from the server only (it alone talks to the processor).
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
CREATE INDEX saved_cards_customer ON saved_cards (customer_id);

-- The transactions table's method check also admits 'card_on_file' from this version: a hook
-- in crates/store/src/db.rs widens it in place (SQLite cannot alter a CHECK in SQL alone).

-- sync_state names the record types it accepts: rebuild it with customers.
CREATE TABLE sync_state_new (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('customer', 'event', 'order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement', 'till_opened', 'till_closed')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;
INSERT INTO sync_state_new (record_type, acked_seq) SELECT record_type, acked_seq FROM sync_state;
INSERT INTO sync_state_new (record_type, acked_seq) VALUES ('customer', 0);
DROP TABLE sync_state;
ALTER TABLE sync_state_new RENAME TO sync_state;
