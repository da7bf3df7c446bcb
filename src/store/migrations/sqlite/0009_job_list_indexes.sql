-- The jobs list (GET /api/history/jobs) from indexes alone: its total counts
-- a user's jobs by status and job type, and its page reads them newest
-- first with the id breaking ties. Both used to read each of the user's job
-- rows (1.1 ms for a user of 1,334 jobs on SQLite at 1M documents,
-- bench/RESULTS.md). The status index keeps serving the statistics.
DROP INDEX processing_jobs_user_status_idx;
CREATE INDEX processing_jobs_user_status_idx ON processing_jobs (user_id, status, job_type);
DROP INDEX processing_jobs_user_created_idx;
CREATE INDEX processing_jobs_user_created_idx ON processing_jobs (user_id, created_at DESC, id DESC);
