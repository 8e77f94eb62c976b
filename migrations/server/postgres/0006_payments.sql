-- Fairtill server, version 6: money that moves through a card processor (issue 13). The same
-- tables on both backends.
--
-- Customers and their saved cards, as the manager's queries and the processor calls read them
-- (the records themselves are in `records`, like every synced fact).
CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    name          TEXT,
    email         TEXT,
    phone         TEXT,
    updated_at    BIGINT NOT NULL,
    device_id     TEXT NOT NULL,
    -- The processor's id of this customer, once a card was first saved.
    processor_ref TEXT
);
CREATE TABLE saved_cards (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    brand       TEXT NOT NULL,
    last4       TEXT NOT NULL,
    exp_month   BIGINT  NOT NULL,
    exp_year    BIGINT  NOT NULL,
    saved_at    BIGINT NOT NULL,
    removed_at  BIGINT
);
CREATE INDEX saved_cards_customer ON saved_cards (customer_id);
-- Card setups begun at the processor, so one is finished only for the customer it began for.
CREATE TABLE card_setups (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
-- One row per ledger transaction the server carries out at the processor, made in the same
-- database transaction as the ledger transaction itself. `attempts` counts tries that may have
-- reached the processor: it is raised and committed *before* each request, so a try after a
-- crash knows to look for what the last one made before it sends anything.
CREATE TABLE processor_jobs (
    tx_id        TEXT PRIMARY KEY,
    -- 'charge' or 'refund'.
    kind         TEXT NOT NULL,
    -- 'due' (to send or to ask about), 'approval' (waiting for the customer offsite),
    -- 'pending' (a refund the processor has not finished), 'done'.
    state        TEXT NOT NULL,
    -- Not before this time (milliseconds).
    due_at       BIGINT NOT NULL,
    -- A server process working on it holds it until this time.
    lease_until  BIGINT NOT NULL DEFAULT 0,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    processor_id TEXT,
    approval_url TEXT,
    -- Names the job in the customer's approval link (/approve/<token>), while it waits.
    approval_token TEXT UNIQUE,
    -- The last thing the processor said, or why it could not be asked.
    message      TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX processor_jobs_due ON processor_jobs (due_at) WHERE state <> 'done';
