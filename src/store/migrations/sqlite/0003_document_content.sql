-- What a processed document is made of, as columns (issue 5): the stored
-- original (blob_key) and its hash for de-duplication per user, and the
-- properties the history filters on. processing_metadata keeps the rest.
ALTER TABLE documents ADD COLUMN content_sha256 TEXT
    CHECK (content_sha256 IS NULL OR (length(content_sha256) = 64 AND content_sha256 NOT GLOB '*[^0-9a-f]*'));
ALTER TABLE documents ADD COLUMN size_bytes INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0);
ALTER TABLE documents ADD COLUMN mime_type TEXT;
ALTER TABLE documents ADD COLUMN language TEXT;
ALTER TABLE documents ADD COLUMN page_count INTEGER CHECK (page_count IS NULL OR page_count >= 0);
ALTER TABLE documents ADD COLUMN blob_key TEXT;
CREATE INDEX documents_user_sha_idx ON documents (user_id, content_sha256);
-- Anonymous work is purged by age.
CREATE INDEX processing_jobs_anonymous_idx ON processing_jobs (created_at) WHERE user_id IS NULL;
