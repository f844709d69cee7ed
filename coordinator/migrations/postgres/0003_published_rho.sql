-- msp-coordinator schema 3: the ρ each accepted submission published (its release's privacy.rho),
-- the coordinator's own ledger of each council's spending across all the council's keys.
-- Submissions stored before this migration are filled in from their stored release when the
-- coordinator opens its database (Store::open), before it takes any submission.
ALTER TABLE submissions ADD COLUMN rho DOUBLE PRECISION;
