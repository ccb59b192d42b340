-- When the customer last used the account through the API (account-token requests), recorded at
-- most hourly: with the last successful sync, it tells an IDLE account (Merge: no sync and no
-- request for two weeks).
ALTER TABLE linked_accounts ADD COLUMN last_active_at BIGINT;
