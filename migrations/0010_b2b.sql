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

-- Business units: key unique per project; the parent's key and the top-level unit's key as
-- columns (for queries and the tree), the unit's own store keys as a JSON array.
CREATE TABLE business_units (
  project          TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  key              TEXT    NOT NULL,
  name             TEXT    NOT NULL,
  parent_key       TEXT,
  top_level_key    TEXT    NOT NULL,
  stores           TEXT    NOT NULL,
  created_at       TEXT    NOT NULL,
  last_modified_at TEXT    NOT NULL,
  doc              TEXT    NOT NULL,
  PRIMARY KEY (project, id),
  UNIQUE (project, key)
);
CREATE INDEX business_units_parent ON business_units (project, parent_key, id);
CREATE INDEX business_units_top ON business_units (project, top_level_key, id);
CREATE INDEX business_units_name ON business_units (project, name, id);
CREATE INDEX business_units_created ON business_units (project, created_at, id);
CREATE INDEX business_units_modified ON business_units (project, last_modified_at, id);
