-- Linked accounts (an end user's connection to one provider instance), the one-time public tokens
-- that hand them to the customer's backend, and OAuth attempts in flight.

CREATE TABLE linked_accounts (
    id                          UUID PRIMARY KEY,
    organization_id             UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    category                    TEXT NOT NULL,
    integration                 TEXT NOT NULL,
    end_user_origin_id          TEXT NOT NULL,
    end_user_organization_name  TEXT NOT NULL,
    end_user_email_address      TEXT NOT NULL,
    status                      TEXT NOT NULL,
    status_detail               TEXT,
    -- The account token is a split token: rows are found by its selector, then its HMAC is
    -- checked. The token itself is kept only sealed (AES-256-GCM), to hand it over again when
    -- the account is relinked.
    account_token_id            UUID NOT NULL UNIQUE,
    account_token_hash          BYTEA NOT NULL,
    account_token_sealed        BYTEA NOT NULL,
    -- Provider credentials, sealed (AES-256-GCM, the key id inside).
    credentials_sealed          BYTEA NOT NULL,
    instance_id                 TEXT NOT NULL,
    instance_display_value      TEXT NOT NULL,
    subdomain                   TEXT,
    is_duplicate                BOOLEAN NOT NULL,
    is_test_account             BOOLEAN NOT NULL,
    -- {"common_models": …, "category_common_model_scopes": …} from the link token.
    scopes                      JSONB NOT NULL,
    are_syncs_disabled          BOOLEAN NOT NULL,
    integration_specific_config JSONB,
    created_at                  BIGINT NOT NULL,
    completed_at                BIGINT,
    updated_at                  BIGINT NOT NULL,
    -- One linked account per end user and category (Merge's rule; a second link is a relink).
    UNIQUE (organization_id, category, end_user_origin_id)
);
CREATE INDEX linked_accounts_instance ON linked_accounts (organization_id, integration, instance_id);

CREATE TABLE public_tokens (
    id                 UUID PRIMARY KEY,
    token_hash         BYTEA NOT NULL,
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    linked_account_id  UUID NOT NULL REFERENCES linked_accounts (id) ON DELETE CASCADE,
    is_preexisting     BOOLEAN NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    consumed_at        BIGINT
);
CREATE INDEX public_tokens_expires_at ON public_tokens (expires_at);
CREATE INDEX public_tokens_linked_account ON public_tokens (linked_account_id);

CREATE TABLE oauth_attempts (
    -- Selector of the `state` parameter (a split token); its HMAC is checked on the callback.
    id             UUID PRIMARY KEY,
    state_hash     BYTEA NOT NULL,
    link_token_id  UUID NOT NULL REFERENCES link_tokens (id) ON DELETE CASCADE,
    integration    TEXT NOT NULL,
    -- Form fields given before the redirect, sealed.
    fields_sealed  BYTEA NOT NULL,
    -- After the callback: the validated grant (sealed) or the errors (JSON).
    result_sealed  BYTEA,
    errors         TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX oauth_attempts_link_token ON oauth_attempts (link_token_id);
CREATE INDEX oauth_attempts_expires_at ON oauth_attempts (expires_at);
