-- When each model was last read in full (not just its changes): incremental syncs fall back to a
-- full read once this is old, so whatever a change feed missed is caught.
ALTER TABLE sync_status ADD COLUMN last_full_sync_at BIGINT;
