-- People: faces stored without a subject (index), grouped into clusters, named once.
--   faces.subject      NULL for a face not yet named (an indexed face); a named face is part of its subject's template.
--   faces.cluster_id   the cluster of an unnamed face (ClusterJoining as it arrives, a recluster job later); NULL once
--                      named, and for low-quality faces, which no cluster takes.
--   faces.quality      the face's quality score (0..1) when it was stored; NULL for faces stored before it was scored.
--   faces.low_quality  stored below the service's quality floor because the caller lowered minQuality: kept, shown,
--                      but left out of templates and clusters.
--   faces.source       the photo's name as the client gave it (a file name or path), to show which photo a face is from.
-- Writers wait until this migration commits.
LOCK TABLE faces IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE faces ALTER COLUMN subject DROP NOT NULL;
ALTER TABLE faces ADD COLUMN quality real CHECK (quality >= 0 AND quality <= 1);
ALTER TABLE faces ADD COLUMN low_quality boolean NOT NULL DEFAULT false;
ALTER TABLE faces ADD COLUMN source text CHECK (char_length(source) BETWEEN 1 AND 1024);

-- A cluster of unnamed faces: their number and the sum of their unit vectors (the average-link distance of a new face
-- to the cluster is exact from it: 2 − 2·x·S/m), kept by the triggers below for every write path. version grows with
-- every change of its faces: a client names the version it looked at, and a cluster that changed meanwhile is refused.
CREATE TABLE face_clusters (
    cluster_id bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection text        NOT NULL,
    model_id   text        NOT NULL,
    faces      integer     NOT NULL DEFAULT 0 CHECK (faces >= 0),
    unit_sum   vector(128),
    version    integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_clusters_collection_model ON face_clusters (collection, model_id, faces DESC, cluster_id);
-- The clusters near a new face, by the direction of their sum (the mean's direction).
CREATE INDEX face_clusters_unit_sum_hnsw ON face_clusters USING hnsw (unit_sum vector_cosine_ops);

ALTER TABLE faces ADD COLUMN cluster_id bigint REFERENCES face_clusters (cluster_id);
CREATE INDEX faces_cluster ON faces (cluster_id) WHERE cluster_id IS NOT NULL;
-- Unnamed faces of a collection (listings, the recluster's input).
CREATE INDEX faces_unnamed ON faces (collection, model_id) WHERE subject IS NULL;
-- The faces of one photo: index looks them up for every photo (the enrollment key has the subject before the hash).
CREATE INDEX faces_collection_model_image ON faces (collection, model_id, image_sha256);

-- Brings the given clusters up to date with their faces, as refresh_subject_templates does for templates: lock first
-- (key order), then recompute in a statement of its own, which sees what a writer it waited for committed. Clusters
-- left without faces go.
CREATE FUNCTION refresh_face_clusters(cluster_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM 1 FROM face_clusters c WHERE c.cluster_id = ANY(cluster_ids) ORDER BY c.cluster_id FOR UPDATE;

    UPDATE face_clusters c SET faces = v.faces, unit_sum = v.unit_sum, version = c.version + 1, updated_at = now()
    FROM (SELECT k.cluster_id, count(f.face_id)::integer AS faces, sum(l2_normalize(f.embedding::vector)) AS unit_sum
          FROM unnest(cluster_ids) AS k(cluster_id)
          LEFT JOIN faces f ON f.cluster_id = k.cluster_id
          GROUP BY k.cluster_id) v
    WHERE c.cluster_id = v.cluster_id AND (c.faces, c.unit_sum) IS DISTINCT FROM (v.faces, v.unit_sum);

    DELETE FROM face_clusters c WHERE c.cluster_id = ANY(cluster_ids) AND c.faces = 0;
END
$$;

CREATE FUNCTION face_clusters_after_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_face_clusters(array_agg(DISTINCT cluster_id)) FROM added_faces WHERE cluster_id IS NOT NULL HAVING count(*) > 0;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM refresh_face_clusters(array_agg(DISTINCT cluster_id)) FROM removed_faces WHERE cluster_id IS NOT NULL HAVING count(*) > 0;
    ELSE
        PERFORM refresh_face_clusters(array_agg(DISTINCT cluster_id))
        FROM (SELECT cluster_id FROM removed_faces UNION SELECT cluster_id FROM added_faces) k
        WHERE cluster_id IS NOT NULL HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER faces_clusters_insert AFTER INSERT ON faces
    REFERENCING NEW TABLE AS added_faces FOR EACH STATEMENT EXECUTE FUNCTION face_clusters_after_change();
CREATE TRIGGER faces_clusters_delete AFTER DELETE ON faces
    REFERENCING OLD TABLE AS removed_faces FOR EACH STATEMENT EXECUTE FUNCTION face_clusters_after_change();
CREATE TRIGGER faces_clusters_update AFTER UPDATE ON faces
    REFERENCING OLD TABLE AS removed_faces NEW TABLE AS added_faces FOR EACH STATEMENT EXECUTE FUNCTION face_clusters_after_change();
-- TRUNCATE faces (tests, operators) leaves no face behind: clusters go with them (TRUNCATE ... CASCADE reaches
-- face_clusters through the foreign key only the other way round).
CREATE FUNCTION face_clusters_clear() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    DELETE FROM face_clusters;
    RETURN NULL;
END
$$;
CREATE TRIGGER faces_clusters_truncate AFTER TRUNCATE ON faces
    FOR EACH STATEMENT EXECUTE FUNCTION face_clusters_clear();

-- Templates leave low-quality faces out: the same refresh as 0008, with that one condition on the faces it reads.
CREATE OR REPLACE FUNCTION refresh_subject_templates(collections text[], model_ids text[], subjects text[], faces_removed boolean) RETURNS void
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
        JOIN faces f ON f.collection = k.collection AND f.model_id = k.model_id AND f.subject = k.subject AND NOT f.low_quality
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
          JOIN faces f ON f.collection = k.collection AND f.model_id = k.model_id AND f.subject = k.subject AND NOT f.low_quality
          GROUP BY f.collection, f.model_id, f.subject) v
    WHERE t.collection = v.collection AND t.model_id = v.model_id AND t.subject = v.subject
      AND (t.faces, t.embedding) IS DISTINCT FROM (v.faces, v.embedding);

    IF faces_removed THEN
        DELETE FROM subject_templates t
        USING unnest(collections, model_ids, subjects) AS k(collection, model_id, subject)
        WHERE t.collection = k.collection AND t.model_id = k.model_id AND t.subject = k.subject
          AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.collection = k.collection AND f.model_id = k.model_id AND f.subject = k.subject
                                                  AND NOT f.low_quality);
    END IF;
END
$$;

-- Photos an index request has analysed, with or without faces: indexing the same photo again changes nothing, and
-- the command line's `index` resumes by skipping them. No image: its hash and the name the client gave.
CREATE TABLE indexed_photos (
    collection    text        NOT NULL,
    model_id      text        NOT NULL,
    image_sha256  text        NOT NULL CHECK (image_sha256 ~ '^[0-9a-f]{64}$'),
    source        text        CHECK (char_length(source) BETWEEN 1 AND 1024),
    faces_indexed integer     NOT NULL CHECK (faces_indexed >= 0),
    faces_refused integer     NOT NULL CHECK (faces_refused >= 0),
    indexed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, model_id, image_sha256)
);

-- Full reclusters of a collection's unnamed faces, run in the background by any replica. A running job beats
-- heartbeat_at; one whose heartbeat stopped (its process ended) is taken up again by the next runner. One queued or
-- running job per collection and model.
CREATE TABLE recluster_jobs (
    job_id           uuid        PRIMARY KEY,
    collection       text        NOT NULL,
    model_id         text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    stage            text        NOT NULL DEFAULT 'queued',
    progress         real        NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    attempts         integer     NOT NULL DEFAULT 0,
    cancel_requested boolean     NOT NULL DEFAULT false,
    faces            integer,
    faces_left_out   integer,
    clusters         integer,
    faces_moved      integer,
    -- The collection's faces (of the model) when the job was queued: an automatic recluster waits for it to grow.
    gallery_faces    bigint      NOT NULL DEFAULT 0,
    error            text,
    requested_by     text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    heartbeat_at     timestamptz,
    finished_at      timestamptz
);
CREATE UNIQUE INDEX recluster_jobs_one_active ON recluster_jobs (collection, model_id) WHERE state IN ('queued', 'running');
CREATE INDEX recluster_jobs_collection ON recluster_jobs (collection, created_at DESC);

-- A change of a face's subject names where it came from (rename, merge, move, a cluster named).
ALTER TABLE audit_log ADD COLUMN from_subject text;
