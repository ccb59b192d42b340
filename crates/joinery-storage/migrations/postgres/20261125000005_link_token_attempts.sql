-- Failed credential checks per link token: after a few, the token stops working, so a leaked or
-- long-lived (magic) link cannot be used to probe which keys or companies a provider accepts.
ALTER TABLE link_tokens ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
