-- msp-node schema 1 (PostgreSQL): node metadata, imports, and case records.
CREATE TABLE node_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    rows_read BIGINT NOT NULL DEFAULT 0,
    imported BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    warnings BIGINT NOT NULL DEFAULT 0
);

-- One row per concern. person_key is a keyed hash (HMAC-SHA256 with the node secret, truncated to
-- 16 bytes): the person id itself is never stored. record is the validated case-record/1 row in
-- the node's compact binary encoding; days count from 1970-01-01.
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY,
    person_key BYTEA NOT NULL,
    concern_day BIGINT NOT NULL,
    concern_period TEXT NOT NULL,
    concluded_day BIGINT,
    concluded_period TEXT,
    record BYTEA NOT NULL,
    row_hash BYTEA NOT NULL,
    import_id BIGINT NOT NULL REFERENCES imports (id)
);

CREATE INDEX cases_concern_period ON cases (concern_period);
CREATE INDEX cases_concluded_period ON cases (concluded_period);
