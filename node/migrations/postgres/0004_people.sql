-- msp-node schema 4: the people who work the node (local accounts for its web view, their
-- sessions), the audit log of every state change, who made each release, and exactly which
-- bytes an approval approved.

-- An account of the node's local web view. The sign-in token is shown once, when the account is
-- made (`msp-node user add`); only its SHA-256 is kept. role is officer or approver.
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    removed_at TEXT
);

-- A signed-in browser. The cookie holds the session id; only its SHA-256 is kept. csrf is the
-- token every form of the session carries back.
CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Who did what, when: one row per release, approval, submission, account change and sign-in,
-- written in the same transaction as the change itself where there is one. Never updated.
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    quarter BIGINT,
    revision BIGINT,
    detail TEXT NOT NULL
);

-- Who made a release (an account name, or the login that ran the command); NULL for releases
-- made before schema 4.
ALTER TABLE releases ADD COLUMN made_by TEXT;

-- The SHA-256 of the exact release bytes approved (NULL for approvals made before schema 4).
ALTER TABLE approvals ADD COLUMN release_sha256 TEXT;

-- Where the import's rejects and warnings report was written, if one was.
ALTER TABLE imports ADD COLUMN rejects_file TEXT;
