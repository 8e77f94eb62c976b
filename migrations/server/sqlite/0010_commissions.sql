-- Fairtill server, version 10: commissions (issue 14). The same tables on both backends.
--
-- A rule: `rate` percent (a decimal string) of net sales for a staff member or a referrer
-- (`beneficiary_kind`, `beneficiary`), over every line or only those `needs` names (JSON
-- [{sku, quantity}]: a product, or an offer's lines copied when the rule was made).
CREATE TABLE commission_rules (
    id               TEXT PRIMARY KEY,
    beneficiary_kind TEXT NOT NULL CHECK (beneficiary_kind IN ('staff', 'referrer')),
    beneficiary      TEXT NOT NULL,
    rate             TEXT NOT NULL,
    scope            TEXT NOT NULL,
    needs            TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    retired_at       BIGINT
);
-- A run of the report for a period, kept whole (`body` is the run as answered), so the next
-- run of the same period can say what changed since.
CREATE TABLE commission_runs (
    id         TEXT PRIMARY KEY,
    period     TEXT NOT NULL,
    ran_at     BIGINT NOT NULL,
    ran_by     TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX commission_runs_period ON commission_runs (period, ran_at);
