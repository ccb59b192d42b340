-- The listing index also carries each row's deletion flag and content hash. A sync reads the
-- stored hashes of a model once, in this index's order (a covering range read), and then writes
-- only new and changed rows; deletion detection uses the same read. Its keys grow with
-- created_at, so inserts append rather than scatter.
DROP INDEX common_model_rows_listing;
CREATE INDEX common_model_rows_listing
    ON common_model_rows (linked_account_id, model, created_at, id, remote_was_deleted, content_hash);
