-- msp-coordinator schema 5: publication dates the operator has set. A quarter not listed here is
-- published on its default date (the first day of the third month after it ends). Until a
-- quarter is published, a council's role sees only its own figures for it and a region's role
-- only its councils; from that date every role, and the open-data pages, see every figure.
CREATE TABLE publication_dates (
    period TEXT PRIMARY KEY,
    publish_on TEXT NOT NULL,
    set_at TEXT NOT NULL
);
