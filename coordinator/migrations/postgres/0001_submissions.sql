-- msp-coordinator schema 1: enrolled council keys, and the submissions of the transparency log.

-- One row per key a council has enrolled; a revoked key keeps its row (and its submissions).
CREATE TABLE council_keys (
    fingerprint TEXT PRIMARY KEY,
    council TEXT NOT NULL,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX council_keys_council ON council_keys (council);

-- Every accepted submission, in log order: log_index is its leaf in the Merkle tree, whose leaf
-- data is jws_sha256. jws holds the exact bytes received; payload the release JSON inside it.
CREATE TABLE submissions (
    log_index BIGINT PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE,
    council TEXT NOT NULL,
    quarter BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    spec TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL REFERENCES council_keys (fingerprint),
    jws_sha256 BYTEA NOT NULL UNIQUE,
    jws TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    receipt_jws TEXT NOT NULL,
    UNIQUE (council, quarter, revision)
);
CREATE INDEX submissions_quarter ON submissions (quarter);
