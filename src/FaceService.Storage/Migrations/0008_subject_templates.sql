-- Subjects compared as persons. Each (collection, model, subject) has one template: the normalised mean of the unit
-- vectors its faces' codes stand for (SubjectTemplate in Core; a subject of one face: that face's unit vector).
-- Identify searches the templates, through their own HNSW index (created after the migrations, as the faces index was). Statement-level triggers on faces keep every template exact for every write path (enroll, bulk
-- COPY, deletes, updates, TRUNCATE) in the writing transaction, and gallery_sizes gains each gallery's subjects.
-- The faces' own HNSW index goes: no search reads it any more, and every insert paid for it.
-- Writers wait until this migration commits, so that no face slips in between the templates below and the triggers.
LOCK TABLE faces IN SHARE ROW EXCLUSIVE MODE;

DROP INDEX IF EXISTS faces_embedding_hnsw;

-- Faces by collection, model and subject: the templates' refresh (below) looks subjects up by all three, and with a
-- two-column (collection, model) index beside it a planner without fresh statistics (a bulk load's trigger) walked the
-- whole collection for every subject. The new index serves the collection-and-model scans the old one did.
CREATE INDEX faces_collection_model_subject ON faces (collection, model_id, subject);
DROP INDEX faces_collection_model;

-- The template is a float vector: the normalised mean of the faces' unit vectors as pgvector computes it (a subject
-- of one face: its own unit vector), compared exactly in C# after the index has found it.
CREATE TABLE subject_templates (
    collection text        NOT NULL,
    model_id   text        NOT NULL,
    subject    text        NOT NULL,
    faces      integer     NOT NULL CHECK (faces > 0),
    embedding  vector(128) NOT NULL,
    PRIMARY KEY (collection, model_id, subject)
);

-- The template of a subject's faces, from the embeddings stored with them (their codes as halfvec).
CREATE FUNCTION subject_template(embeddings halfvec[]) RETURNS vector(128)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path FROM CURRENT
RETURN CASE WHEN cardinality(embeddings) = 1 THEN l2_normalize(embeddings[1]::vector)
            ELSE l2_normalize((SELECT sum(l2_normalize(e::vector)) FROM unnest(embeddings) AS e)) END;

INSERT INTO subject_templates (collection, model_id, subject, faces, embedding)
SELECT collection, model_id, subject, count(*), subject_template(array_agg(embedding))
FROM faces
GROUP BY collection, model_id, subject;

-- Brings the templates of the given subjects up to date with their faces, safe against concurrent writers to the same
-- subjects: each step is its own statement, so it sees what a writer it waited for has committed.
--   1. Lock the subjects' templates (in key order, so that writers queue rather than deadlock).
--   2. Insert the templates of subjects that have none. A concurrent writer's new template for the same subject makes
--      this insert wait, then skip it. A template inserted here holds every face committed for its subject: any
--      writer that committed one first would have inserted the template itself.
--   3. Recompute the other templates from the faces now visible; only changed rows are written.
--   4. With faces removed, remove the templates of subjects left without any.
CREATE FUNCTION refresh_subject_templates(collections text[], model_ids text[], subjects text[], faces_removed boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
DECLARE
    inserted_collections text[];
    inserted_model_ids text[];
    inserted_subjects text[];
BEGIN
    PERFORM 1 FROM subject_templates t
    JOIN unnest(collections, model_ids, subjects) AS k(collection, model_id, subject)
      ON t.collection = k.collection AND t.model_id = k.model_id AND t.subject = k.subject
    ORDER BY t.collection, t.model_id, t.subject
    FOR UPDATE OF t;

    WITH added AS (
        INSERT INTO subject_templates (collection, model_id, subject, faces, embedding)
        SELECT f.collection, f.model_id, f.subject, count(*), subject_template(array_agg(f.embedding))
        FROM unnest(collections, model_ids, subjects) AS k(collection, model_id, subject)
        JOIN faces f ON f.collection = k.collection AND f.model_id = k.model_id AND f.subject = k.subject
        WHERE NOT EXISTS (SELECT 1 FROM subject_templates t
                          WHERE t.collection = k.collection AND t.model_id = k.model_id AND t.subject = k.subject)
        GROUP BY f.collection, f.model_id, f.subject
        ORDER BY f.collection, f.model_id, f.subject
        ON CONFLICT (collection, model_id, subject) DO NOTHING
        RETURNING collection, model_id, subject)
    SELECT array_agg(collection), array_agg(model_id), array_agg(subject) INTO inserted_collections, inserted_model_ids, inserted_subjects
    FROM added;

    UPDATE subject_templates t SET faces = v.faces, embedding = v.embedding
    FROM (SELECT f.collection, f.model_id, f.subject, count(*)::integer AS faces, subject_template(array_agg(f.embedding)) AS embedding
          FROM (SELECT * FROM unnest(collections, model_ids, subjects)
                EXCEPT SELECT * FROM unnest(inserted_collections, inserted_model_ids, inserted_subjects)) AS k(collection, model_id, subject)
          JOIN faces f ON f.collection = k.collection AND f.model_id = k.model_id AND f.subject = k.subject
          GROUP BY f.collection, f.model_id, f.subject) v
    WHERE t.collection = v.collection AND t.model_id = v.model_id AND t.subject = v.subject
      AND (t.faces, t.embedding) IS DISTINCT FROM (v.faces, v.embedding);

    IF faces_removed THEN
        DELETE FROM subject_templates t
        USING unnest(collections, model_ids, subjects) AS k(collection, model_id, subject)
        WHERE t.collection = k.collection AND t.model_id = k.model_id AND t.subject = k.subject
          AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.collection = k.collection AND f.model_id = k.model_id AND f.subject = k.subject);
    END IF;
