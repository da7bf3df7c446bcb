-- Chinese and Japanese, written without spaces, indexed by pairs of letters,
-- as on SQLite (its migration 0018): the parser took a whole run of them as
-- one word ("第一季度报告全文"), so a word within it ("季度报告", "电气") was
-- never found. mtag_search_bigrams writes each run as its overlapping pairs
-- and its last letter, apart ("第一 一季 季度 ... 全文 文"); a query's run is
-- its pairs, all wanted (store_search.c: & rather than <->, so that no
-- vector's positions, which stop at 16,383, decide). The letters are those
-- of utf8_unspaced (base/utf8.c): Han, Hiragana, Katakana. Rows holding one
-- are indexed again (the trigger runs on their update).
CREATE FUNCTION mtag_search_bigrams(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN t !~ '[\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F]' THEN t ELSE
        regexp_replace(
            regexp_replace(regexp_replace(t, '([\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F]+)', ' \1 ', 'g'),
                           '(?<=[\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F])([\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F])', '\1\1', 'g'),
            '([\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F])([\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F])', '\1\2 ', 'g') END;

CREATE OR REPLACE FUNCTION mtag_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(
        mtag_search_bigrams(
            regexp_replace(translate(coalesce(t, ''), 'ς', 'σ'),
                           '[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u064B-\u065F\u0670]+', '', 'g')),
        '[[:punct:]]+|[^[:space:][:punct:]]{255,}', ' ', 'g');

-- The counts' triggers have nothing to count (no owner, tag or status changes)
-- and would hold every row updated twice in their transition tables (0011).
ALTER TABLE documents DISABLE TRIGGER documents_user_tags_update;
ALTER TABLE documents DISABLE TRIGGER documents_user_stats_update;
UPDATE documents SET title = title
 WHERE title ~ '[\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F]' OR extracted_text ~ '[\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F]' OR tags::text ~ '[\u3005-\u3007\u3040-\u309F\u30A1-\u30FA\u30FC-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F\U00020000-\U0003134F]';
ALTER TABLE documents ENABLE TRIGGER documents_user_stats_update;
ALTER TABLE documents ENABLE TRIGGER documents_user_tags_update;
