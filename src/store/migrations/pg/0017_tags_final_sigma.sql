-- A tag's key in lower case writes a Greek word's last sigma as ς and any
-- other as σ, as C's utf8_lower does (SQLite's mtag_lower): lower() made
-- "ΚΌΣΜΟΣ" "κόσμοσ", which a typed "κόσμος" did not find and the tag list
-- showed misspelt. mtag_lower is that lower case; the tag filters (store_history.c)
-- and the counts' trigger use it, and the keys holding a sigma are made again.
-- (Greek letters by range: a database of locale C has no Greek [[:alpha:]].)
CREATE FUNCTION mtag_lower(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN strpos(t, 'σ') > 0 OR strpos(t, 'ς') > 0 OR strpos(t, 'Σ') > 0
        THEN regexp_replace(translate(lower(t), 'ς', 'σ'),
                            '(?<=[\u0390\u03AC-\u03CE\u1F00-\u1FFF])σ(?![\u0390\u03AC-\u03CE\u1F00-\u1FFF])',
                            'ς', 'g')
        ELSE lower(t) END;

CREATE OR REPLACE FUNCTION user_tags_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- (PL/pgSQL prepares a statement when it first runs it: each branch names only
    -- the transition tables its event has.)
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_tags (user_id, tag, documents)
        SELECT user_id, tag, count(*)
        FROM (SELECT DISTINCT n.id, n.user_id, mtag_lower(t) AS tag
              FROM new_rows n, jsonb_array_elements_text(n.tags) t
              WHERE n.user_id IS NOT NULL AND t <> '') c
        GROUP BY user_id, tag ORDER BY user_id, tag
        ON CONFLICT (user_id, tag) DO UPDATE SET documents = user_tags.documents + excluded.documents;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_tags (user_id, tag, documents)
        SELECT user_id, tag, -count(*)
        FROM (SELECT DISTINCT o.id, o.user_id, mtag_lower(t) AS tag
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
            SELECT DISTINCT id, old_user AS user_id, mtag_lower(t) AS tag, -1 AS change
            FROM changed, jsonb_array_elements_text(old_tags) t WHERE old_user IS NOT NULL AND t <> ''
            UNION ALL
            SELECT DISTINCT id, new_user, mtag_lower(t), 1
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
      AND (user_id, tag) IN (SELECT o.user_id, mtag_lower(t) FROM old_rows o, jsonb_array_elements_text(o.tags) t
                             WHERE o.user_id IS NOT NULL);
    RETURN NULL;
END
$$;


DELETE FROM user_tags WHERE strpos(tag, 'σ') > 0 OR strpos(tag, 'ς') > 0;
INSERT INTO user_tags (user_id, tag, documents)
SELECT d.user_id, mtag_lower(t), count(DISTINCT d.id)
FROM documents d, jsonb_array_elements_text(d.tags) t
WHERE d.user_id IS NOT NULL AND t <> '' AND d.tags::text ~ '[σςΣ]' AND t ~ '[σςΣ]'
GROUP BY d.user_id, mtag_lower(t);
