-- Arabic and Hebrew vowel marks (harakat, niqqud, cantillation) are left out
-- of the indexed words, as SQLite's index leaves them out (store_sqlite_fts.c,
-- store_fts_mark): "حَبيبي" is indexed as "حبيبي", the word as it is usually
-- typed, which found nothing before. Queries drop them the same way in C
-- (store_search.c). Rows that hold one are indexed again here (the trigger
-- runs on their update).
CREATE OR REPLACE FUNCTION mtag_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(
        regexp_replace(coalesce(t, ''), '[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u064B-\u065F\u0670]+', '', 'g'),
        '[[:punct:]]+|[^[:space:][:punct:]]{255,}', ' ', 'g');

UPDATE documents SET title = title
 WHERE title ~ '[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u064B-\u065F\u0670]'
    OR extracted_text ~ '[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u064B-\u065F\u0670]';
