-- Fairtill device database, version 11: products are made, changed and retired at the till and
-- sync like events (issue 16): a category (the Sell grid's tab), a colour for the button, a
-- retired flag, and the version number the server's rule for changes reads (docs/domain.md).
--
-- Products pulled from the server are remote. A product made or changed here gets the next
-- `seq` and waits in the outbox. Products from before version 11 (imported here, or pulled)
-- are pushed once at version 0: the server keeps any version it already has.
ALTER TABLE products ADD COLUMN category TEXT CHECK (category IS NULL OR length(category) BETWEEN 1 AND 160);
ALTER TABLE products ADD COLUMN colour TEXT
    CHECK (colour IS NULL OR colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]');
ALTER TABLE products ADD COLUMN retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1));
ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0);
ALTER TABLE products ADD COLUMN seq INTEGER;
ALTER TABLE products ADD COLUMN remote INTEGER NOT NULL DEFAULT 1 CHECK (remote IN (0, 1));
UPDATE products SET remote = 0, seq = rowid;
CREATE UNIQUE INDEX products_seq ON products (seq);
-- The Sell grid: a category's products by name.
CREATE INDEX products_grid ON products (category COLLATE NOCASE, name COLLATE NOCASE) WHERE retired = 0;

CREATE TABLE sync_state_new (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('customer', 'event', 'product', 'order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement', 'till_opened', 'till_closed', 'receipt_email')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;
INSERT INTO sync_state_new (record_type, acked_seq) SELECT record_type, acked_seq FROM sync_state;
INSERT INTO sync_state_new (record_type, acked_seq) VALUES ('product', 0);
DROP TABLE sync_state;
ALTER TABLE sync_state_new RENAME TO sync_state;
