-- 0002_sessions.sql (PostgreSQL): sessions, the refresh-token chain, the audit log (issue 3).
-- Run inside the runner's transaction: no BEGIN/COMMIT here.

-- One login on one device. expires_at moves forward with every rotation;
-- revoked_at is set by a logout, a revocation or a detected token reuse.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   text,
    ip           text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Every token belongs to a session, so session_id is NOT NULL, which needs
-- the table empty first. Its rows are deleted, not given sessions: nothing
-- issued refresh tokens before this migration, and a token without a session
-- could neither be rotated nor revoked (at worst, a re-login). The SQLite
-- migration does the same by rebuilding the table. rotated_at / replaced_by:
-- set when the token is exchanged for the next one (replaced_by is that
-- token's id; not a foreign key, the purge may delete the next token first).
DELETE FROM refresh_tokens;
ALTER TABLE refresh_tokens
    ADD COLUMN session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    ADD COLUMN rotated_at  timestamptz,
    ADD COLUMN replaced_by uuid;
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- user_id NULL: no account is known (a failed login for an unknown email),
-- or the account was deleted since. id breaks ties in the newest-first order,
-- so both indexes carry it and a listing needs no sort. ip is text, not inet,
-- so both drivers accept the same values.
CREATE TABLE audit_log (
    id         uuid PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    event      text NOT NULL CHECK (event <> ''),
    ip         text,
    detail     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_user_created_idx ON audit_log (user_id, created_at DESC, id DESC);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
