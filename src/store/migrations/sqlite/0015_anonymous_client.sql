-- Anonymous work is limited per client address, as a user's is per account
-- (MTAG_MAX_RUNNING_JOBS, MTAG_MAX_PENDING_DOCUMENTS): one visitor could hold
-- the limits of every other when all anonymous work shared them. A job
-- keeps a keyed digest of its submitter's address (core_jobs.c), never the
-- address, until it is claimed (set to NULL) or purged with the job.
ALTER TABLE processing_jobs ADD COLUMN anon_client TEXT;
CREATE INDEX processing_jobs_anon_client_idx ON processing_jobs (anon_client, status)
    WHERE anon_client IS NOT NULL;
