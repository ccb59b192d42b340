-- Synced data: one row per common-model object of a linked account, the sync jobs that fill them,
-- and per-model sync status.

CREATE TABLE common_model_rows (
    -- Joinery's id of the object: a UUIDv5 of (linked account, model, remote id), as text, so the
    -- same remote object always gets the same id and relations can be computed without lookups.
    id                  TEXT PRIMARY KEY,
    linked_account_id   UUID NOT NULL REFERENCES linked_accounts (id) ON DELETE CASCADE,
    -- "hris.Employee"
    model               TEXT NOT NULL,
    remote_id           TEXT NOT NULL,
    -- The normalized fields, a JSON object in Merge's field order (relations as Joinery ids).
    data                TEXT NOT NULL,
    -- Remote values of enum fields, for show_enum_origins: {"gender": "Female"}.
    enum_origins        TEXT,
    -- The provider payloads the row was made from: [{"path", "data"}].
    remote_data         TEXT,
    -- Hash of data, enum_origins and remote_data: an unchanged resync writes nothing.
    content_hash        BYTEA NOT NULL,
    created_at          BIGINT NOT NULL,
    modified_at         BIGINT NOT NULL,
    remote_was_deleted  BOOLEAN NOT NULL
);
-- Lists walk (created_at, id) per account and model; modified_after filters by modified_at.
CREATE INDEX common_model_rows_listing ON common_model_rows (linked_account_id, model, created_at, id);
CREATE INDEX common_model_rows_modified ON common_model_rows (linked_account_id, model, modified_at);

CREATE TABLE sync_jobs (
    id                 UUID PRIMARY KEY,
    linked_account_id  UUID NOT NULL REFERENCES linked_accounts (id) ON DELETE CASCADE,
    -- INITIAL, PERIODIC or FORCED
    kind               TEXT NOT NULL,
    -- QUEUED, RUNNING, DONE or FAILED
    state              TEXT NOT NULL,
    run_after          BIGINT NOT NULL,
    attempts           INTEGER NOT NULL,
    -- A running job's lease: another worker may take it over once it lapses (its worker died).
    locked_by          TEXT,
    locked_until       BIGINT,
    last_error         TEXT,
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT
);
CREATE INDEX sync_jobs_claim ON sync_jobs (state, run_after);
-- At most one pending or running job per account: enqueueing again is a no-op.
CREATE UNIQUE INDEX sync_jobs_one_active ON sync_jobs (linked_account_id) WHERE state IN ('QUEUED', 'RUNNING');

CREATE TABLE sync_status (
    linked_account_id   UUID NOT NULL REFERENCES linked_accounts (id) ON DELETE CASCADE,
    model               TEXT NOT NULL,
    -- SYNCING, DONE, FAILED, DISABLED, PAUSED, PARTIALLY_SYNCED
    status              TEXT NOT NULL,
    last_sync_start     BIGINT,
    last_sync_finished  BIGINT,
    -- DONE or FAILED: the outcome of the last finished sync of this model.
    last_sync_result    TEXT,
    -- What an incremental sync starts from (provider-specific, e.g. a "changed since" time).
    watermark           TEXT,
    is_initial_sync     BOOLEAN NOT NULL,
    PRIMARY KEY (linked_account_id, model)
);
