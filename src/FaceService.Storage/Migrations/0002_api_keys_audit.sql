-- API keys: only the SHA-256 of a key's full text is stored (the text is shown once, at creation). The id is the
-- public part of the key ("fs_<id>_<secret>") and finds the row; the hash is compared in constant time.
CREATE TABLE api_keys (
    key_id      text        PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    key_sha256  bytea       NOT NULL CHECK (octet_length(key_sha256) = 32),
    role        text        NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    -- Collection names, or the single element '*' for every collection.
    collections text[]      NOT NULL CHECK (cardinality(collections) >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text        NOT NULL,
    revoked_at  timestamptz
);

-- Who changed what, and when. No biometric data: no codes, no images, no image hashes.
CREATE TABLE audit_log (
    audit_id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    action        text        NOT NULL,
    actor_key_id  text        NOT NULL,
    actor_name    text        NOT NULL,
    collection    text,
    subject       text,
    face_ids      uuid[]      NOT NULL DEFAULT '{}',
    face_count    integer     NOT NULL DEFAULT 0 CHECK (face_count >= 0),
    target_key_id text,
    request_id    text
);

CREATE INDEX audit_log_collection ON audit_log (collection, audit_id DESC);
