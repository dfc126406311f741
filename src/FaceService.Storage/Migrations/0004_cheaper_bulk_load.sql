-- Cheaper rows for bulk loads: COPY cost ~42 µs of server CPU per face, most of it in two things (docs/BENCHMARKS.md,
-- Search at scale):
-- 1. The generated embedding column ran face_code_to_halfvec (128 get_byte calls in a sub-select) for every row,
--    ~half the cost. The column becomes a plain one, written by PgFaceStore alone: EnrollAsync converts in SQL with
--    face_code_to_halfvec, BulkLoadAsync sends the halfvec it computed from the same bytes (the same values: every
--    code byte is an integer that halfvec holds exactly; tests/FaceService.Storage.Tests pin both paths against the
--    codes). Dropping the expression keeps the stored values and rewrites nothing.
-- 2. The regular expressions with bounded repeats ({64}, {0,63}) of two checks cost ~10 µs per row in PostgreSQL's
--    regex engine. Length plus an unbounded class accepts exactly the same strings (all ASCII, so octet_length is the
--    character count). Re-adding a check scans the table once (a few seconds per million faces).
ALTER TABLE faces ALTER COLUMN embedding DROP EXPRESSION;

ALTER TABLE faces
    DROP CONSTRAINT faces_collection_check,
    ADD CONSTRAINT faces_collection_check
        CHECK (octet_length(collection) <= 64 AND collection ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
    DROP CONSTRAINT faces_image_sha256_check,
    ADD CONSTRAINT faces_image_sha256_check
        CHECK (octet_length(image_sha256) = 64 AND image_sha256 ~ '^[0-9a-f]*$');
