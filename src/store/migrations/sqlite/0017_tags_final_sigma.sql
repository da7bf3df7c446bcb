-- A tag's key in lower case writes a Greek word's last sigma as ς and any
-- other as σ (mtag_lower, utf8_lower): "ΚΌΣΜΟΣ" was keyed "κόσμοσ", which a
-- typed "κόσμος" did not find and the tag list showed misspelt. The keys
-- holding a sigma are made again from the documents.
DELETE FROM user_tags WHERE tag LIKE '%σ%' OR tag LIKE '%ς%';
INSERT INTO user_tags (user_id, tag, documents)
SELECT d.user_id, mtag_lower(t.value), count(DISTINCT d.id)
FROM documents d, json_each(d.tags) t
WHERE d.user_id IS NOT NULL AND t.type = 'text' AND t.value <> ''
  AND (d.tags LIKE '%σ%' OR d.tags LIKE '%ς%' OR d.tags LIKE '%Σ%')
  AND (t.value LIKE '%σ%' OR t.value LIKE '%ς%' OR t.value LIKE '%Σ%')
GROUP BY d.user_id, mtag_lower(t.value);
