-- Fairtill server, version 5 (postgres): trigram indexes for the manager's text search over
-- customers, receipts and external references. The other backend's 0005_text_search.sql
-- indexes the same text with FTS5.
--
-- pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create
-- it; otherwise an administrator runs this statement once before the server starts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One index over an order's four texts, joined by a unit separator (U+001F) nobody types, so
-- a match never runs from one text into the next. Queries repeat the expression exactly.
CREATE INDEX orders_text ON orders USING gin (
    lower(coalesce(customer_name, '') || E'\x1f' || coalesce(customer_email, '') || E'\x1f'
          || coalesce(customer_phone, '') || E'\x1f' || receipt) gin_trgm_ops
);
CREATE INDEX transactions_reference_text ON transactions USING gin (lower(external_reference) gin_trgm_ops)
WHERE external_reference IS NOT NULL;
