-- Fairtill server, version 7: charges the server makes on its own (issue 13): scheduled charges
-- of an order's balance, and the follow-up of declined payments (dunning) with the
-- notifications it queues for the customer; and whose card each card-on-file transaction
-- charged, for the customer record; and the processor's balance entries imported for
-- settlement. The same tables on both backends.
--
-- A scheduled charge: the balance due of an order, charged to the customer's card on file at
-- `charge_at`. 'scheduled' until the server makes its charge ('charged', naming the ledger
-- transaction) or a manager cancels it ('canceled').
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
CREATE INDEX scheduled_charges_due ON scheduled_charges (charge_at) WHERE state = 'scheduled';
CREATE INDEX scheduled_charges_order ON scheduled_charges (order_id);
-- The follow-up of an order whose charge to a card on file was declined while the customer
-- was not there (an offline or scheduled charge). 'retrying' with `next_at` set between
-- attempts, 'charging' while an attempt waits for the processor, then 'recovered' (an attempt
-- was approved), 'paid' (the order was paid another way), 'hard_decline' (the card cannot be
-- charged again), 'exhausted' (every attempt of the schedule declined) or 'ended' (a manager).
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
CREATE INDEX follow_ups_due ON follow_ups (next_at) WHERE state = 'retrying';
CREATE INDEX follow_ups_customer ON follow_ups (customer_id);
-- Each attempt of a follow-up: a new ledger transaction on the order.
CREATE TABLE follow_up_attempts (
    follow_up_id TEXT NOT NULL,
    n            INTEGER NOT NULL,
    tx_id        TEXT NOT NULL UNIQUE,
    made_at      BIGINT NOT NULL,
    PRIMARY KEY (follow_up_id, n)
);
-- Messages for customers, queued here and sent by the server's mailer.
CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    order_id     TEXT,
    follow_up_id TEXT,
    -- The customer's address when it was queued (none known: it waits for one).
    email        TEXT,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    -- 'queued' until sent; 'sent'; 'failed' (the mail server refused it for good, or every
    -- try failed); 'withdrawn' (its follow-up ended before it was sent).
    state        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT,
    -- Tries so far (raised before each one), when to try next, and a sending process's hold
    -- on it, as for processor jobs; the last try's error.
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL DEFAULT 0,
    lease_until  BIGINT NOT NULL DEFAULT 0,
    error        TEXT
);
CREATE INDEX notifications_queued ON notifications (next_at) WHERE state = 'queued';
CREATE INDEX notifications_follow_up ON notifications (follow_up_id);
-- Whose card a card-on-file transaction charged, for the manager's customer record (filled in
-- from the stored records for those made before this version).
ALTER TABLE transactions ADD COLUMN customer_id TEXT;
UPDATE transactions SET customer_id = (
    SELECT json_extract(r.body, '$.transaction.method.customer') FROM records r
    WHERE r.record_type = 'transaction' AND r.record_id = transactions.id)
WHERE method = 'card_on_file';
CREATE INDEX transactions_customer ON transactions (customer_id) WHERE customer_id IS NOT NULL;
-- Entries of the processor's balance already imported for settlement matching (from its API),
-- so a fetch imports only what is new.
CREATE TABLE processor_settled (
    balance_id TEXT PRIMARY KEY,
    import_id  TEXT NOT NULL,
    at         BIGINT NOT NULL
);
