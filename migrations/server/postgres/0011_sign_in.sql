-- Fairtill server, version 11: sign-in throttling (issue 15). The same table on both backends.
--
-- Failed manager sign-ins counted per key: `name:<sign-in name, lower case>` and
-- `address:<client IP>`. An attempt is counted before its password is checked (and taken back
-- when it succeeds), so parallel guesses cannot slip past the count. `blocked_until` is when
-- the next attempt may be made (milliseconds); a key with no failure for a day is forgotten.
CREATE TABLE sign_in_failures (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_at);
