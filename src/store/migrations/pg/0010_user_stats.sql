-- Each user's documents and jobs counted by status, and documents per UTC
-- day, kept in step by triggers: the statistics (GET /api/history/stats, the
-- dashboard) read one row and at most 30 instead of every document of the
-- user (3.0 ms for a user of 10,008 documents at 1M, 6x the 10k figure,
-- bench/RESULTS.md). Anonymous documents and jobs (no user) are not counted.
CREATE TABLE user_stats (
    user_id         uuid PRIMARY KEY,
    jobs_pending    integer NOT NULL DEFAULT 0,
    jobs_processing integer NOT NULL DEFAULT 0,
    jobs_completed  integer NOT NULL DEFAULT 0,
    jobs_partial    integer NOT NULL DEFAULT 0,
    jobs_failed     integer NOT NULL DEFAULT 0,
    jobs_cancelled  integer NOT NULL DEFAULT 0,
    docs_pending    integer NOT NULL DEFAULT 0,
    docs_processing integer NOT NULL DEFAULT 0,
    docs_completed  integer NOT NULL DEFAULT 0,
    docs_failed     integer NOT NULL DEFAULT 0
);
-- Documents created per UTC day.
CREATE TABLE user_days (
    user_id   uuid NOT NULL,
    day       date NOT NULL,
    documents integer NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- One change of a statement: a row's owner, status and day, +1 or -1.
CREATE TYPE mtag_stat_change AS (user_id uuid, status text, day date, d integer);

-- Per statement, over its rows (transition tables), as user_tags (0007): the
-- changes are summed per user and applied by one upsert in user order, then
-- the days in (user, day) order. A user's row is every writer's first lock
-- on these counts (these triggers' names sort before user_tags'), so writers
-- never deadlock on them; a user's writers take turns on it. Rows whose
-- owner, status and day did not change (a lease renewal) count nothing.
CREATE FUNCTION user_stats_apply(changes mtag_stat_change[], of_documents boolean)
    RETURNS void LANGUAGE sql AS $$
    INSERT INTO user_stats (user_id, jobs_pending, jobs_processing, jobs_completed, jobs_partial,
                            jobs_failed, jobs_cancelled, docs_pending, docs_processing,
                            docs_completed, docs_failed)
    SELECT user_id,
           coalesce(sum(d) FILTER (WHERE NOT of_documents AND status = 'pending'), 0),
           coalesce(sum(d) FILTER (WHERE NOT of_documents AND status = 'processing'), 0),
           coalesce(sum(d) FILTER (WHERE NOT of_documents AND status = 'completed'), 0),
           coalesce(sum(d) FILTER (WHERE NOT of_documents AND status = 'partial'), 0),
           coalesce(sum(d) FILTER (WHERE NOT of_documents AND status = 'failed'), 0),
           coalesce(sum(d) FILTER (WHERE NOT of_documents AND status = 'cancelled'), 0),
           coalesce(sum(d) FILTER (WHERE of_documents AND status = 'pending'), 0),
           coalesce(sum(d) FILTER (WHERE of_documents AND status = 'processing'), 0),
           coalesce(sum(d) FILTER (WHERE of_documents AND status = 'completed'), 0),
           coalesce(sum(d) FILTER (WHERE of_documents AND status = 'failed'), 0)
    FROM unnest(changes) GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET
        jobs_pending = user_stats.jobs_pending + excluded.jobs_pending,
        jobs_processing = user_stats.jobs_processing + excluded.jobs_processing,
        jobs_completed = user_stats.jobs_completed + excluded.jobs_completed,
        jobs_partial = user_stats.jobs_partial + excluded.jobs_partial,
        jobs_failed = user_stats.jobs_failed + excluded.jobs_failed,
        jobs_cancelled = user_stats.jobs_cancelled + excluded.jobs_cancelled,
        docs_pending = user_stats.docs_pending + excluded.docs_pending,
        docs_processing = user_stats.docs_processing + excluded.docs_processing,
        docs_completed = user_stats.docs_completed + excluded.docs_completed,
        docs_failed = user_stats.docs_failed + excluded.docs_failed;
    INSERT INTO user_days (user_id, day, documents)
    SELECT user_id, day, sum(d) FROM unnest(changes)
    WHERE of_documents GROUP BY user_id, day HAVING sum(d) <> 0 ORDER BY user_id, day
    ON CONFLICT (user_id, day) DO UPDATE SET documents = user_days.documents + excluded.documents;
$$;

CREATE FUNCTION user_stats_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes mtag_stat_change[];
    of_documents boolean := TG_TABLE_NAME = 'documents';
BEGIN
    -- (PL/pgSQL prepares a statement when it first runs it: each branch names
    -- only the transition tables its event has. A job has no day: NULL.)
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(ROW(user_id, status, CASE WHEN of_documents
                    THEN (created_at AT TIME ZONE 'UTC')::date END, 1)::mtag_stat_change)
        INTO changes FROM new_rows WHERE user_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(ROW(user_id, status, CASE WHEN of_documents
                    THEN (created_at AT TIME ZONE 'UTC')::date END, -1)::mtag_stat_change)
        INTO changes FROM old_rows WHERE user_id IS NOT NULL;
    ELSE
        SELECT array_agg(c) INTO changes FROM (
            SELECT ROW(o.user_id, o.status, CASE WHEN of_documents
                       THEN (o.created_at AT TIME ZONE 'UTC')::date END, -1)::mtag_stat_change AS c
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.user_id IS NOT NULL AND (o.user_id IS DISTINCT FROM n.user_id
                  OR o.status IS DISTINCT FROM n.status OR o.created_at IS DISTINCT FROM n.created_at)
            UNION ALL
            SELECT ROW(n.user_id, n.status, CASE WHEN of_documents
                       THEN (n.created_at AT TIME ZONE 'UTC')::date END, 1)::mtag_stat_change
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE n.user_id IS NOT NULL AND (o.user_id IS DISTINCT FROM n.user_id
                  OR o.status IS DISTINCT FROM n.status OR o.created_at IS DISTINCT FROM n.created_at)
        ) x;
    END IF;
    IF changes IS NOT NULL THEN
        PERFORM user_stats_apply(changes, of_documents);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER documents_user_stats_insert AFTER INSERT ON documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_stats_follow();
CREATE TRIGGER documents_user_stats_delete AFTER DELETE ON documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_stats_follow();
CREATE TRIGGER documents_user_stats_update AFTER UPDATE ON documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_stats_follow();
CREATE TRIGGER processing_jobs_user_stats_insert AFTER INSERT ON processing_jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_stats_follow();
CREATE TRIGGER processing_jobs_user_stats_delete AFTER DELETE ON processing_jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_stats_follow();
CREATE TRIGGER processing_jobs_user_stats_update AFTER UPDATE ON processing_jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_stats_follow();

-- Existing rows.
SELECT user_stats_apply(coalesce(array_agg(ROW(user_id, status, NULL, 1)::mtag_stat_change),
                                 '{}'), false)
FROM processing_jobs WHERE user_id IS NOT NULL;
SELECT user_stats_apply(coalesce(array_agg(ROW(user_id, status,
                                 (created_at AT TIME ZONE 'UTC')::date, 1)::mtag_stat_change), '{}'), true)
FROM documents WHERE user_id IS NOT NULL;
