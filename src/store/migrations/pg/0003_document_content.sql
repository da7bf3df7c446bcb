-- What a processed document is made of, as columns (issue 5): the stored
-- original (blob_key) and its hash for de-duplication per user, and the
-- properties the history filters on. processing_metadata keeps the rest.
ALTER TABLE documents
    ADD COLUMN content_sha256 text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN size_bytes bigint CHECK (size_bytes >= 0),
    ADD COLUMN mime_type text,
    ADD COLUMN language text,
    ADD COLUMN page_count integer CHECK (page_count >= 0),
    ADD COLUMN blob_key text;
CREATE INDEX documents_user_sha_idx ON documents (user_id, content_sha256);
-- Anonymous work is purged by age.
CREATE INDEX processing_jobs_anonymous_idx ON processing_jobs (created_at) WHERE user_id IS NULL;
