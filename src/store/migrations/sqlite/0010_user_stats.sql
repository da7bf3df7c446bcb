-- Each user's documents and jobs counted by status, and documents per UTC
-- day, kept in step by triggers: the statistics (GET /api/history/stats, the
-- dashboard) read one row and at most 30 instead of every document of the
-- user (2.3 ms for a user of 10,008 documents at 1M, 73x the 10k figure,
-- bench/RESULTS.md). Anonymous documents and jobs (no user) are not counted.
-- Columns follow the statuses the schema allows.
CREATE TABLE user_stats (
    user_id         TEXT PRIMARY KEY,
    jobs_pending    INTEGER NOT NULL DEFAULT 0,
    jobs_processing INTEGER NOT NULL DEFAULT 0,
    jobs_completed  INTEGER NOT NULL DEFAULT 0,
    jobs_partial    INTEGER NOT NULL DEFAULT 0,
    jobs_failed     INTEGER NOT NULL DEFAULT 0,
    jobs_cancelled  INTEGER NOT NULL DEFAULT 0,
    docs_pending    INTEGER NOT NULL DEFAULT 0,
    docs_processing INTEGER NOT NULL DEFAULT 0,
    docs_completed  INTEGER NOT NULL DEFAULT 0,
    docs_failed     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Documents created per UTC day ('YYYY-MM-DD', the first 10 characters of
-- created_at).
CREATE TABLE user_days (
    user_id   TEXT NOT NULL,
    day       TEXT NOT NULL,
    documents INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

-- One change, written once: a row of a kind ('job' or 'doc') with its owner,
-- status and day (documents only) counts d (+1 or -1). The triggers below
-- insert their changes into this view; its INSTEAD OF trigger applies them
-- (SQLite's triggers have no functions to share this otherwise).
CREATE VIEW user_stats_changes (user_id, kind, status, day, d) AS
SELECT NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER user_stats_change INSTEAD OF INSERT ON user_stats_changes
WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO user_stats (user_id, jobs_pending, jobs_processing, jobs_completed, jobs_partial,
                            jobs_failed, jobs_cancelled, docs_pending, docs_processing,
                            docs_completed, docs_failed)
    VALUES (new.user_id,
            new.d * (new.kind = 'job' AND new.status = 'pending'),
            new.d * (new.kind = 'job' AND new.status = 'processing'),
            new.d * (new.kind = 'job' AND new.status = 'completed'),
            new.d * (new.kind = 'job' AND new.status = 'partial'),
            new.d * (new.kind = 'job' AND new.status = 'failed'),
            new.d * (new.kind = 'job' AND new.status = 'cancelled'),
            new.d * (new.kind = 'doc' AND new.status = 'pending'),
            new.d * (new.kind = 'doc' AND new.status = 'processing'),
            new.d * (new.kind = 'doc' AND new.status = 'completed'),
            new.d * (new.kind = 'doc' AND new.status = 'failed'))
    ON CONFLICT (user_id) DO UPDATE SET
        jobs_pending = jobs_pending + excluded.jobs_pending,
        jobs_processing = jobs_processing + excluded.jobs_processing,
        jobs_completed = jobs_completed + excluded.jobs_completed,
        jobs_partial = jobs_partial + excluded.jobs_partial,
        jobs_failed = jobs_failed + excluded.jobs_failed,
        jobs_cancelled = jobs_cancelled + excluded.jobs_cancelled,
        docs_pending = docs_pending + excluded.docs_pending,
        docs_processing = docs_processing + excluded.docs_processing,
        docs_completed = docs_completed + excluded.docs_completed,
        docs_failed = docs_failed + excluded.docs_failed;
    INSERT INTO user_days (user_id, day, documents)
    SELECT new.user_id, new.day, new.d WHERE new.day IS NOT NULL
    ON CONFLICT (user_id, day) DO UPDATE SET documents = documents + excluded.documents;
END;

CREATE TRIGGER user_stats_doc_insert AFTER INSERT ON documents BEGIN
    INSERT INTO user_stats_changes
    VALUES (new.user_id, 'doc', new.status, substr(new.created_at, 1, 10), 1);
END;
CREATE TRIGGER user_stats_doc_delete AFTER DELETE ON documents BEGIN
    INSERT INTO user_stats_changes
    VALUES (old.user_id, 'doc', old.status, substr(old.created_at, 1, 10), -1);
END;
CREATE TRIGGER user_stats_doc_update AFTER UPDATE OF user_id, status, created_at ON documents
WHEN old.user_id IS NOT new.user_id OR old.status IS NOT new.status
  OR old.created_at IS NOT new.created_at BEGIN
    INSERT INTO user_stats_changes
    VALUES (old.user_id, 'doc', old.status, substr(old.created_at, 1, 10), -1),
           (new.user_id, 'doc', new.status, substr(new.created_at, 1, 10), 1);
END;

CREATE TRIGGER user_stats_job_insert AFTER INSERT ON processing_jobs BEGIN
    INSERT INTO user_stats_changes VALUES (new.user_id, 'job', new.status, NULL, 1);
END;
CREATE TRIGGER user_stats_job_delete AFTER DELETE ON processing_jobs BEGIN
    INSERT INTO user_stats_changes VALUES (old.user_id, 'job', old.status, NULL, -1);
END;
CREATE TRIGGER user_stats_job_update AFTER UPDATE OF user_id, status ON processing_jobs
WHEN old.user_id IS NOT new.user_id OR old.status IS NOT new.status BEGIN
    INSERT INTO user_stats_changes
    VALUES (old.user_id, 'job', old.status, NULL, -1), (new.user_id, 'job', new.status, NULL, 1);
END;

-- Existing rows, through the same view, one change per owner, status and day.
INSERT INTO user_stats_changes
SELECT user_id, 'job', status, NULL, count(*) FROM processing_jobs
WHERE user_id IS NOT NULL GROUP BY user_id, status;
INSERT INTO user_stats_changes
SELECT user_id, 'doc', status, substr(created_at, 1, 10), count(*) FROM documents
WHERE user_id IS NOT NULL GROUP BY user_id, status, substr(created_at, 1, 10);
