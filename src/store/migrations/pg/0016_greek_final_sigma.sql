-- Greek's final sigma (ς) is the letter σ where a word ends. lower() makes
-- "ΚΌΣΜΟΣ" "κόσμοσ" and keeps a written "κόσμος", so on PostgreSQL a word found
-- or typed with one did not match it written with the other (SQLite's tokenizer
-- folds ς to σ, as Unicode's case folding does). Indexed text now has σ for ς,
-- as queries have (store_search.c); rows holding one are indexed again (the
-- trigger runs on their update).
CREATE OR REPLACE FUNCTION mtag_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(
        regexp_replace(translate(coalesce(t, ''), 'ς', 'σ'),
                       '[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u064B-\u065F\u0670]+', '', 'g'),
        '[[:punct:]]+|[^[:space:][:punct:]]{255,}', ' ', 'g');

-- The counts' triggers have nothing to count (no owner, tag or status changes)
-- and would hold every row updated twice in their transition tables (0011).
ALTER TABLE documents DISABLE TRIGGER documents_user_tags_update;
ALTER TABLE documents DISABLE TRIGGER documents_user_stats_update;
UPDATE documents SET title = title
 WHERE strpos(title, 'ς') > 0 OR strpos(extracted_text, 'ς') > 0 OR strpos(tags::text, 'ς') > 0;
ALTER TABLE documents ENABLE TRIGGER documents_user_stats_update;
ALTER TABLE documents ENABLE TRIGGER documents_user_tags_update;
