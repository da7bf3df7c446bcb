-- The durable queue (issue 6): a worker claims a pending document with a
-- lease it renews while working; an expired lease (its worker died) makes
-- the document claimable again, at most 3 attempts. seq is the document's
-- place in its job: claiming by seq first interleaves jobs, so one user's
-- long batch does not starve another user's single document.
ALTER TABLE documents
    ADD COLUMN seq integer NOT NULL DEFAULT 0,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN node_id text;
CREATE INDEX documents_pending_idx ON documents (seq, created_at) WHERE status = 'pending';
CREATE INDEX documents_leased_idx ON documents (lease_until) WHERE status = 'processing';
CREATE INDEX documents_job_seq_idx ON documents (job_id, seq);
