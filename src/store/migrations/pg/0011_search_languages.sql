-- Search in the document's language (issue 7).
--
-- Until now every document was indexed word by word (mtag_search: unaccent,
-- then simple), so "universities" did not find "university". A document in a
-- language PostgreSQL has a Snowball stemmer for is now indexed by the stems
-- of its language instead of its words, behind the key "s", the same 12 hex
-- digits as 0008's "u" and the language's two-letter tag: a French stem
-- matches French documents only, and no stem is taken for a word of a
-- document of no such language. Inflections collapse, so the vector is no
-- larger than the words' (ranking reads 1,000 of them per search; words and
-- stems together made it 1.5 times as large and the search as slow).
--
-- A query asks PostgreSQL for its words' stems in the languages of the
-- user's documents; each word matches a document of words as a prefix of its
-- words, and a document of stems as a prefix of their stems (store_search.c):
-- "tech" finds "technology", "universities" finds "university". A word typed
-- past its stem ("universit"; "university" stems to "univers") finds
-- documents of words only.
--
-- The stemmers are used without stop words: "the" and "und" stay findable,
-- as they were with simple.

-- The languages searched with stems: documents.language (ISO 639-1, as
-- langid gives it) to the configuration of its stemmer and the two letters
-- its stems are keyed with (Norwegian's three codes share one).
CREATE TABLE search_languages (
    code   text PRIMARY KEY,
    config regconfig NOT NULL,
    tag    text NOT NULL CHECK (length(tag) = 2)
);

-- mtag_<language>: mtag_search's parser and mappings, with the language's
-- stemmer (after unaccent when there is one) for words of letters; words with
-- digits stay as simple makes them. A server without some stemmer skips it.
DO $$
DECLARE
    lang record;
    cfg text;
    filter text := CASE WHEN EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'unaccent')
                        THEN 'unaccent, ' ELSE '' END;
BEGIN
    FOR lang IN SELECT * FROM (VALUES
        ('ar', 'arabic', 'ar'), ('hy', 'armenian', 'hy'), ('eu', 'basque', 'eu'),
        ('ca', 'catalan', 'ca'), ('da', 'danish', 'da'), ('nl', 'dutch', 'nl'),
        ('en', 'english', 'en'), ('fi', 'finnish', 'fi'), ('fr', 'french', 'fr'),
        ('de', 'german', 'de'), ('el', 'greek', 'el'), ('hi', 'hindi', 'hi'),
        ('hu', 'hungarian', 'hu'), ('id', 'indonesian', 'id'), ('ga', 'irish', 'ga'),
        ('it', 'italian', 'it'), ('lt', 'lithuanian', 'lt'), ('ne', 'nepali', 'ne'),
        ('nb', 'norwegian', 'no'), ('nn', 'norwegian', 'no'), ('no', 'norwegian', 'no'),
        ('pt', 'portuguese', 'pt'), ('ro', 'romanian', 'ro'), ('ru', 'russian', 'ru'),
        ('sr', 'serbian', 'sr'), ('es', 'spanish', 'es'), ('sv', 'swedish', 'sv'),
        ('ta', 'tamil', 'ta'), ('tr', 'turkish', 'tr'), ('yi', 'yiddish', 'yi')) v (code, name, tag)
    LOOP
        cfg := 'mtag_' || lang.name;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = cfg) THEN
            BEGIN
                EXECUTE format('CREATE TEXT SEARCH DICTIONARY %I (TEMPLATE = snowball, LANGUAGE = %I)',
                               cfg || '_stem', lang.name);
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'mtag: no % stemmer (%): % documents are searched word by word',
                    lang.name, SQLERRM, lang.name;
                CONTINUE;
            END;
            EXECUTE format('CREATE TEXT SEARCH CONFIGURATION %I (COPY = mtag_search)', cfg);
            EXECUTE format('ALTER TEXT SEARCH CONFIGURATION %I ALTER MAPPING FOR asciiword, word,'
                           ' asciihword, hword, hword_asciipart, hword_part WITH %s%I',
                           cfg, filter, cfg || '_stem');
        END IF;
        INSERT INTO search_languages VALUES (lang.code, cfg::regconfig, lang.tag);
    END LOOP;
END
$$;

