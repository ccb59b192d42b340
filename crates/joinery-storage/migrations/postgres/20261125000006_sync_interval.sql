-- How often an organization's linked accounts are synced (seconds); NULL: the server default.
ALTER TABLE organizations ADD COLUMN sync_interval_secs BIGINT;
