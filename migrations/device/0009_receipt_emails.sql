-- Fairtill device database, version 9: receipts asked for by email at the till (issue 14). A
-- request is recorded with no network and waits in the outbox like a sale; the server renders
-- the receipt from the order and sends it. Asking again is a new request (and a new message).
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
CREATE INDEX receipt_emails_order ON receipt_emails (order_id);

-- sync_state names the record types it accepts: rebuild it with receipt emails.
CREATE TABLE sync_state_new (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('customer', 'event', 'order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement', 'till_opened', 'till_closed', 'receipt_email')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;
INSERT INTO sync_state_new (record_type, acked_seq) SELECT record_type, acked_seq FROM sync_state;
INSERT INTO sync_state_new (record_type, acked_seq) VALUES ('receipt_email', 0);
DROP TABLE sync_state;
ALTER TABLE sync_state_new RENAME TO sync_state;
