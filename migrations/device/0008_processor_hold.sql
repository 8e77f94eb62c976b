-- Fairtill device database, version 8: the processor's hold on an authorization (issue 13).
-- When the server records that the processor approved an authorization to a card on file, it
-- says when the processor lets the hold lapse (Stripe's `capture_before`); the authorization
-- expires then if that is sooner than the event's window. The till keeps it with the result
-- change, and brings the transaction's `expires_at` forward to it.
ALTER TABLE result_changes ADD COLUMN expires_at INTEGER;
