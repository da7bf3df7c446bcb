-- 0001_init.sql (PostgreSQL): the seed's four tables (DESIGN.md section 5).
-- Run inside the runner's transaction: no BEGIN/COMMIT here.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    full_name     text,
    password_hash text NOT NULL,
    is_active     boolean NOT NULL DEFAULT true,
    is_admin      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- We keep the SHA-256 (hex) of a refresh token, never the token itself.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

-- user_id NULL is anonymous work.
CREATE TABLE processing_jobs (
    id                  uuid PRIMARY KEY,
    user_id             uuid REFERENCES users (id) ON DELETE CASCADE,
    job_type            text NOT NULL CHECK (job_type IN ('single', 'batch', 'upload')),
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'processing', 'completed', 'partial',
                                          'failed', 'cancelled')),
    total_documents     integer NOT NULL DEFAULT 0 CHECK (total_documents >= 0),
    processed_documents integer NOT NULL DEFAULT 0 CHECK (processed_documents >= 0),
    failed_documents    integer NOT NULL DEFAULT 0 CHECK (failed_documents >= 0),
    options             jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
    error_message       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    completed_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processing_jobs_user_created_idx ON processing_jobs (user_id, created_at DESC);

CREATE TABLE documents (
    id                  uuid PRIMARY KEY,
    job_id              uuid NOT NULL REFERENCES processing_jobs (id) ON DELETE CASCADE,
    user_id             uuid REFERENCES users (id) ON DELETE CASCADE,
    source_url          text,
    filename            text,
    title               text,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    tags                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array'),
    extracted_text      text,
    processing_metadata jsonb NOT NULL DEFAULT '{}'
                        CHECK (jsonb_typeof(processing_metadata) = 'object'),
    error_message       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    processed_at        timestamptz
);
CREATE INDEX documents_job_id_idx ON documents (job_id);
CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC);
