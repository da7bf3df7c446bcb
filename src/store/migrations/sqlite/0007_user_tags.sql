-- How many of each user's documents carry each tag (lower-cased, ASCII as
-- lower() does), kept in step by triggers on documents: tag counts, the
-- autocompletion and the dashboard's top tags read this table instead of
-- every document's JSON (50 ms for a user of 10,000 documents at 1M rows,
-- bench/RESULTS.md). Anonymous documents (no user) are not counted.
CREATE TABLE user_tags (
    user_id   TEXT NOT NULL,
    tag       TEXT NOT NULL,
    documents INTEGER NOT NULL,
    PRIMARY KEY (user_id, tag)
) WITHOUT ROWID;
-- No index on documents: a count changes with every document written, and
-- an index on it would be rewritten each time; the top tags sort one user's
-- rows (a few hundred or thousand tags), which costs microseconds.

-- A document counts once per distinct tag. (An upsert from a SELECT needs
-- its WHERE clause: SQLite's grammar.)
CREATE TRIGGER user_tags_insert AFTER INSERT ON documents WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO user_tags (user_id, tag, documents)
    SELECT new.user_id, tag, 1 FROM (SELECT DISTINCT lower(value) AS tag FROM json_each(new.tags)
                                      WHERE type = 'text' AND value <> '') WHERE true
    ON CONFLICT (user_id, tag) DO UPDATE SET documents = documents + 1;
END;

CREATE TRIGGER user_tags_delete AFTER DELETE ON documents WHEN old.user_id IS NOT NULL BEGIN
    UPDATE user_tags SET documents = documents - 1
    WHERE user_id = old.user_id AND tag IN (SELECT lower(value) FROM json_each(old.tags)
                                           WHERE type = 'text' AND value <> '');
    DELETE FROM user_tags WHERE user_id = old.user_id AND documents <= 0
      AND tag IN (SELECT lower(value) FROM json_each(old.tags) WHERE type = 'text' AND value <> '');
END;

-- A finished document's tags, or a claimed anonymous one (user_id set).
CREATE TRIGGER user_tags_update AFTER UPDATE OF user_id, tags ON documents BEGIN
    UPDATE user_tags SET documents = documents - 1
    WHERE old.user_id IS NOT NULL AND user_id = old.user_id
      AND tag IN (SELECT lower(value) FROM json_each(old.tags) WHERE type = 'text' AND value <> '');
    DELETE FROM user_tags WHERE old.user_id IS NOT NULL AND user_id = old.user_id AND documents <= 0
      AND tag IN (SELECT lower(value) FROM json_each(old.tags) WHERE type = 'text' AND value <> '');
    INSERT INTO user_tags (user_id, tag, documents)
    SELECT new.user_id, tag, 1 FROM (SELECT DISTINCT lower(value) AS tag FROM json_each(new.tags)
                                      WHERE type = 'text' AND value <> '')
    WHERE new.user_id IS NOT NULL
    ON CONFLICT (user_id, tag) DO UPDATE SET documents = documents + 1;
END;

-- Existing documents.
INSERT INTO user_tags (user_id, tag, documents)
SELECT d.user_id, lower(t.value), count(DISTINCT d.id)
FROM documents d, json_each(d.tags) t
WHERE d.user_id IS NOT NULL AND t.type = 'text' AND t.value <> ''
GROUP BY d.user_id, lower(t.value);
