-- Files of organizations. The bytes live in the blob store under the file id; sha256 checks them.
CREATE TABLE files (
    id             VARCHAR(40)   PRIMARY KEY,
    organization   VARCHAR(64)   NOT NULL,
    created_by     VARCHAR(64)   NOT NULL,
    filename       VARCHAR(512)  NOT NULL,
    purpose        VARCHAR(32)   NOT NULL,
    bytes          BIGINT        NOT NULL,
    sha256         CHAR(64)      NOT NULL,
    status         VARCHAR(16)   NOT NULL,
    status_details VARCHAR(1024),
    created_ms     BIGINT        NOT NULL
);
CREATE INDEX files_by_organization ON files (organization, created_ms, id);

-- Bytes and files stored per organization, kept with every insert and delete (the quota check).
CREATE TABLE storage_accounts (
    organization VARCHAR(64) PRIMARY KEY,
    bytes        BIGINT      NOT NULL,
    files        BIGINT      NOT NULL
);

-- Who uses a file: a row per (file, user), for example a fine-tuning job that trains on it. While a
-- row is active the file cannot be deleted. Filled by the fine-tuning jobs.
CREATE TABLE file_uses (
    file_id    VARCHAR(40) NOT NULL REFERENCES files (id),
    user_kind  VARCHAR(32) NOT NULL,
    user_id    VARCHAR(64) NOT NULL,
    active     BOOLEAN     NOT NULL,
    created_ms BIGINT      NOT NULL,
    PRIMARY KEY (file_id, user_kind, user_id)
);

-- Multi-part uploads (the Uploads API) and their parts; part bytes live in the blob store.
CREATE TABLE uploads (
    id           VARCHAR(40)  PRIMARY KEY,
    organization VARCHAR(64)  NOT NULL,
    created_by   VARCHAR(64)  NOT NULL,
    filename     VARCHAR(512) NOT NULL,
    purpose      VARCHAR(32)  NOT NULL,
    bytes        BIGINT       NOT NULL,
    mime_type    VARCHAR(255) NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    created_ms   BIGINT       NOT NULL,
    expires_ms   BIGINT       NOT NULL,
    file_id      VARCHAR(40)
);

CREATE TABLE upload_parts (
    id         VARCHAR(40) PRIMARY KEY,
    upload_id  VARCHAR(40) NOT NULL REFERENCES uploads (id),
    bytes      BIGINT      NOT NULL,
    created_ms BIGINT      NOT NULL
);
CREATE INDEX upload_parts_by_upload ON upload_parts (upload_id);
