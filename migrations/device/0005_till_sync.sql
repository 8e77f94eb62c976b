-- Fairtill device database, version 5: cash sessions sync, so managers see every till's
-- counted against expected cash at close-out.

ALTER TABLE till_sessions ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));
ALTER TABLE till_closes ADD COLUMN remote INTEGER NOT NULL DEFAULT 0 CHECK (remote IN (0, 1));

-- sync_state names the record types it accepts: rebuild it with the two new ones.
CREATE TABLE sync_state_new (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement', 'till_opened', 'till_closed')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;
INSERT INTO sync_state_new (record_type, acked_seq) SELECT record_type, acked_seq FROM sync_state;
INSERT INTO sync_state_new (record_type, acked_seq) VALUES ('till_opened', 0), ('till_closed', 0);
DROP TABLE sync_state;
ALTER TABLE sync_state_new RENAME TO sync_state;
