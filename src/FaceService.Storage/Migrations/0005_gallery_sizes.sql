-- How many faces of each model a collection holds: the size of the gallery an identify request searches, which sets its
-- threshold (the more faces a stranger is compared with, the stricter the threshold). Counting the faces of a
-- collection per request would scan them (tens of milliseconds at a million faces); this table answers with one row.
-- Statement-level triggers keep it exact for every write path (enroll, bulk COPY, deletes, TRUNCATE), in the writing
-- transaction: concurrent writers to one collection queue on its row until they commit. Faces are never updated in
-- place (a face is inserted or deleted), so INSERT and DELETE cover every change.
-- Writers wait until this migration commits, so that no face slips in between the count below and the triggers.
LOCK TABLE faces IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE gallery_sizes (
    collection text   NOT NULL,
    model_id   text   NOT NULL,
    faces      bigint NOT NULL CHECK (faces >= 0),
    PRIMARY KEY (collection, model_id)
);

INSERT INTO gallery_sizes (collection, model_id, faces)
SELECT collection, model_id, count(*) FROM faces GROUP BY collection, model_id;

CREATE FUNCTION gallery_sizes_add() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO gallery_sizes (collection, model_id, faces)
    SELECT collection, model_id, count(*) FROM added_faces GROUP BY collection, model_id
    ON CONFLICT (collection, model_id) DO UPDATE SET faces = gallery_sizes.faces + excluded.faces;
    RETURN NULL;
END
$$;

CREATE FUNCTION gallery_sizes_remove() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE gallery_sizes g SET faces = g.faces - r.faces
    FROM (SELECT collection, model_id, count(*) AS faces FROM removed_faces GROUP BY collection, model_id) r
    WHERE g.collection = r.collection AND g.model_id = r.model_id;
    -- A gallery whose last face went is removed rather than kept at 0.
    DELETE FROM gallery_sizes g
    USING (SELECT DISTINCT collection, model_id FROM removed_faces) r
    WHERE g.collection = r.collection AND g.model_id = r.model_id AND g.faces = 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION gallery_sizes_clear() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    DELETE FROM gallery_sizes;
    RETURN NULL;
END
$$;

CREATE TRIGGER faces_gallery_sizes_insert AFTER INSERT ON faces
    REFERENCING NEW TABLE AS added_faces FOR EACH STATEMENT EXECUTE FUNCTION gallery_sizes_add();
CREATE TRIGGER faces_gallery_sizes_delete AFTER DELETE ON faces
    REFERENCING OLD TABLE AS removed_faces FOR EACH STATEMENT EXECUTE FUNCTION gallery_sizes_remove();
CREATE TRIGGER faces_gallery_sizes_truncate AFTER TRUNCATE ON faces
    FOR EACH STATEMENT EXECUTE FUNCTION gallery_sizes_clear();
