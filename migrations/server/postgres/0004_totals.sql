-- Fairtill server, version 4 (postgres): running totals, so a manager's summary of every
-- transaction reads a few thousand rows instead of a million. The same tables as the other
-- backend's 0004_totals.sql; kept by triggers, so every way a transaction is stored (a push, a
-- manager's correction) keeps them.

-- Count and sum of the transactions of each combination a manager filters or groups by.
-- `event_id` and `parent_kind` hold '' for none (a key column is never NULL).
CREATE TABLE transaction_totals (
    event_id     TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    staff        TEXT NOT NULL,
    method       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    parent_kind  TEXT NOT NULL,
    result       TEXT NOT NULL,
    tx_count     BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (event_id, device_id, staff, method, currency, kind, parent_kind, result)
);

INSERT INTO transaction_totals
SELECT coalesce(event_id, ''), device_id, staff, method, currency, kind, coalesce(parent_kind, ''), result,
       count(*), sum(amount_minor)
FROM transactions
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- Adds `n` transactions of `amount` in all (negative to take them out) to the totals of one
-- combination (`parent_kind` and `event_id` as '' for none); a combination left with none is
-- removed. The one definition, as the `transaction_totals_add` view is on SQLite.
CREATE FUNCTION transaction_totals_add(k transaction_totals) RETURNS void LANGUAGE sql AS $$
    INSERT INTO transaction_totals VALUES (k.*)
    ON CONFLICT (event_id, device_id, staff, method, currency, kind, parent_kind, result)
    DO UPDATE SET tx_count = transaction_totals.tx_count + excluded.tx_count,
                  amount_minor = transaction_totals.amount_minor + excluded.amount_minor;
    DELETE FROM transaction_totals
    WHERE (event_id, device_id, staff, method, currency, kind, parent_kind, result)
        = (k.event_id, k.device_id, k.staff, k.method, k.currency, k.kind, k.parent_kind, k.result)
      AND tx_count = 0;
$$;

-- A transaction's combination, holding `n` of it (1 to add it, -1 to take it out).
CREATE FUNCTION transaction_totals_of(t transactions, n BIGINT) RETURNS transaction_totals LANGUAGE sql AS $$
    SELECT coalesce(t.event_id, ''), t.device_id, t.staff, t.method, t.currency, t.kind,
           coalesce(t.parent_kind, ''), t.result, n, n * t.amount_minor;
$$;

-- What a transaction's children did to it: the money its live captures took (approved or
-- pending) and whether an approved void cancelled it. An authorization whose window has
-- passed holds `amount_minor - captured_minor` uncaptured unless voided (DESIGN §4 rule 3);
-- the index holds exactly the authorizations that may lapse with money on them.
ALTER TABLE transactions ADD COLUMN captured_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;

-- Sets a transaction's figures from all its children.
CREATE FUNCTION transaction_children_apply(parent TEXT) RETURNS void LANGUAGE sql AS $$
    UPDATE transactions SET
        captured_minor = coalesce((SELECT sum(c.amount_minor) FROM transactions c WHERE c.parent_id = parent
            AND c.kind = 'capture' AND c.result IN ('approved', 'unknown')), 0),
        voided = CASE WHEN EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = parent
            AND v.kind = 'void' AND v.result = 'approved') THEN 1 ELSE 0 END
    WHERE id = parent;
$$;

SELECT transaction_children_apply(p.parent_id)
FROM (SELECT DISTINCT parent_id FROM transactions
      WHERE parent_id IS NOT NULL AND kind IN ('capture', 'void')) p;

CREATE INDEX transactions_holds ON transactions (expires_at)
WHERE kind = 'authorize' AND result = 'approved' AND voided = 0 AND amount_minor > captured_minor;

-- Transactions stored: into the totals; their parents' figures again for captures and voids;
-- their own figures from children that arrived before them. A statement-level trigger adds up
-- a whole statement's rows at once (a bulk COPY touches each totals row once, not once a row).
CREATE FUNCTION transactions_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM transaction_totals_add(ROW(
        coalesce(event_id, ''), device_id, staff, method, currency, kind, coalesce(parent_kind, ''), result,
        count(*), sum(amount_minor))::transaction_totals)
    FROM new_rows
    GROUP BY coalesce(event_id, ''), device_id, staff, method, currency, kind, coalesce(parent_kind, ''), result;
    PERFORM transaction_children_apply(p.id) FROM (
        SELECT parent_id AS id FROM new_rows WHERE parent_id IS NOT NULL AND kind IN ('capture', 'void')
        UNION
        SELECT n.id FROM new_rows n WHERE EXISTS (SELECT 1 FROM transactions c WHERE c.parent_id = n.id)
    ) p;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_stored AFTER INSERT ON transactions
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION transactions_stored();

-- A result changed: the transaction moves between totals, and its parent's figures follow.
CREATE FUNCTION transactions_result_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM transaction_totals_add(transaction_totals_of(OLD, -1));
    PERFORM transaction_totals_add(transaction_totals_of(NEW, 1));
    IF NEW.parent_id IS NOT NULL AND NEW.kind IN ('capture', 'void') THEN
        PERFORM transaction_children_apply(NEW.parent_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_result_changed AFTER UPDATE OF result ON transactions
FOR EACH ROW WHEN (OLD.result IS DISTINCT FROM NEW.result)
EXECUTE FUNCTION transactions_result_changed();
