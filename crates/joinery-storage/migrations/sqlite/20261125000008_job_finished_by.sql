-- Which worker finished a job (the lease holder's name; `locked_by` is cleared on finish): shows
-- operators, and the scale-out test, how workers split the jobs.
ALTER TABLE sync_jobs ADD COLUMN finished_by TEXT;
