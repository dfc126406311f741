-- Identify's templates partitioned by collection (docs/SCALING.md, section 5). Every collection starts in the DEFAULT
-- partition, subject_templates_shared, whose HNSW graph it shares with the others (a gallery of at most
-- Storage:ExactSearchMaxSubjects subjects is scanned exactly there instead); a large collection is given a LIST
-- partition and HNSW graph of its own with `faceservice partition` (PgCollectionPartitions), which deleting the
-- collection then drops. A query names its collection, so the planner prunes it to one partition and one graph.
-- The faces stay in one table: nothing searches them through a graph, and their triggers keep the templates.
-- Writers wait until this migration commits (the templates are written by the faces' triggers).
LOCK TABLE faces IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE subject_templates RENAME TO subject_templates_unpartitioned;
ALTER TABLE subject_templates_unpartitioned RENAME CONSTRAINT subject_templates_pkey TO subject_templates_unpartitioned_pkey;
-- The search index is built again over the partitions after the migrations (DatabaseMigrator), under its own name.
DROP INDEX IF EXISTS subject_templates_embedding_hnsw;

CREATE TABLE subject_templates (
    collection text        NOT NULL,
    model_id   text        NOT NULL,
    subject    text        NOT NULL,
    faces      integer     NOT NULL CHECK (faces > 0),
    embedding  vector(128) NOT NULL,
    PRIMARY KEY (collection, model_id, subject)
) PARTITION BY LIST (collection);

CREATE TABLE subject_templates_shared PARTITION OF subject_templates DEFAULT;

-- Straight into the partition: the parent's statement triggers (below, not yet made) would count the subjects again.
INSERT INTO subject_templates_shared (collection, model_id, subject, faces, embedding)
SELECT collection, model_id, subject, faces, embedding FROM subject_templates_unpartitioned;

DROP TABLE subject_templates_unpartitioned;

CREATE TRIGGER subject_templates_gallery_insert AFTER INSERT ON subject_templates
    REFERENCING NEW TABLE AS added_templates FOR EACH STATEMENT EXECUTE FUNCTION gallery_subjects_add();
CREATE TRIGGER subject_templates_gallery_delete AFTER DELETE ON subject_templates
    REFERENCING OLD TABLE AS removed_templates FOR EACH STATEMENT EXECUTE FUNCTION gallery_subjects_remove();
