-- One version check for every versioned resource: a write batch opens with
--   INSERT INTO version_guards (ok) SELECT COUNT(*) FROM <table> WHERE project = ? AND id = ? AND version = ?
-- and the trigger aborts the whole batch unless the row still has that version (the insert
-- itself is dropped, so the table stays empty). It replaces the customers-only check.
CREATE TABLE version_guards (ok INTEGER NOT NULL);

CREATE TRIGGER version_guard
BEFORE INSERT ON version_guards
BEGIN
  SELECT RAISE(ABORT, 'version_conflict') WHERE NEW.ok <> 1;
  SELECT RAISE(IGNORE);
END;

DROP TRIGGER customer_version_check;
DROP TABLE customer_version_checks;
