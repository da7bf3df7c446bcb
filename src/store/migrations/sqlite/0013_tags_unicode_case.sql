-- A tag's key in user_tags, and the tag filter's comparison, in lower case
-- as Unicode's simple case mapping gives it (mtag_lower, store_sqlite_func.c)
-- instead of SQLite's lower(), which folds ASCII letters only: "Übersicht"
-- was its own key and was not found by the filter "übersicht", which
-- PostgreSQL's lower() finds. The triggers of 0011, with mtag_lower; then
-- every key made again from the documents.
DROP TRIGGER user_tags_insert;
DROP TRIGGER user_tags_delete;
DROP TRIGGER user_tags_update;

CREATE TRIGGER user_tags_insert AFTER INSERT ON documents WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO user_tags (user_id, tag, documents)
    SELECT new.user_id, tag, 1 FROM (SELECT DISTINCT mtag_lower(value) AS tag
                                      FROM json_each(new.tags)
                                      WHERE type = 'text' AND value <> '') WHERE true
    ON CONFLICT (user_id, tag) DO UPDATE SET documents = documents + 1;
END;
CREATE TRIGGER user_tags_delete AFTER DELETE ON documents WHEN old.user_id IS NOT NULL BEGIN
    UPDATE user_tags SET documents = documents - 1
    WHERE user_id = old.user_id AND tag IN (SELECT mtag_lower(value) FROM json_each(old.tags)
                                           WHERE type = 'text' AND value <> '');
    DELETE FROM user_tags WHERE user_id = old.user_id AND documents <= 0
      AND tag IN (SELECT mtag_lower(value) FROM json_each(old.tags)
                  WHERE type = 'text' AND value <> '');
END;
CREATE TRIGGER user_tags_update AFTER UPDATE OF user_id, tags ON documents BEGIN
    UPDATE user_tags SET documents = documents - 1
    WHERE old.user_id IS NOT NULL AND user_id = old.user_id
      AND tag IN (SELECT mtag_lower(value) FROM json_each(old.tags)
                  WHERE type = 'text' AND value <> '');
    DELETE FROM user_tags WHERE old.user_id IS NOT NULL AND user_id = old.user_id AND documents <= 0
      AND tag IN (SELECT mtag_lower(value) FROM json_each(old.tags)
                  WHERE type = 'text' AND value <> '');
    INSERT INTO user_tags (user_id, tag, documents)
    SELECT new.user_id, tag, 1 FROM (SELECT DISTINCT mtag_lower(value) AS tag
                                      FROM json_each(new.tags)
                                      WHERE type = 'text' AND value <> '')
    WHERE new.user_id IS NOT NULL
    ON CONFLICT (user_id, tag) DO UPDATE SET documents = documents + 1;
END;

DELETE FROM user_tags;
INSERT INTO user_tags (user_id, tag, documents)
SELECT d.user_id, mtag_lower(t.value), count(DISTINCT d.id)
FROM documents d, json_each(d.tags) t
WHERE d.user_id IS NOT NULL AND t.type = 'text' AND t.value <> ''
GROUP BY d.user_id, mtag_lower(t.value);
