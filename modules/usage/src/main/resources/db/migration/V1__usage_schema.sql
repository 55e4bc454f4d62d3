-- Usage service schema. Portable SQL for PostgreSQL and H2; times are seconds (or, in the ledger,
-- milliseconds) since the epoch as BIGINT so bucketing is integer arithmetic on both databases.

CREATE TABLE organizations (
    id          VARCHAR(64)  PRIMARY KEY,
    name        VARCHAR(256) NOT NULL,
    created_at  BIGINT       NOT NULL
);

CREATE TABLE users (
    id                      VARCHAR(64)  PRIMARY KEY,
    email                   VARCHAR(320) NOT NULL,
    default_organization_id VARCHAR(64)  REFERENCES organizations (id),
    created_at              BIGINT       NOT NULL,
    CONSTRAINT users_email_unique UNIQUE (email)
);

CREATE TABLE memberships (
    organization_id VARCHAR(64) NOT NULL REFERENCES organizations (id),
    user_id         VARCHAR(64) NOT NULL REFERENCES users (id),
    role            VARCHAR(16) NOT NULL,
    added_at        BIGINT      NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- Keys are stored as the SHA-256 of the secret (hex) and a short lookup prefix; never the secret.
CREATE TABLE api_keys (
    id              VARCHAR(64)  PRIMARY KEY,
    lookup_prefix   VARCHAR(16)  NOT NULL,
    secret_sha256   CHAR(64)     NOT NULL,
    redacted_value  VARCHAR(32)  NOT NULL,
    name            VARCHAR(256) NOT NULL,
    organization_id VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    user_id         VARCHAR(64)  NOT NULL REFERENCES users (id),
    created_at      BIGINT       NOT NULL,
    last_used_at    BIGINT       NOT NULL DEFAULT 0,
    expires_at      BIGINT       NOT NULL DEFAULT 0,
    revoked_at      BIGINT       NOT NULL DEFAULT 0,
    CONSTRAINT api_keys_secret_unique UNIQUE (secret_sha256)
);
CREATE INDEX api_keys_by_prefix ON api_keys (lookup_prefix);
CREATE INDEX api_keys_by_organization ON api_keys (organization_id, created_at);

CREATE TABLE organization_limits (
    organization_id     VARCHAR(64) PRIMARY KEY REFERENCES organizations (id),
    requests_per_minute BIGINT NOT NULL,
    tokens_per_minute   BIGINT NOT NULL,
    soft_limit_micros   BIGINT NOT NULL,
    hard_limit_micros   BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE model_limits (
    organization_id     VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    model               VARCHAR(256) NOT NULL,
    requests_per_minute BIGINT       NOT NULL,
    tokens_per_minute   BIGINT       NOT NULL,
    PRIMARY KEY (organization_id, model)
);

-- One row per organization and billing period: the row every Reserve / Settle / Release of that
-- organization locks, which makes the hard-limit check exact across replicas.
CREATE TABLE budgets (
    organization_id       VARCHAR(64) NOT NULL,
    period_start          BIGINT      NOT NULL,
    spent_micros          BIGINT      NOT NULL DEFAULT 0,
    reserved_micros       BIGINT      NOT NULL DEFAULT 0,
    soft_limit_reached_at BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, period_start)
);

-- The ledger: one row per request id (the idempotency key).
-- state: R reserved, S settled, X released.
CREATE TABLE ledger (
    request_id                  VARCHAR(128) PRIMARY KEY,
    organization_id             VARCHAR(64)  NOT NULL,
    api_key_id                  VARCHAR(64)  NOT NULL,
    user_id                     VARCHAR(64)  NOT NULL,
    model                       VARCHAR(256) NOT NULL,
    period_start                BIGINT       NOT NULL,
    state                       CHAR(1)      NOT NULL,
    estimated_prompt_tokens     BIGINT       NOT NULL,
    estimated_completion_tokens BIGINT       NOT NULL,
    reserved_micros             BIGINT       NOT NULL,
    prompt_tokens               BIGINT       NOT NULL DEFAULT 0,
    completion_tokens           BIGINT       NOT NULL DEFAULT 0,
    input_cost_micros           BIGINT       NOT NULL DEFAULT 0,
    output_cost_micros          BIGINT       NOT NULL DEFAULT 0,
    created_at                  BIGINT       NOT NULL,
    finished_at                 BIGINT       NOT NULL DEFAULT 0
);
-- Usage and cost queries: a range scan of one organization's settled rows by time.
CREATE INDEX ledger_by_organization_finished ON ledger (organization_id, finished_at);
-- Sweeping reservations that were never settled or released.
CREATE INDEX ledger_by_state_created ON ledger (state, created_at);

CREATE TABLE notifications (
    id               VARCHAR(64) PRIMARY KEY,
    organization_id  VARCHAR(64) NOT NULL,
    kind             VARCHAR(64) NOT NULL,
    period_start     BIGINT      NOT NULL,
    threshold_micros BIGINT      NOT NULL,
    amount_micros    BIGINT      NOT NULL,
    created_at       BIGINT      NOT NULL,
    delivered_at     BIGINT      NOT NULL DEFAULT 0,
    CONSTRAINT notifications_once_per_period UNIQUE (organization_id, kind, period_start)
);

-- The one-time bootstrap (first organization and owner); one row at most.
CREATE TABLE bootstrap (
    id              INTEGER     PRIMARY KEY,
    organization_id VARCHAR(64) NOT NULL,
    user_id         VARCHAR(64) NOT NULL,
    created_at      BIGINT      NOT NULL
);
