-- msp-node schema 2 (PostgreSQL): the privacy budget ledger and the releases it paid for.
-- A charge is committed before any noise is drawn; a release refers to the charge that paid for
-- it. A charge with no release is budget spent by a release that was interrupted.
CREATE TABLE ledger (
    id BIGSERIAL PRIMARY KEY,
    quarter BIGINT NOT NULL,
    rho DOUBLE PRECISION NOT NULL,
    purpose TEXT NOT NULL,
    charged_at TEXT NOT NULL
);

-- document holds the exact bytes of the msp-release/1 JSON that leaves the node.
CREATE TABLE releases (
    quarter BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    ledger_id BIGINT NOT NULL UNIQUE REFERENCES ledger (id),
    created_at TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (quarter, revision)
);
