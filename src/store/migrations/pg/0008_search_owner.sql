-- Search reads one user's part of the index (issue 7).
--
-- With one GIN entry per word for all users, a prefix query ('tech':*)
-- gathers every user's postings of every word with that prefix before the
-- owner filter, and a common word's entry holds most of the table: a search
-- cost grew with all documents (209 ms at 1M, bench/RESULTS.md). Every
-- lexeme of the vector now starts with its owner's key - "u" and the last 12
-- hex digits of the user id, as on SQLite (store_sqlite_fts.c) - and the
-- queries' lexemes too (store_search.c): an entry, and a prefix range of
-- entries, hold one user's documents. Anonymous documents (no user) get no
-- vector: nobody can search them.
--
-- The key is added to the parsed vector, not to the text, so that the
-- parser and dictionaries split and fold words exactly as before, whatever
-- the database's locale: in a vector's text form each lexeme is quoted and
-- starts the form or follows a space (a lexeme holds no space; its own
-- quotes are doubled), so the key goes after each such quote and the form
-- is cast back. (Re-writing each lexeme from unnest() gives the same vector
-- and costs three times as much.)
CREATE FUNCTION mtag_search_owned(key text, v tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(v::text, '(^| )''', '\1''' || key, 'g')::tsvector;

-- A lexeme holds at most 2,046 bytes, key included: words of 255 characters
-- or more (runs of base64, hex dumps) are not indexed; they were not
-- searchable words. ASCII punctuation still becomes spaces (0005).
CREATE OR REPLACE FUNCTION mtag_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(coalesce(t, ''), '[[:punct:]]+|[^[:space:][:punct:]]{255,}', ' ', 'g');

-- The key adds 13 bytes to every lexeme (14 with alignment) and a vector
-- holds at most 1 MB: a text of many distinct short words (a list of codes)
-- that fitted before may not with keys, so the text is indexed shorter,
-- halved until it fits (an insert is never refused for it).
CREATE OR REPLACE FUNCTION documents_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head tsvector;
    body tsvector;
    cap integer := 262144;
BEGIN
    IF NEW.user_id IS NULL THEN
        NEW.search_vector := NULL;
        RETURN NEW;
    END IF;
    head := setweight(to_tsvector('mtag_search', mtag_search_text(NEW.title)), 'A') ||
        setweight(to_tsvector('mtag_search', mtag_search_text(
            (SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(NEW.tags) t))), 'B');
    LOOP
        body := setweight(to_tsvector('mtag_search',
                                      mtag_search_text(left(NEW.extracted_text, cap))), 'C');
        EXIT WHEN pg_column_size(head) + pg_column_size(body)
                  + 14 * (length(head) + length(body)) < 1000000 OR cap <= 4096;
        cap := cap / 2;
    END LOOP;
    NEW.search_vector := mtag_search_owned('u' || right(NEW.user_id::text, 12), head || body);
    RETURN NEW;
END
$$;

-- A claimed document (user_id set) is indexed under its new owner.
DROP TRIGGER documents_search_vector ON documents;
CREATE TRIGGER documents_search_vector
    BEFORE INSERT OR UPDATE OF user_id, title, tags, extracted_text ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_search_update();

-- Ranking reads each candidate's vector; lz4 decompresses it about twice as
-- fast as the default pglz (1,000 vectors: 3.7 against 7.6 ms). Servers built
-- without lz4 keep pglz.
DO $$
BEGIN
    ALTER TABLE documents ALTER COLUMN search_vector SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'mtag: no lz4 in this server: search vectors stay compressed with pglz';
END
$$;

-- Existing rows (fire the trigger), without an index to keep up meanwhile,
-- nor the tag counts' trigger (0007), which would read every row's tags
-- before and after to change nothing.
DROP INDEX documents_search_idx;
ALTER TABLE documents DISABLE TRIGGER documents_user_tags_update;
UPDATE documents SET title = title;
ALTER TABLE documents ENABLE TRIGGER documents_user_tags_update;
CREATE INDEX documents_search_idx ON documents USING gin (search_vector);
