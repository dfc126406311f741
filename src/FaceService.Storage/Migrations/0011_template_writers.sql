-- Each template row names the transaction that last wrote it (written_by), so that an in-process search graph built
-- from a snapshot (SubjectGraphSync) can find exactly the rows that snapshot did not see: every row whose writer was
-- not yet finished when the snapshot was taken has written_by >= the snapshot's xmin. Rows from before this migration
-- are older than any snapshot a graph is built from: 0. PgFaceSearch reads those rows with every graph search, and the
-- sync folds them into the graph; the index keeps that read short.
ALTER TABLE subject_templates ADD COLUMN written_by xid8 NOT NULL DEFAULT '0';
ALTER TABLE subject_templates ALTER COLUMN written_by SET DEFAULT pg_current_xact_id();
CREATE INDEX subject_templates_written_by ON subject_templates (collection, model_id, written_by);

CREATE FUNCTION subject_template_rewritten() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.written_by := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER subject_templates_rewritten BEFORE UPDATE ON subject_templates
    FOR EACH ROW EXECUTE FUNCTION subject_template_rewritten();

-- Statistics for the new column, so that the planner reads the few rows written since through the index from the start.
ANALYZE subject_templates;
