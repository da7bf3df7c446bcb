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

-- One statement per change: the old row's status -1, the new row's +1.
CREATE TRIGGER user_stats_doc_insert AFTER INSERT ON documents WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO user_stats (user_id, docs_pending, docs_processing, docs_completed, docs_failed)
    VALUES (new.user_id, new.status = 'pending', new.status = 'processing',
            new.status = 'completed', new.status = 'failed')
    ON CONFLICT (user_id) DO UPDATE SET
        docs_pending = docs_pending + excluded.docs_pending,
        docs_processing = docs_processing + excluded.docs_processing,
        docs_completed = docs_completed + excluded.docs_completed,
        docs_failed = docs_failed + excluded.docs_failed;
    INSERT INTO user_days (user_id, day, documents) VALUES (new.user_id, substr(new.created_at, 1, 10), 1)
    ON CONFLICT (user_id, day) DO UPDATE SET documents = documents + 1;
END;

CREATE TRIGGER user_stats_doc_delete AFTER DELETE ON documents WHEN old.user_id IS NOT NULL BEGIN
    UPDATE user_stats SET
        docs_pending = docs_pending - (old.status = 'pending'),
        docs_processing = docs_processing - (old.status = 'processing'),
        docs_completed = docs_completed - (old.status = 'completed'),
        docs_failed = docs_failed - (old.status = 'failed')
    WHERE user_id = old.user_id;
    UPDATE user_days SET documents = documents - 1
    WHERE user_id = old.user_id AND day = substr(old.created_at, 1, 10);
END;

CREATE TRIGGER user_stats_doc_update AFTER UPDATE OF user_id, status, created_at ON documents
WHEN old.user_id IS NOT new.user_id OR old.status IS NOT new.status
  OR old.created_at IS NOT new.created_at BEGIN
    UPDATE user_stats SET
        docs_pending = docs_pending - (old.status = 'pending'),
        docs_processing = docs_processing - (old.status = 'processing'),
        docs_completed = docs_completed - (old.status = 'completed'),
        docs_failed = docs_failed - (old.status = 'failed')
    WHERE user_id = old.user_id;
    UPDATE user_days SET documents = documents - 1
    WHERE user_id = old.user_id AND day = substr(old.created_at, 1, 10);
    INSERT INTO user_stats (user_id, docs_pending, docs_processing, docs_completed, docs_failed)
    SELECT new.user_id, new.status = 'pending', new.status = 'processing',
           new.status = 'completed', new.status = 'failed'
    WHERE new.user_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET
        docs_pending = docs_pending + excluded.docs_pending,
        docs_processing = docs_processing + excluded.docs_processing,
        docs_completed = docs_completed + excluded.docs_completed,
        docs_failed = docs_failed + excluded.docs_failed;
    INSERT INTO user_days (user_id, day, documents)
    SELECT new.user_id, substr(new.created_at, 1, 10), 1 WHERE new.user_id IS NOT NULL
    ON CONFLICT (user_id, day) DO UPDATE SET documents = documents + 1;
END;

CREATE TRIGGER user_stats_job_insert AFTER INSERT ON processing_jobs WHEN new.user_id IS NOT NULL BEGIN
    INSERT INTO user_stats (user_id, jobs_pending, jobs_processing, jobs_completed, jobs_partial,
                            jobs_failed, jobs_cancelled)
    VALUES (new.user_id, new.status = 'pending', new.status = 'processing',
            new.status = 'completed', new.status = 'partial', new.status = 'failed',
            new.status = 'cancelled')
    ON CONFLICT (user_id) DO UPDATE SET
        jobs_pending = jobs_pending + excluded.jobs_pending,
        jobs_processing = jobs_processing + excluded.jobs_processing,
        jobs_completed = jobs_completed + excluded.jobs_completed,
        jobs_partial = jobs_partial + excluded.jobs_partial,
        jobs_failed = jobs_failed + excluded.jobs_failed,
        jobs_cancelled = jobs_cancelled + excluded.jobs_cancelled;
END;

CREATE TRIGGER user_stats_job_delete AFTER DELETE ON processing_jobs WHEN old.user_id IS NOT NULL BEGIN
    UPDATE user_stats SET
        jobs_pending = jobs_pending - (old.status = 'pending'),
        jobs_processing = jobs_processing - (old.status = 'processing'),
        jobs_completed = jobs_completed - (old.status = 'completed'),
        jobs_partial = jobs_partial - (old.status = 'partial'),
        jobs_failed = jobs_failed - (old.status = 'failed'),
        jobs_cancelled = jobs_cancelled - (old.status = 'cancelled')
    WHERE user_id = old.user_id;
END;

CREATE TRIGGER user_stats_job_update AFTER UPDATE OF user_id, status ON processing_jobs
WHEN old.user_id IS NOT new.user_id OR old.status IS NOT new.status BEGIN
    UPDATE user_stats SET
        jobs_pending = jobs_pending - (old.status = 'pending'),
        jobs_processing = jobs_processing - (old.status = 'processing'),
        jobs_completed = jobs_completed - (old.status = 'completed'),
        jobs_partial = jobs_partial - (old.status = 'partial'),
        jobs_failed = jobs_failed - (old.status = 'failed'),
        jobs_cancelled = jobs_cancelled - (old.status = 'cancelled')
    WHERE user_id = old.user_id;
    INSERT INTO user_stats (user_id, jobs_pending, jobs_processing, jobs_completed, jobs_partial,
                            jobs_failed, jobs_cancelled)
    SELECT new.user_id, new.status = 'pending', new.status = 'processing',
           new.status = 'completed', new.status = 'partial', new.status = 'failed',
           new.status = 'cancelled'
    WHERE new.user_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET
        jobs_pending = jobs_pending + excluded.jobs_pending,
        jobs_processing = jobs_processing + excluded.jobs_processing,
        jobs_completed = jobs_completed + excluded.jobs_completed,
        jobs_partial = jobs_partial + excluded.jobs_partial,
        jobs_failed = jobs_failed + excluded.jobs_failed,
        jobs_cancelled = jobs_cancelled + excluded.jobs_cancelled;
END;

-- Existing rows.
INSERT INTO user_stats
SELECT user_id, sum(jp), sum(jr), sum(jc), sum(ja), sum(jf), sum(jx),
       sum(dp), sum(dr), sum(dc), sum(df)
FROM (SELECT user_id, status = 'pending' AS jp, status = 'processing' AS jr,
             status = 'completed' AS jc, status = 'partial' AS ja, status = 'failed' AS jf,
             status = 'cancelled' AS jx, 0 AS dp, 0 AS dr, 0 AS dc, 0 AS df
      FROM processing_jobs WHERE user_id IS NOT NULL
      UNION ALL
      SELECT user_id, 0, 0, 0, 0, 0, 0, status = 'pending', status = 'processing',
             status = 'completed', status = 'failed'
      FROM documents WHERE user_id IS NOT NULL)
GROUP BY user_id;
INSERT INTO user_days (user_id, day, documents)
SELECT user_id, substr(created_at, 1, 10), count(*) FROM documents
WHERE user_id IS NOT NULL GROUP BY 1, 2;
