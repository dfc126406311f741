-- Keys that end and limits that fit: a key may have an end (expires_at; rotation sets the old key's end to the
-- overlap), and each key carries its own rate limit, set when it is made (0: unlimited). Keys made before this
-- version were all held to the one global limit of 600 a minute, which stopped a first bulk job long before the
-- machine was busy; they get the new default for keys, 6,000 a minute (docs/SECURITY.md, "Rate limits").
ALTER TABLE api_keys
    ADD COLUMN expires_at          timestamptz,
    ADD COLUMN requests_per_minute integer NOT NULL DEFAULT 6000 CHECK (requests_per_minute BETWEEN 0 AND 1000000);
ALTER TABLE api_keys ALTER COLUMN requests_per_minute DROP DEFAULT;
