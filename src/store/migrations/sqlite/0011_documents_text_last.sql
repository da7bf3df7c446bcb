-- documents rebuilt with its large columns last (issue 7): the columns the
-- lists, the search's window and its filters read (user, status, language,
-- created_at, tags, ...) first, then processing_metadata, then
-- extracted_text.
--
-- Why: SQLite stores a row's first bytes in its page and the rest in a chain
-- of overflow pages, and reading a column placed after a long text walks
-- that chain. created_at, language and the queue's columns came after
-- extracted_text, so every row a list or a search's window read cost one
-- page per 4 KB of its text: with texts of 44 KB (a short PDF's), a
-- common-word search at 200,000 documents took 23 ms instead of 3 and a
-- tagged list 1.7 ms instead of 0.16 (bench/RESULTS.md). PostgreSQL moves
-- long values out of the row by itself (TOAST): nothing to do there.
--
-- The rows keep their rid (the search index names them by it), ids, values,
-- checks and indexes; nothing references documents. Its triggers go with
-- the old table and are made again as 0007, 0008 and 0010 wrote them, and
-- the index's view too (a view naming a missing table stops the rename).
DROP VIEW documents_fts_source;
CREATE TABLE documents_new (
    rid                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    job_id              TEXT NOT NULL REFERENCES processing_jobs (id) ON DELETE CASCADE,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    language            TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    processed_at        TEXT,
    tags                TEXT NOT NULL DEFAULT '[]'
                        CHECK (CASE WHEN json_valid(tags)
                               THEN json_type(tags) = 'array' ELSE 0 END),
    title               TEXT,
    page_count          INTEGER CHECK (page_count IS NULL OR page_count >= 0),
    size_bytes          INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0),
    mime_type           TEXT,
    content_sha256      TEXT CHECK (content_sha256 IS NULL OR (length(content_sha256) = 64
                                    AND content_sha256 NOT GLOB '*[^0-9a-f]*')),
    blob_key            TEXT,
    seq                 INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    lease_until         TEXT,
    node_id             TEXT,
    filename            TEXT,
    source_url          TEXT,
    error_message       TEXT,
    processing_metadata TEXT NOT NULL DEFAULT '{}'
                        CHECK (CASE WHEN json_valid(processing_metadata)
                               THEN json_type(processing_metadata) = 'object' ELSE 0 END),
    extracted_text      TEXT
) STRICT;
INSERT INTO documents_new (rid, id, job_id, user_id, status, language, created_at,
    processed_at, tags, title, page_count, size_bytes, mime_type, content_sha256, blob_key,
    seq, attempts, lease_until, node_id, filename, source_url, error_message,
    processing_metadata, extracted_text)
SELECT rid, id, job_id, user_id, status, language, created_at,
    processed_at, tags, title, page_count, size_bytes, mime_type, content_sha256, blob_key,
    seq, attempts, lease_until, node_id, filename, source_url, error_message,
    processing_metadata, extracted_text
FROM documents ORDER BY rid;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_job_id_idx ON documents (job_id);
CREATE INDEX documents_user_sha_idx ON documents (user_id, content_sha256);
CREATE INDEX documents_pending_idx ON documents (seq, created_at) WHERE status = 'pending';
CREATE INDEX documents_leased_idx ON documents (lease_until) WHERE status = 'processing';
CREATE INDEX documents_job_seq_idx ON documents (job_id, seq);
CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC, id DESC);
CREATE INDEX documents_blob_key_idx ON documents (blob_key);
CREATE INDEX documents_user_status_idx ON documents (user_id, status);

CREATE VIEW documents_fts_source AS
SELECT rid,
       'u' || substr(user_id, 25, 12) || ' ' || title AS title,
       'u' || substr(user_id, 25, 12) || ' ' || tags AS tags,
       'u' || substr(user_id, 25, 12) || ' ' || substr(extracted_text, 1, 262144) AS extracted_text
FROM documents;

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
CREATE TRIGGER user_stats_doc_insert AFTER INSERT ON documents BEGIN
    INSERT INTO user_stats_changes
    VALUES (new.user_id, 'doc', new.status, substr(new.created_at, 1, 10), 1);
END;
CREATE TRIGGER user_stats_doc_delete AFTER DELETE ON documents BEGIN
    INSERT INTO user_stats_changes
    VALUES (old.user_id, 'doc', old.status, substr(old.created_at, 1, 10), -1);
END;
CREATE TRIGGER user_stats_doc_update AFTER UPDATE OF user_id, status, created_at ON documents
WHEN old.user_id IS NOT new.user_id OR old.status IS NOT new.status
  OR old.created_at IS NOT new.created_at BEGIN
    INSERT INTO user_stats_changes
    VALUES (old.user_id, 'doc', old.status, substr(old.created_at, 1, 10), -1),
           (new.user_id, 'doc', new.status, substr(new.created_at, 1, 10), 1);
END;
