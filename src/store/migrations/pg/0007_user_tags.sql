-- How many of each user's documents carry each tag (lower-cased), kept in
-- step by a trigger on documents: tag counts, the autocompletion and the
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

-- A document counts once per distinct tag. Rows are taken in tag order, so
-- two documents of one user written at once wait for each other rather than
-- deadlock (a whole job deleted at once may still meet a finishing document
-- in another order: PostgreSQL then cancels one, which the store reports as
-- unavailable and the client or the queue tries again).
CREATE FUNCTION user_tags_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.user_id IS NOT NULL THEN
        UPDATE user_tags SET documents = documents - 1
        WHERE user_id = OLD.user_id
          AND tag IN (SELECT lower(t) FROM jsonb_array_elements_text(OLD.tags) t WHERE t <> '');
        DELETE FROM user_tags WHERE user_id = OLD.user_id AND documents <= 0
          AND tag IN (SELECT lower(t) FROM jsonb_array_elements_text(OLD.tags) t WHERE t <> '');
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.user_id IS NOT NULL THEN
        INSERT INTO user_tags (user_id, tag, documents)
        SELECT NEW.user_id, tag, 1
        FROM (SELECT DISTINCT lower(t) AS tag FROM jsonb_array_elements_text(NEW.tags) t
              WHERE t <> '') x
        ORDER BY tag
        ON CONFLICT (user_id, tag) DO UPDATE SET documents = user_tags.documents + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER documents_user_tags
    AFTER INSERT OR DELETE OR UPDATE OF user_id, tags ON documents
    FOR EACH ROW EXECUTE FUNCTION user_tags_follow();

-- Existing documents.
INSERT INTO user_tags (user_id, tag, documents)
SELECT d.user_id, lower(t), count(DISTINCT d.id)
FROM documents d, jsonb_array_elements_text(d.tags) t
WHERE d.user_id IS NOT NULL AND t <> ''
GROUP BY d.user_id, lower(t);
