-- Fairtill server, version 3 (postgres): settlement files matched against the ledger.
-- The same tables as the other backend's 0003_settlement.sql.

-- An imported file, once per content: importing the same bytes again finds this row.
CREATE TABLE settlement_imports (
    id           TEXT PRIMARY KEY NOT NULL,
    file_hash    TEXT NOT NULL UNIQUE,
    file_name    TEXT NOT NULL,
    format       TEXT NOT NULL,
    window_hours BIGINT NOT NULL,
    event_id     TEXT,
    imported_at  BIGINT NOT NULL,
    imported_by  TEXT NOT NULL,
    row_count    BIGINT NOT NULL,
    skipped      BIGINT NOT NULL
);

-- Its payments and refunds, as read (amounts positive; kind says which way).
CREATE TABLE settlement_rows (
    import_id     TEXT NOT NULL,
    line          BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
    reference     TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    at            BIGINT NOT NULL,
    last4         TEXT,
    approval_code TEXT,
    PRIMARY KEY (import_id, line)
);

-- Which transaction each row goes with, and how (matched on import, suggested, confirmed or
-- linked by a manager). A transaction goes with one row of an import at most. Every change a
-- manager makes is also in the audit log.
CREATE TABLE settlement_matches (
    import_id      TEXT NOT NULL,
    line           BIGINT NOT NULL,
    transaction_id TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('matched', 'amount_mismatch', 'suggested', 'confirmed', 'linked')),
    decided_at     BIGINT NOT NULL,
    decided_by     TEXT NOT NULL,
    PRIMARY KEY (import_id, line),
    UNIQUE (import_id, transaction_id)
);

-- Column mappings managers saved for formats Fairtill does not know.
CREATE TABLE settlement_formats (
    name     TEXT PRIMARY KEY NOT NULL,
    mapping  TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    saved_by TEXT NOT NULL
);
