-- Search reads one user's part of the index (issue 7; store_sqlite_fts.c).
--
-- 0005 indexed the owner as a token of its own and ANDed it to every query.
-- FTS5 evaluates a prefix term ("tech"*) by merging the postings of every
-- term with that prefix over the whole index, all users' rows, before the
-- AND: a search cost grew with every user's documents (242 ms at 1M,
-- bench/RESULTS.md). The tokenizer "mtag" instead prefixes every token with
-- its owner's key ("u" and the last 12 hex digits of the user id), read
-- from the start of each indexed value: a query's terms carry the same key,
-- so a prefix walks one user's terms. Anonymous documents (no user) are not
-- indexed: nobody can search them.
--
-- The tokenizer is registered by mtag on each connection: another program
-- (the sqlite3 shell) can read the tables but not search or write
-- documents, whose triggers write the index.
DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_delete;
DROP TRIGGER documents_fts_update;
DROP TABLE documents_fts;
DROP VIEW documents_fts_source;

-- The indexed values, each behind its owner's key and a space (NULL for an
-- anonymous document: nothing indexed). Tags: their JSON text, whose
-- punctuation separates tokens. Text: the first 256 Ki characters, as on
-- PostgreSQL.
CREATE VIEW documents_fts_source AS
SELECT rid,
       'u' || substr(user_id, 25, 12) || ' ' || title AS title,
       'u' || substr(user_id, 25, 12) || ' ' || tags AS tags,
       'u' || substr(user_id, 25, 12) || ' ' || substr(extracted_text, 1, 262144) AS extracted_text
FROM documents;

-- External content: the text is not stored twice; snippet() reads it back
-- through the view. unicode61 (inside "mtag") folds case and removes
-- diacritics ("resume" finds "résumé"). No prefix index: its terms would
-- begin with the key, and a prefix now walks one user's terms anyway.
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, tags, extracted_text,
    content = 'documents_fts_source', content_rowid = 'rid',
    tokenize = 'mtag remove_diacritics 2'
);

-- Kept in step by the statement that writes the document (same transaction).
-- A 'delete' must repeat the values indexed: the view's expressions.
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO documents_fts (rowid, title, tags, extracted_text)
    VALUES (new.rid, 'u' || substr(new.user_id, 25, 12) || ' ' || new.title,
            'u' || substr(new.user_id, 25, 12) || ' ' || new.tags,
            'u' || substr(new.user_id, 25, 12) || ' ' || substr(new.extracted_text, 1, 262144));
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents WHEN old.user_id IS NOT NULL BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title, tags, extracted_text)
    VALUES ('delete', old.rid, 'u' || substr(old.user_id, 25, 12) || ' ' || old.title,
            'u' || substr(old.user_id, 25, 12) || ' ' || old.tags,
            'u' || substr(old.user_id, 25, 12) || ' ' || substr(old.extracted_text, 1, 262144));
END;
-- One trigger, old values out before new ones in (two triggers would run in
-- an order SQLite does not promise).
CREATE TRIGGER documents_fts_update
AFTER UPDATE OF user_id, title, tags, extracted_text ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title, tags, extracted_text)
    SELECT 'delete', old.rid, 'u' || substr(old.user_id, 25, 12) || ' ' || old.title,
           'u' || substr(old.user_id, 25, 12) || ' ' || old.tags,
           'u' || substr(old.user_id, 25, 12) || ' ' || substr(old.extracted_text, 1, 262144)
    WHERE old.user_id IS NOT NULL;
    INSERT INTO documents_fts (rowid, title, tags, extracted_text)
    SELECT new.rid, 'u' || substr(new.user_id, 25, 12) || ' ' || new.title,
           'u' || substr(new.user_id, 25, 12) || ' ' || new.tags,
           'u' || substr(new.user_id, 25, 12) || ' ' || substr(new.extracted_text, 1, 262144)
    WHERE new.user_id IS NOT NULL;
END;

-- Existing rows (anonymous ones give no token: their values are NULL).
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');
