-- msp-node schema 3: submissions to the coordinator and their receipts, and approvals.

-- One row per release revision to send. The JWS is made once and kept, so a retry after a crash
-- sends the same bytes (and the coordinator answers with the same receipt).
CREATE TABLE outbox (
    quarter BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    jws TEXT NOT NULL,
    jws_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    receipt_jws TEXT,
    received_at TEXT,
    PRIMARY KEY (quarter, revision),
    FOREIGN KEY (quarter, revision) REFERENCES releases (quarter, revision)
);

-- Who approved a release for submission, when the council's configuration asks for approval.
CREATE TABLE approvals (
    quarter BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (quarter, revision),
    FOREIGN KEY (quarter, revision) REFERENCES releases (quarter, revision)
);
