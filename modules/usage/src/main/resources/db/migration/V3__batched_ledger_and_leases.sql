-- Batched ledger writes (RecordUsage) and budget leases (LeaseBudget / ReturnLease).
-- Portable SQL for PostgreSQL and H2, like V1 and V2.

-- Whether the gateway never saw the request finish (the record was replayed from its journal).
ALTER TABLE ledger ADD COLUMN interrupted BOOLEAN DEFAULT FALSE NOT NULL;
-- The lease the request was admitted against; NULL when none.
ALTER TABLE ledger ADD COLUMN lease_id VARCHAR(64);

-- A share of an organization's hard-limit budget held by one gateway replica. What a lease still
-- holds (held_micros) counts against its period's budget while ended_at = 0 and expires_at is in
-- the future; usage recorded against the lease shrinks the hold (floored at 0) and grows spent.
-- Every change to a lease is made while its budget row is locked.
CREATE TABLE budget_leases (
    id               VARCHAR(64) PRIMARY KEY,
    organization_id  VARCHAR(64) NOT NULL,
    period_start     BIGINT      NOT NULL,
    holder           VARCHAR(64) NOT NULL,
    requested_micros BIGINT      NOT NULL,
    granted_micros   BIGINT      NOT NULL,
    held_micros      BIGINT      NOT NULL,
    spent_micros     BIGINT      NOT NULL DEFAULT 0,
    created_at       BIGINT      NOT NULL,
    expires_at       BIGINT      NOT NULL,
    ended_at         BIGINT      NOT NULL DEFAULT 0
);
-- The live holds of one budget (summed by every hard-limit check).
CREATE INDEX budget_leases_by_budget ON budget_leases (organization_id, period_start, ended_at);
-- The sweep of expired leases.
CREATE INDEX budget_leases_by_expiry ON budget_leases (ended_at, expires_at);
