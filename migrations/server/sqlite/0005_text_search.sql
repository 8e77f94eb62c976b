-- Fairtill server, version 5 (sqlite): trigram indexes for the manager's text search over
-- customers, receipts and external references. The other backend's 0005_text_search.sql
-- indexes the same text with pg_trgm.
--
-- Each index keeps its own copy of the text with the id it belongs to (not the table's rowid,
-- which a VACUUM may renumber). Orders and references never change once stored, and nothing is
-- deleted, so a trigger on insert keeps each index whole.
CREATE VIRTUAL TABLE orders_text USING fts5 (
    order_id UNINDEXED, customer_name, customer_email, customer_phone, receipt, tokenize = 'trigram'
);
INSERT INTO orders_text (order_id, customer_name, customer_email, customer_phone, receipt)
SELECT id, customer_name, customer_email, customer_phone, receipt FROM orders;
CREATE TRIGGER orders_text_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_text (order_id, customer_name, customer_email, customer_phone, receipt)
    VALUES (NEW.id, NEW.customer_name, NEW.customer_email, NEW.customer_phone, NEW.receipt);
END;

CREATE VIRTUAL TABLE transactions_reference_text USING fts5 (
    transaction_id UNINDEXED, external_reference, tokenize = 'trigram'
);
INSERT INTO transactions_reference_text (transaction_id, external_reference)
SELECT id, external_reference FROM transactions WHERE external_reference IS NOT NULL;
CREATE TRIGGER transactions_reference_text_insert AFTER INSERT ON transactions
WHEN NEW.external_reference IS NOT NULL BEGIN
    INSERT INTO transactions_reference_text (transaction_id, external_reference)
    VALUES (NEW.id, NEW.external_reference);
END;
