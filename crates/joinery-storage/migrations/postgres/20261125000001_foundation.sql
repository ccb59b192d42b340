-- Organizations (Joinery's customers), their API keys and the link tokens they mint.
-- Timestamps are microseconds since the Unix epoch (BIGINT) on both backends.

CREATE TABLE organizations (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- HMAC-SHA256 of the key; the key itself is never stored.
    key_hash         BYTEA NOT NULL UNIQUE,
    key_hint         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    revoked_at       BIGINT
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

-- Integrations an organization has switched off; everything else in the catalogue is enabled.
CREATE TABLE organization_disabled_integrations (
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug             TEXT NOT NULL,
    PRIMARY KEY (organization_id, slug)
);

CREATE TABLE link_tokens (
    id                  UUID PRIMARY KEY,
    organization_id     UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- HMAC-SHA256 of the whole token; rows are found by id, the token's public selector.
    token_hash          BYTEA NOT NULL,
    end_user_origin_id  TEXT NOT NULL,
    integration         TEXT,
    -- The validated request (scopes, language, categories, end-user identity) for Link.
    request             JSONB NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    consumed_at         BIGINT
);
CREATE INDEX link_tokens_expires_at ON link_tokens (expires_at);
