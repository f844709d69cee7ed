-- msp-coordinator schema 4: dashboard sessions. Signing in exchanges a bearer token for a random
-- session id; only the id's SHA-256 is stored, beside the token it was opened with, so that a
-- session ends when it expires, when it is signed out of, or when its token is revoked.
-- expires_at is in seconds since the Unix epoch, compared as a number.
CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens (id),
    created_at TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at TEXT
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
