-- Fairtill device database, version 4: a trigram index for product search.
--
-- Any three or more characters typed find the products whose name or SKU contains them through
-- this index, without reading the whole catalog. Shorter input still walks `products_search`.
-- The index holds no copy of the text (external content): triggers keep it in step with
-- `products`, and only a change of name or SKU touches it.
CREATE VIRTUAL TABLE products_fts USING fts5 (
    name, sku, content = 'products', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO products_fts (products_fts) VALUES ('rebuild');

CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, name, sku) VALUES (new.rowid, new.name, new.sku);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku)
    VALUES ('delete', old.rowid, old.name, old.sku);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, sku)
    VALUES ('delete', old.rowid, old.name, old.sku);
    INSERT INTO products_fts (rowid, name, sku) VALUES (new.rowid, new.name, new.sku);
END;
