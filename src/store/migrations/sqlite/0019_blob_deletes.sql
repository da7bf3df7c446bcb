-- Stored files that may have no row to point to them: those whose rows are
-- gone but which storage did not delete (it was unreachable), due at once,
-- and each file a worker stores, due an hour later, until the document's
-- outcome is written pointing to it (a worker that died or lost the database
-- between the two left the file). The janitor deletes those due that no
-- document points to, so that no file outlives its document (a job deleted
-- while S3 was down, or during a PostgreSQL restart, left its files for good).
CREATE TABLE blob_deletes (
    key       TEXT PRIMARY KEY,
    due_at    TEXT NOT NULL
);
