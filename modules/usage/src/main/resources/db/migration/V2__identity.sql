-- Identity: people and service accounts, invitations, who created an organization (the self-service
-- cap), and moderation policies (kept here so every replica of every service sees the same one).

-- 'person' or 'service_account'. A service account is a member of exactly one organization; its
-- e-mail column holds its own id (never a valid e-mail address, so no person can claim it).
ALTER TABLE users ADD COLUMN kind VARCHAR(16) DEFAULT 'person' NOT NULL;
ALTER TABLE users ADD COLUMN name VARCHAR(256) DEFAULT '' NOT NULL;

-- The person who created an organization; NULL = the platform administrator (or before V2).
ALTER TABLE organizations ADD COLUMN created_by VARCHAR(64);
CREATE INDEX organizations_by_creator ON organizations (created_by);

CREATE TABLE invites (
    id              VARCHAR(64)  PRIMARY KEY,
    organization_id VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    email           VARCHAR(320) NOT NULL,
    role            VARCHAR(16)  NOT NULL,
    invited_by      VARCHAR(64)  NOT NULL,
    invited_at      BIGINT       NOT NULL,
    expires_at      BIGINT       NOT NULL,
    accepted_at     BIGINT       NOT NULL DEFAULT 0,
    accepted_by     VARCHAR(64)
);
CREATE INDEX invites_by_organization ON invites (organization_id, invited_at);

CREATE TABLE moderation_policies (
    organization_id VARCHAR(64) PRIMARY KEY REFERENCES organizations (id),
    screen_input    BOOLEAN     NOT NULL,
    screen_output   BOOLEAN     NOT NULL,
    updated_at      BIGINT      NOT NULL
);
