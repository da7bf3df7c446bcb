-- Full-text search over the history (issue 7).
--
-- documents gets an explicit INTEGER PRIMARY KEY (rid): the FTS5 index below
-- names its rows by it, and an implicit rowid may be renumbered by VACUUM.
-- SQLite cannot add such a column, so the table is rebuilt (ids, columns,
-- checks and indexes unchanged; nothing references documents).
CREATE TABLE documents_new (
    rid                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    job_id              TEXT NOT NULL REFERENCES processing_jobs (id) ON DELETE CASCADE,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    source_url          TEXT,
    filename            TEXT,
    title               TEXT,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    tags                TEXT NOT NULL DEFAULT '[]'
                        CHECK (CASE WHEN json_valid(tags)
                               THEN json_type(tags) = 'array' ELSE 0 END),
    extracted_text      TEXT,
    processing_metadata TEXT NOT NULL DEFAULT '{}'
                        CHECK (CASE WHEN json_valid(processing_metadata)
                               THEN json_type(processing_metadata) = 'object' ELSE 0 END),
    error_message       TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    processed_at        TEXT,
    content_sha256      TEXT CHECK (content_sha256 IS NULL OR (length(content_sha256) = 64
                                    AND content_sha256 NOT GLOB '*[^0-9a-f]*')),
    size_bytes          INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0),
    mime_type           TEXT,
    language            TEXT,
    page_count          INTEGER CHECK (page_count IS NULL OR page_count >= 0),
    blob_key            TEXT,
    seq                 INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    lease_until         TEXT,
    node_id             TEXT
) STRICT;
INSERT INTO documents_new (id, job_id, user_id, source_url, filename, title, status, tags,
    extracted_text, processing_metadata, error_message, created_at, processed_at,
    content_sha256, size_bytes, mime_type, language, page_count, blob_key, seq, attempts,
    lease_until, node_id)
SELECT id, job_id, user_id, source_url, filename, title, status, tags,
    extracted_text, processing_metadata, error_message, created_at, processed_at,
    content_sha256, size_bytes, mime_type, language, page_count, blob_key, seq, attempts,
    lease_until, node_id
FROM documents ORDER BY created_at, id;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_job_id_idx ON documents (job_id);
CREATE INDEX documents_user_sha_idx ON documents (user_id, content_sha256);
CREATE INDEX documents_pending_idx ON documents (seq, created_at) WHERE status = 'pending';
CREATE INDEX documents_leased_idx ON documents (lease_until) WHERE status = 'processing';
CREATE INDEX documents_job_seq_idx ON documents (job_id, seq);
-- Lists (newest first), the export's keyset (oldest first) and stats read
-- one user's rows in created_at order; id breaks ties.
CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC, id DESC);
-- Is this stored file used by another document (delete)?
CREATE INDEX documents_blob_key_idx ON documents (blob_key);

-- What the index reads: the owner as one token ("u" and the UUID's 32 hex
-- digits; an FTS5 MATCH is global, so every query ANDs it: the index, not a
-- row filter, narrows the match to one user), the title, the tags' JSON text
-- (its brackets, quotes and commas separate tokens like any punctuation; a
-- json_each subquery here breaks FTS5's 'rebuild') and the first 256 Ki
-- characters of the text (the same cap as PostgreSQL's).
CREATE VIEW documents_fts_source AS
SELECT rid, 'u' || replace(user_id, '-', '') AS owner, title, tags,
       substr(extracted_text, 1, 262144) AS extracted_text
FROM documents;

-- An external-content index: the text is not stored twice; snippet() reads
-- it back through the view. unicode61 folds case and removes diacritics
-- ("resume" finds "résumé"); prefix indexes make short prefixes cheap.
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    owner, title, tags, extracted_text,
    content = 'documents_fts_source', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

-- Kept in step by the statement that writes the document (same transaction).
-- A 'delete' must repeat the values indexed: the view's expressions.
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (rowid, owner, title, tags, extracted_text)
    VALUES (new.rid, 'u' || replace(new.user_id, '-', ''), new.title, new.tags,
            substr(new.extracted_text, 1, 262144));
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, owner, title, tags, extracted_text)
    VALUES ('delete', old.rid, 'u' || replace(old.user_id, '-', ''), old.title, old.tags,
            substr(old.extracted_text, 1, 262144));
END;
CREATE TRIGGER documents_fts_update
AFTER UPDATE OF user_id, title, tags, extracted_text ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, owner, title, tags, extracted_text)
    VALUES ('delete', old.rid, 'u' || replace(old.user_id, '-', ''), old.title, old.tags,
            substr(old.extracted_text, 1, 262144));
    INSERT INTO documents_fts (rowid, owner, title, tags, extracted_text)
    VALUES (new.rid, 'u' || replace(new.user_id, '-', ''), new.title, new.tags,
            substr(new.extracted_text, 1, 262144));
END;

-- Existing rows.
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');
