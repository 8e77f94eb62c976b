-- Fairtill server, version 4 (sqlite): running totals, so a manager's summary of every
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
    tx_count     INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (event_id, device_id, staff, method, currency, kind, parent_kind, result)
) STRICT;

INSERT INTO transaction_totals
SELECT coalesce(event_id, ''), device_id, staff, method, currency, kind, coalesce(parent_kind, ''), result,
       count(*), sum(amount_minor)
FROM transactions
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- SQLite has no stored procedures: a row inserted into this view is added to the totals of its
-- combination (`n` transactions of `amount_minor` in all; negative to take them out), and a
-- combination left with none is removed. The one definition, as `transaction_totals_add` is on
-- PostgreSQL.
CREATE VIEW transaction_totals_add AS
SELECT event_id, device_id, staff, method, currency, kind, parent_kind, result, tx_count AS n, amount_minor
FROM transaction_totals WHERE 0;
CREATE TRIGGER transaction_totals_add_row INSTEAD OF INSERT ON transaction_totals_add BEGIN
    INSERT INTO transaction_totals VALUES (NEW.event_id, NEW.device_id, NEW.staff, NEW.method, NEW.currency,
        NEW.kind, NEW.parent_kind, NEW.result, NEW.n, NEW.amount_minor)
    ON CONFLICT DO UPDATE SET tx_count = tx_count + excluded.tx_count, amount_minor = amount_minor + excluded.amount_minor;
    DELETE FROM transaction_totals
    WHERE event_id = NEW.event_id AND device_id = NEW.device_id AND staff = NEW.staff AND method = NEW.method
      AND currency = NEW.currency AND kind = NEW.kind AND parent_kind = NEW.parent_kind AND result = NEW.result
      AND tx_count = 0;
END;

CREATE TRIGGER transaction_totals_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transaction_totals_add VALUES (coalesce(NEW.event_id, ''), NEW.device_id, NEW.staff, NEW.method,
        NEW.currency, NEW.kind, coalesce(NEW.parent_kind, ''), NEW.result, 1, NEW.amount_minor);
END;

-- A result changed: the transaction moves from its old result's totals to its new one's.
CREATE TRIGGER transaction_totals_result AFTER UPDATE OF result ON transactions
WHEN OLD.result <> NEW.result BEGIN
    INSERT INTO transaction_totals_add VALUES (coalesce(OLD.event_id, ''), OLD.device_id, OLD.staff, OLD.method,
        OLD.currency, OLD.kind, coalesce(OLD.parent_kind, ''), OLD.result, -1, -OLD.amount_minor);
    INSERT INTO transaction_totals_add VALUES (coalesce(NEW.event_id, ''), NEW.device_id, NEW.staff, NEW.method,
        NEW.currency, NEW.kind, coalesce(NEW.parent_kind, ''), NEW.result, 1, NEW.amount_minor);
END;

-- What a transaction's children did to it: the money its live captures took (approved or
-- pending) and whether an approved void cancelled it. An authorization whose window has
-- passed holds `amount_minor - captured_minor` uncaptured unless voided (DESIGN §4 rule 3);
-- the index holds exactly the authorizations that may lapse with money on them.
ALTER TABLE transactions ADD COLUMN captured_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;

-- Inserting a transaction's id into this view sets its figures from all its children (the one
-- definition, as `transaction_children_apply` is on PostgreSQL).
CREATE VIEW transaction_children_apply AS SELECT id FROM transactions WHERE 0;
CREATE TRIGGER transaction_children_apply_row INSTEAD OF INSERT ON transaction_children_apply BEGIN
    UPDATE transactions SET
        captured_minor = coalesce((SELECT sum(c.amount_minor) FROM transactions c WHERE c.parent_id = NEW.id
            AND c.kind = 'capture' AND c.result IN ('approved', 'unknown')), 0),
        voided = EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = NEW.id
            AND v.kind = 'void' AND v.result = 'approved')
    WHERE id = NEW.id;
END;

INSERT INTO transaction_children_apply
SELECT DISTINCT parent_id FROM transactions WHERE parent_id IS NOT NULL AND kind IN ('capture', 'void');

CREATE INDEX transactions_holds ON transactions (expires_at)
WHERE kind = 'authorize' AND result = 'approved' AND voided = 0 AND amount_minor > captured_minor;

-- A child stored or changed: its parent's figures again, from all its children. A child may
-- arrive before its parent, so a parent stored takes its figures from the children already here.
CREATE TRIGGER transactions_children_insert AFTER INSERT ON transactions
WHEN NEW.parent_id IS NOT NULL AND NEW.kind IN ('capture', 'void') BEGIN
    INSERT INTO transaction_children_apply VALUES (NEW.parent_id);
END;

CREATE TRIGGER transactions_children_result AFTER UPDATE OF result ON transactions
WHEN NEW.parent_id IS NOT NULL AND NEW.kind IN ('capture', 'void') AND OLD.result <> NEW.result BEGIN
    INSERT INTO transaction_children_apply VALUES (NEW.parent_id);
END;

CREATE TRIGGER transactions_children_before AFTER INSERT ON transactions
WHEN EXISTS (SELECT 1 FROM transactions c WHERE c.parent_id = NEW.id) BEGIN
    INSERT INTO transaction_children_apply VALUES (NEW.id);
END;
