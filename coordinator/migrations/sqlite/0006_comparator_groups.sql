-- msp-coordinator schema 6: named comparator groups. The operator defines a group of councils (a
-- council's nearest neighbours, say) by an id and a name, network-wide or saved for one council
-- (owner: its code), and it is a group like any other in the API and the dashboard. A group has
-- three councils or more. Redefining a group replaces its members; defined_at changes with it.
CREATE TABLE comparator_groups (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT,
    defined_at TEXT NOT NULL
);
CREATE TABLE comparator_members (
    slug TEXT NOT NULL REFERENCES comparator_groups (slug) ON DELETE CASCADE,
    council TEXT NOT NULL,
    PRIMARY KEY (slug, council)
);
