-- The search window's filters, read one entry a match (store_history.c,
-- sq_search_window): every filtered column of documents, so that a window of
-- 1,000 matches reads ~190-byte entries instead of ~2 KB rows, which also
-- did not fit the connection's page cache (bench/RESULTS.md, issue 7).
CREATE INDEX documents_search_idx
    ON documents (rid, user_id, status, language, job_id, created_at, tags);
