-- How many of each user's documents carry each tag (lower-cased), kept in
-- step by triggers on documents: tag counts, the autocompletion and the
-- dashboard's top tags read this index instead of every document's JSON
-- (50 ms for a user of 10,000 documents at 1M rows, bench/RESULTS.md).
-- Anonymous documents (no user) are not counted.
CREATE TABLE user_tags (
    user_id   uuid NOT NULL,
    tag       text NOT NULL,
    documents integer NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX user_tags_top_idx ON user_tags (user_id, documents DESC, tag);

-- The triggers are per statement, over the statement's rows (transition
-- tables): a statement's changes are summed per (user, tag) and applied in
-- that order, so every writer takes its user_tags rows in the same order and
-- two never deadlock, however many documents each touches (a finish, a job's
-- deletion, a claim). deltas: one (user_id, tag, change) per document and tag.
CREATE FUNCTION user_tags_apply(deltas jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_tags (user_id, tag, documents)
    SELECT user_id, tag, change
    FROM (SELECT (e->>'user_id')::uuid AS user_id, e->>'tag' AS tag, sum((e->>'change')::int) AS change
          FROM jsonb_array_elements(deltas) e GROUP BY 1, 2) d
    WHERE change <> 0
    ORDER BY user_id, tag
    ON CONFLICT (user_id, tag) DO UPDATE SET documents = user_tags.documents + excluded.documents;
    -- Rows this transaction holds already: a tag no document carries any more goes.
    DELETE FROM user_tags u
    USING (SELECT DISTINCT (e->>'user_id')::uuid AS user_id, e->>'tag' AS tag
           FROM jsonb_array_elements(deltas) e) k
    WHERE u.user_id = k.user_id AND u.tag = k.tag AND u.documents <= 0;
END
$$;

-- The (document, tag) pairs of a set of rows, each tag once per document.
CREATE FUNCTION user_tags_of(rows jsonb, change int) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('user_id', user_id, 'tag', tag, 'change', change)),
                    '[]')
    FROM (SELECT DISTINCT r->>'id' AS id, r->>'user_id' AS user_id, lower(t) AS tag
          FROM jsonb_array_elements(rows) r, jsonb_array_elements_text(r->'tags') t
          WHERE r->>'user_id' IS NOT NULL AND t <> '') x;
$$;

CREATE FUNCTION user_tags_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM user_tags_apply(user_tags_of(
            (SELECT jsonb_agg(jsonb_build_object('id', id, 'user_id', user_id, 'tags', tags))
             FROM new_rows WHERE user_id IS NOT NULL AND tags <> '[]'), 1));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM user_tags_apply(user_tags_of(
            (SELECT jsonb_agg(jsonb_build_object('id', id, 'user_id', user_id, 'tags', tags))
             FROM old_rows WHERE user_id IS NOT NULL AND tags <> '[]'), -1));
    ELSE
        -- Only rows whose owner or tags changed (lease renewals and the like do not count).
        PERFORM user_tags_apply(
            user_tags_of((SELECT jsonb_agg(jsonb_build_object('id', n.id, 'user_id', n.user_id, 'tags', n.tags))
                          FROM new_rows n JOIN old_rows o ON o.id = n.id
                          WHERE o.user_id IS DISTINCT FROM n.user_id OR o.tags IS DISTINCT FROM n.tags), 1)
            || user_tags_of((SELECT jsonb_agg(jsonb_build_object('id', o.id, 'user_id', o.user_id, 'tags', o.tags))
                             FROM new_rows n JOIN old_rows o ON o.id = n.id
                             WHERE o.user_id IS DISTINCT FROM n.user_id OR o.tags IS DISTINCT FROM n.tags), -1));
    END IF;
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
