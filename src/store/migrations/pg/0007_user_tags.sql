-- How many of each user's documents carry each tag (lower-cased), kept in
-- step by triggers on documents: tag counts, the autocompletion and the
-- dashboard's top tags read this table instead of every document's JSON
-- (50 ms for a user of 10,000 documents at 1M rows, bench/RESULTS.md).
-- Anonymous documents (no user) are not counted.
CREATE TABLE user_tags (
    user_id   uuid NOT NULL,
    tag       text NOT NULL,
    documents integer NOT NULL,
    PRIMARY KEY (user_id, tag)
);
-- No index on documents: a count changes with every document written, and
-- without one the change is a HOT update (no index entry rewritten, little
-- bloat); the top tags sort one user's rows (a few hundred or thousand tags).

-- The triggers are per statement, over the statement's rows (transition
-- tables): a statement's changes are summed per (user, tag) and applied by
-- one upsert in that order, so every writer takes its user_tags rows in the
-- same order and two never deadlock, however many documents each touches (a
-- finish, a job's deletion, a claim). Each document counts once per distinct tag.
CREATE FUNCTION user_tags_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- (PL/pgSQL prepares a statement when it first runs it: each branch names only
    -- the transition tables its event has.)
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_tags (user_id, tag, documents)
        SELECT user_id, tag, count(*)
        FROM (SELECT DISTINCT n.id, n.user_id, lower(t) AS tag
              FROM new_rows n, jsonb_array_elements_text(n.tags) t
              WHERE n.user_id IS NOT NULL AND t <> '') c
        GROUP BY user_id, tag ORDER BY user_id, tag
        ON CONFLICT (user_id, tag) DO UPDATE SET documents = user_tags.documents + excluded.documents;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_tags (user_id, tag, documents)
        SELECT user_id, tag, -count(*)
        FROM (SELECT DISTINCT o.id, o.user_id, lower(t) AS tag
              FROM old_rows o, jsonb_array_elements_text(o.tags) t
              WHERE o.user_id IS NOT NULL AND t <> '') c
        GROUP BY user_id, tag ORDER BY user_id, tag
        ON CONFLICT (user_id, tag) DO UPDATE SET documents = user_tags.documents + excluded.documents;
    ELSE
        -- Only rows whose owner or tags changed: minus the old, plus the new
        -- (lease renewals and the like change neither and count nothing).
        WITH changed AS (
            SELECT o.id, o.user_id AS old_user, o.tags AS old_tags, n.user_id AS new_user,
                   n.tags AS new_tags
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.user_id IS DISTINCT FROM n.user_id OR o.tags IS DISTINCT FROM n.tags
        ), c AS (
            SELECT DISTINCT id, old_user AS user_id, lower(t) AS tag, -1 AS change
            FROM changed, jsonb_array_elements_text(old_tags) t WHERE old_user IS NOT NULL AND t <> ''
            UNION ALL
            SELECT DISTINCT id, new_user, lower(t), 1
            FROM changed, jsonb_array_elements_text(new_tags) t WHERE new_user IS NOT NULL AND t <> ''
        )
        INSERT INTO user_tags (user_id, tag, documents)
        SELECT user_id, tag, sum(change) FROM c
        GROUP BY user_id, tag HAVING sum(change) <> 0 ORDER BY user_id, tag
        ON CONFLICT (user_id, tag) DO UPDATE SET documents = user_tags.documents + excluded.documents;
    END IF;
    IF NOT FOUND THEN -- no count changed
        RETURN NULL;
    END IF;
    -- A tag no document carries any more goes (rows this transaction holds already).
    DELETE FROM user_tags WHERE documents <= 0
      AND (user_id, tag) IN (SELECT o.user_id, lower(t) FROM old_rows o, jsonb_array_elements_text(o.tags) t
                             WHERE o.user_id IS NOT NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER documents_user_tags_insert AFTER INSERT ON documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_tags_follow();
CREATE TRIGGER documents_user_tags_delete AFTER DELETE ON documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_tags_follow();
CREATE TRIGGER documents_user_tags_update AFTER UPDATE ON documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_tags_follow();

-- Existing documents.
INSERT INTO user_tags (user_id, tag, documents)
SELECT d.user_id, lower(t), count(DISTINCT d.id)
FROM documents d, jsonb_array_elements_text(d.tags) t
WHERE d.user_id IS NOT NULL AND t <> ''
GROUP BY d.user_id, lower(t);
