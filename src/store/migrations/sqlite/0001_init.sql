-- 0001_init.sql (SQLite): the seed's four tables (DESIGN.md section 5).
-- Ids are canonical lower-case UUID text, times ISO-8601 UTC text with
-- microseconds and Z ("2026-11-29T03:51:41.123456Z"), JSON is text checked by
-- json_valid, booleans are 0/1. STRICT tables refuse values of the wrong type.
-- Run inside the runner's transaction: no BEGIN/COMMIT here.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    full_name     TEXT,
    password_hash TEXT NOT NULL,
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- We keep the SHA-256 (hex) of a refresh token, never the token itself.
CREATE TABLE refresh_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE
                 CHECK (length(token_sha256) = 64 AND token_sha256 NOT GLOB '*[^0-9a-f]*'),
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

-- user_id NULL is anonymous work.
CREATE TABLE processing_jobs (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    job_type            TEXT NOT NULL CHECK (job_type IN ('single', 'batch', 'upload')),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'processing', 'completed', 'partial',
                                          'failed', 'cancelled')),
    total_documents     INTEGER NOT NULL DEFAULT 0 CHECK (total_documents >= 0),
    processed_documents INTEGER NOT NULL DEFAULT 0 CHECK (processed_documents >= 0),
    failed_documents    INTEGER NOT NULL DEFAULT 0 CHECK (failed_documents >= 0),
    -- CASE, not AND: json_type() raises an error on malformed JSON instead of
    -- failing the check.
    options             TEXT NOT NULL DEFAULT '{}'
                        CHECK (CASE WHEN json_valid(options)
                               THEN json_type(options) = 'object' ELSE 0 END),
    error_message       TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at          TEXT,
    completed_at        TEXT,
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX processing_jobs_user_created_idx ON processing_jobs (user_id, created_at DESC);

CREATE TABLE documents (
    id                  TEXT PRIMARY KEY NOT NULL,
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
    processed_at        TEXT
) STRICT;
CREATE INDEX documents_job_id_idx ON documents (job_id);
CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC);
