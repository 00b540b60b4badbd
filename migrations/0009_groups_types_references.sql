-- Customer groups and custom types, what each resource refers to, and the guards that keep
-- references whole: a write that refers to a resource aborts unless it exists, and the deletion
-- of a resource aborts while anything refers to it, in the same batch as the write (D1 runs a
-- batch as one transaction, one batch at a time). The guard tables stay empty: their triggers
-- check, then drop the row.

CREATE TABLE customer_groups (
  project          TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  key              TEXT,
  name             TEXT    NOT NULL,
  created_at       TEXT    NOT NULL,
  last_modified_at TEXT    NOT NULL,
  doc              TEXT    NOT NULL,
  PRIMARY KEY (project, id),
  UNIQUE (project, key),
  UNIQUE (project, name)
);

CREATE TABLE types (
  project          TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  key              TEXT    NOT NULL,
  created_at       TEXT    NOT NULL,
  last_modified_at TEXT    NOT NULL,
  doc              TEXT    NOT NULL,
  PRIMARY KEY (project, id),
  UNIQUE (project, key)
);

-- One row per reference a resource holds (a customer's group and custom types, …).
CREATE TABLE resource_references (
  project   TEXT NOT NULL,
  from_type TEXT NOT NULL,
  from_id   TEXT NOT NULL,
  to_type   TEXT NOT NULL,
  to_id     TEXT NOT NULL,
  PRIMARY KEY (project, from_type, from_id, to_type, to_id)
);
CREATE INDEX resource_references_to ON resource_references (project, to_type, to_id);

-- INSERT INTO reference_guards (ok) SELECT COUNT(*) FROM <table> WHERE project = ? AND id = ?
CREATE TABLE reference_guards (ok INTEGER NOT NULL);
CREATE TRIGGER reference_guard BEFORE INSERT ON reference_guards
BEGIN
  SELECT RAISE(ABORT, 'reference_missing') WHERE NEW.ok <> 1;
  SELECT RAISE(IGNORE);
END;

-- INSERT INTO usage_guards (ok) SELECT COUNT(*) = 0 FROM resource_references WHERE …
CREATE TABLE usage_guards (ok INTEGER NOT NULL);
CREATE TRIGGER usage_guard BEFORE INSERT ON usage_guards
BEGIN
  SELECT RAISE(ABORT, 'reference_exists') WHERE NEW.ok <> 1;
  SELECT RAISE(IGNORE);
END;

-- INSERT INTO limit_guards (ok) SELECT COUNT(*) < <max> FROM <table> WHERE project = ?
CREATE TABLE limit_guards (ok INTEGER NOT NULL);
CREATE TRIGGER limit_guard BEFORE INSERT ON limit_guards
BEGIN
  SELECT RAISE(ABORT, 'limit_reached') WHERE NEW.ok <> 1;
  SELECT RAISE(IGNORE);
END;