END
$$;

-- The subjects a statement on faces touched: of the faces it added, removed, or both (an update may move a face).
-- A branch names only the transition tables its trigger defines; PL/pgSQL plans a statement when it first runs it.
CREATE FUNCTION subject_templates_after_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_subject_templates(array_agg(collection), array_agg(model_id), array_agg(subject), false)
        FROM (SELECT DISTINCT collection, model_id, subject FROM added_faces) k;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM refresh_subject_templates(array_agg(collection), array_agg(model_id), array_agg(subject), true)
        FROM (SELECT DISTINCT collection, model_id, subject FROM removed_faces) k;
    ELSE
        PERFORM refresh_subject_templates(array_agg(collection), array_agg(model_id), array_agg(subject), true)
        FROM (SELECT collection, model_id, subject FROM removed_faces UNION SELECT collection, model_id, subject FROM added_faces) k;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION subject_templates_clear() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    DELETE FROM subject_templates;
    RETURN NULL;
END
$$;

CREATE TRIGGER faces_subject_templates_insert AFTER INSERT ON faces
    REFERENCING NEW TABLE AS added_faces FOR EACH STATEMENT EXECUTE FUNCTION subject_templates_after_change();
CREATE TRIGGER faces_subject_templates_delete AFTER DELETE ON faces
    REFERENCING OLD TABLE AS removed_faces FOR EACH STATEMENT EXECUTE FUNCTION subject_templates_after_change();
CREATE TRIGGER faces_subject_templates_update AFTER UPDATE ON faces
    REFERENCING OLD TABLE AS removed_faces NEW TABLE AS added_faces FOR EACH STATEMENT EXECUTE FUNCTION subject_templates_after_change();
CREATE TRIGGER faces_subject_templates_truncate AFTER TRUNCATE ON faces
    FOR EACH STATEMENT EXECUTE FUNCTION subject_templates_clear();

-- Subjects per gallery, kept by the templates' own triggers (a template is a subject). The faces triggers of 0005
-- create and remove the gallery's row; these only count.
ALTER TABLE gallery_sizes ADD COLUMN subjects bigint NOT NULL DEFAULT 0 CHECK (subjects >= 0);

UPDATE gallery_sizes g SET subjects = t.subjects
FROM (SELECT collection, model_id, count(*) AS subjects FROM subject_templates GROUP BY collection, model_id) t
WHERE g.collection = t.collection AND g.model_id = t.model_id;

CREATE FUNCTION gallery_subjects_add() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE gallery_sizes g SET subjects = g.subjects + a.subjects
    FROM (SELECT collection, model_id, count(*) AS subjects FROM added_templates GROUP BY collection, model_id) a
    WHERE g.collection = a.collection AND g.model_id = a.model_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION gallery_subjects_remove() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE gallery_sizes g SET subjects = g.subjects - r.subjects
    FROM (SELECT collection, model_id, count(*) AS subjects FROM removed_templates GROUP BY collection, model_id) r
    WHERE g.collection = r.collection AND g.model_id = r.model_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER subject_templates_gallery_insert AFTER INSERT ON subject_templates
    REFERENCING NEW TABLE AS added_templates FOR EACH STATEMENT EXECUTE FUNCTION gallery_subjects_add();
CREATE TRIGGER subject_templates_gallery_delete AFTER DELETE ON subject_templates
    REFERENCING OLD TABLE AS removed_templates FOR EACH STATEMENT EXECUTE FUNCTION gallery_subjects_remove();
