-- Search: when each index last served a search (`last_used_at`), so the scheduled handler can
-- switch off an index no search used for 30 days (as commercetools does). An index active
-- before this migration counts as used when it was last changed.
ALTER TABLE search_indexes ADD COLUMN last_used_at TEXT;
UPDATE search_indexes SET last_used_at = last_modified_at WHERE activated = 1;
