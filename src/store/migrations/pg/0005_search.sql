-- Full-text search over the history (issue 7).
--
-- The text search configuration mtag_search: PostgreSQL's default parser,
-- then unaccent (so "resume" finds "résumé"), then the 'simple' dictionary
-- (lower-case, no stemming, no stop words: every whole word is a lexeme, so
-- prefix queries 'tech':* work as the seed's ILIKE did). unaccent is a
-- trusted extension: the database owner may create it. When the user cannot,
-- the configuration is made without it and accents then count (a warning
-- says so); grant it with CREATE EXTENSION unaccent as a superuser.
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
        RAISE WARNING 'mtag: cannot create extension unaccent (%): search will not ignore accents', SQLERRM;
    END;
    CREATE TEXT SEARCH CONFIGURATION mtag_search (COPY = pg_catalog.simple);
    IF EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'unaccent') THEN
        ALTER TEXT SEARCH CONFIGURATION mtag_search
            ALTER MAPPING FOR word, hword, hword_part, numword, numhword, hword_numpart
            WITH unaccent, simple;
    END IF;
END
$$;

-- The indexed text: ASCII punctuation becomes a space first, so that
-- "example.com" or "a_b" are words as the query parser sees them (store_search.c
-- splits on anything but letters and digits) rather than one host or file token.
-- tsvector holds at most 1 MB and positions stop at 16,383: only the first
-- 256 Ki characters of the text are indexed.
CREATE FUNCTION mtag_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(coalesce(t, ''), '[[:punct:]]+', ' ', 'g');

ALTER TABLE documents ADD COLUMN search_vector tsvector;

-- Title weighs A, tags B, text C (ranked 1.0, 0.5, 0.1: store_history.c).
CREATE FUNCTION documents_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('mtag_search', mtag_search_text(NEW.title)), 'A') ||
        setweight(to_tsvector('mtag_search', mtag_search_text(
            (SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(NEW.tags) t))), 'B') ||
        setweight(to_tsvector('mtag_search', mtag_search_text(left(NEW.extracted_text, 262144))), 'C');
    RETURN NEW;
END
$$;

-- Same transaction as the write: the vector is a column of the row.
CREATE TRIGGER documents_search_vector
    BEFORE INSERT OR UPDATE OF title, tags, extracted_text ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_search_update();

-- Existing rows (fires the trigger).
UPDATE documents SET title = title;

CREATE INDEX documents_search_idx ON documents USING gin (search_vector);
-- The tag filter: lower-cased tags contain the wanted ones (jsonb @>).
CREATE INDEX documents_tags_idx ON documents USING gin ((lower(tags::text)::jsonb) jsonb_path_ops);
-- Is this stored file used by another document (delete)?
CREATE INDEX documents_blob_key_idx ON documents (blob_key);
-- Lists and the export's keyset read one user's rows in (created_at, id) order.
DROP INDEX documents_user_created_idx;
CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC, id DESC);
