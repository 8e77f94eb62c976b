-- Fairtill device database, version 6: events made on this till sync, so the server (and the
-- manager's close-out, and every other till) knows them by name, not by id alone.
--
-- Events pulled from the server are remote. An event made here gets the next `seq` and waits in
-- the outbox like every other record; changing it gives it a new `seq`, so the change is pushed
-- too. Events made before version 6 are pushed once: the server keeps its own version of any
-- event it published.
ALTER TABLE events ADD COLUMN seq INTEGER;
ALTER TABLE events ADD COLUMN remote INTEGER NOT NULL DEFAULT 1 CHECK (remote IN (0, 1));
UPDATE events SET remote = 0, seq = rowid;
CREATE UNIQUE INDEX events_seq ON events (seq);

-- sync_state names the record types it accepts: rebuild it with events.
CREATE TABLE sync_state_new (
    record_type TEXT PRIMARY KEY NOT NULL CHECK (record_type IN ('event', 'order', 'transaction', 'result_change', 'write_off', 'offer', 'offer_retirement', 'till_opened', 'till_closed')),
    acked_seq   INTEGER NOT NULL CHECK (acked_seq >= 0)
) STRICT;
INSERT INTO sync_state_new (record_type, acked_seq) SELECT record_type, acked_seq FROM sync_state;
INSERT INTO sync_state_new (record_type, acked_seq) VALUES ('event', 0);
DROP TABLE sync_state;
ALTER TABLE sync_state_new RENAME TO sync_state;