-- Title A, tags B, text C, in one configuration.
CREATE FUNCTION mtag_search_parts(cfg regconfig, title text, tags jsonb, body text)
    RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE
    RETURN setweight(to_tsvector(cfg, mtag_search_text(title)), 'A') ||
        setweight(to_tsvector(cfg, mtag_search_text(
            (SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(tags) t))), 'B') ||
        setweight(to_tsvector(cfg, mtag_search_text(body)), 'C');

-- As 0008, in the document's language where there is a stemmer for it:
-- its stems behind "s", the key and the language's tag, and its tags' words
-- behind "u" and the key, for the tag filters, which match the wanted tags'
-- words (store_search_render_tags) before the exact test; else its words
-- behind "u" and the key.
CREATE OR REPLACE FUNCTION documents_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lang search_languages;
    hex text;
    v tsvector;
    cap integer := 262144;
BEGIN
    IF NEW.user_id IS NULL THEN
        NEW.search_vector := NULL;
        RETURN NEW;
    END IF;
    SELECT * INTO lang FROM search_languages WHERE code = NEW.language;
    LOOP
        v := mtag_search_parts(coalesce(lang.config, 'mtag_search'), NEW.title, NEW.tags,
                               left(NEW.extracted_text, cap));
        EXIT WHEN pg_column_size(v) + 16 * length(v) < 1000000 OR cap <= 4096;
        cap := cap / 2;
    END LOOP;
    hex := right(NEW.user_id::text, 12);
    IF lang.tag IS NULL THEN
        NEW.search_vector := mtag_search_owned('u' || hex, v);
    ELSE
        NEW.search_vector := mtag_search_owned('s' || hex || lang.tag, v) ||
            mtag_search_owned('u' || hex, mtag_search_parts('mtag_search', NULL, NEW.tags, NULL));
    END IF;
    RETURN NEW;
END
$$;

-- The stems of a query's words (separated by spaces) in each language of the
-- owner's documents indexed by stems, or in lang's only, with the language's
-- tag (store_history.c). The owner's languages come from the index on
-- (user_id, language) below, one probe for each. PL/pgSQL keeps the plan of
-- its statement for the session: planned anew it cost ~0.4 ms a search.
CREATE FUNCTION mtag_search_stems(words text, lang text, owner uuid)
    RETURNS TABLE (word text, stem text, lang_tag text) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE held (code) AS (
        SELECT min(d.language) FROM documents d WHERE d.user_id = owner
        UNION ALL
        SELECT (SELECT min(d.language) FROM documents d
                WHERE d.user_id = owner AND d.language > held.code)
        FROM held WHERE held.code IS NOT NULL)
    SELECT DISTINCT w.t, s.lexeme, l.tag
    FROM unnest(string_to_array(words, ' ')) w (t),
         (SELECT DISTINCT sl.config, sl.tag FROM search_languages sl
          WHERE sl.code = lang OR (lang IS NULL AND sl.code IN (SELECT held.code FROM held))) l,
         to_tsvector(l.config, w.t) v, unnest(v) s
    WHERE length(v) = 1
    LIMIT 256;
END
$$;

-- A document's language is known once it is processed: indexed again then.
DROP TRIGGER documents_search_vector ON documents;
CREATE TRIGGER documents_search_vector
    BEFORE INSERT OR UPDATE OF user_id, title, tags, extracted_text, language ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_search_update();

-- Existing rows of those languages, as 0008 did: no index to keep up
-- meanwhile, and none of the counting triggers (0007, 0010), which would
-- read every row before and after to change nothing.
DROP INDEX documents_search_idx;
ALTER TABLE documents DISABLE TRIGGER documents_user_tags_update;
ALTER TABLE documents DISABLE TRIGGER documents_user_stats_update;
UPDATE documents SET language = language
    WHERE user_id IS NOT NULL AND language IN (SELECT code FROM search_languages);
ALTER TABLE documents ENABLE TRIGGER documents_user_stats_update;
ALTER TABLE documents ENABLE TRIGGER documents_user_tags_update;
CREATE INDEX documents_search_idx ON documents USING gin (search_vector);
-- The languages of a user's documents, which a search stems its words in
-- (one index probe per language: store_history.c).
CREATE INDEX documents_user_language_idx ON documents (user_id, language);
