-- B2B: associate roles (key unique per project; business units refer to them through
-- resource_references, which keeps a held role from being deleted).

CREATE TABLE associate_roles (
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
CREATE INDEX associate_roles_created ON associate_roles (project, created_at, id);
CREATE INDEX associate_roles_modified ON associate_roles (project, last_modified_at, id);
