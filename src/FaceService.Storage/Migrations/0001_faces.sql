-- Faces and their 128-byte quantized codes (the canonical form of an embedding).
-- The vector extension is created by deploy/db/create-database.sh as a superuser (pgvector is not a trusted
-- extension); IF NOT EXISTS makes this a no-op for the unprivileged app role once it exists.
CREATE EXTENSION IF NOT EXISTS vector;

-- Signed code bytes as a halfvec. A code stands for the unit vector code / ‖code‖ (EmbeddingQuantizer), so the cosine
-- distance between two codes is half the squared L2 distance between the unit vectors they stand for: the search
-- index uses cosine ops and needs no scale. halfvec holds the integers -128..127 exactly.
-- SET search_path pins the halfvec type for the generated column and the index.
CREATE FUNCTION face_code_to_halfvec(code bytea) RETURNS halfvec(128)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path FROM CURRENT
RETURN (
    SELECT array_agg(((get_byte(code, i) + 128) % 256) - 128 ORDER BY i)
    FROM generate_series(0, octet_length(code) - 1) AS i
)::halfvec(128);

CREATE TABLE faces (
    face_id      uuid        PRIMARY KEY,
    collection   text        NOT NULL CHECK (collection ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    subject      text        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 256),
    model_id     text        NOT NULL CHECK (char_length(model_id) BETWEEN 1 AND 128),
    code         bytea       NOT NULL CHECK (octet_length(code) = 128),
    -- Derived from code, stored so that exact (non-index) scans do not convert every row per query.
    embedding    halfvec(128) NOT NULL GENERATED ALWAYS AS (face_code_to_halfvec(code)) STORED,
    -- NaN compares above every number in PostgreSQL, so '< Infinity' also rejects NaN.
    box_x        real        NOT NULL CHECK (box_x > '-Infinity' AND box_x < 'Infinity'),
    box_y        real        NOT NULL CHECK (box_y > '-Infinity' AND box_y < 'Infinity'),
    box_width    real        NOT NULL CHECK (box_width > 0 AND box_width < 'Infinity'),
    box_height   real        NOT NULL CHECK (box_height > 0 AND box_height < 'Infinity'),
    score        real        NOT NULL CHECK (score >= 0 AND score <= 1),
    image_sha256 text        NOT NULL CHECK (image_sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Idempotent enrollment: the same image enrolled again for the same subject and model is the same face.
    CONSTRAINT faces_enrollment_key UNIQUE (collection, subject, image_sha256, model_id)
);

-- Filtered searches and scans by collection and model. Subject lookups use the enrollment key's prefix.
CREATE INDEX faces_collection_model ON faces (collection, model_id);

-- The HNSW index (cosine) over embedding is created after the migrations with the configured m / ef_construction
-- (DatabaseMigrator.EnsureSearchIndexAsync), so that its build parameters are configuration, not schema history.
