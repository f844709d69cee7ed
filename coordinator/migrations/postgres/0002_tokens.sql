-- msp-coordinator schema 2: bearer tokens for the API and the dashboard. Only a token's SHA-256
-- is stored; the token itself is shown once, when it is made.
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
