-- A user's documents and jobs counted by status (GET /api/history/stats) are
-- read from these indexes alone instead of from every row, each 2 KB or more
-- with its text: 2.7 -> 0.43 ms on SQLite at 200,000 documents (bench/RESULTS.md).
CREATE INDEX documents_user_status_idx ON documents (user_id, status);
CREATE INDEX processing_jobs_user_status_idx ON processing_jobs (user_id, status);
