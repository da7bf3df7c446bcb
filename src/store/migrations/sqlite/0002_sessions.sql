-- 0002_sessions.sql (SQLite): sessions, the refresh-token chain, the audit log (issue 3).
-- Run inside the runner's transaction: no BEGIN/COMMIT here.

-- One login on one device. expires_at moves forward with every rotation;
-- revoked_at is set by a logout, a revocation or a detected token reuse.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   TEXT,
    ip           TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_used_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT
) STRICT;
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- refresh_tokens is rebuilt, not altered: SQLite's ALTER TABLE cannot add a
-- NOT NULL column without a default, and every token must belong to a
-- session. Its rows are not copied: nothing issued refresh tokens before this
-- migration, and a token without a session could neither be rotated nor
-- revoked (at worst, a re-login). Nothing references the table, so dropping
-- it with foreign_keys on is safe. rotated_at / replaced_by: set when the
-- token is exchanged for the next one (replaced_by is that token's id; not a
-- foreign key, the purge may delete the next token first).
DROP TABLE refresh_tokens;
CREATE TABLE refresh_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE
                 CHECK (length(token_sha256) = 64 AND token_sha256 NOT GLOB '*[^0-9a-f]*'),
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rotated_at   TEXT,
    replaced_by  TEXT
) STRICT;
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- user_id NULL: no account is known (a failed login for an unknown email),
-- or the account was deleted since. id breaks ties in the newest-first order,
-- so both indexes carry it and a listing needs no sort.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    event      TEXT NOT NULL CHECK (event <> ''),
    ip         TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
               CHECK (CASE WHEN json_valid(detail) THEN json_type(detail) = 'object' ELSE 0 END),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX audit_log_user_created_idx ON audit_log (user_id, created_at DESC, id DESC);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
