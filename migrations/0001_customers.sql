-- Customers, their email claims, and their messages.
-- Every row carries the project key: one deployment serves many projects.

-- One row per customer: `doc` is the API representation (password already masked); the other
-- columns are what is looked up, sorted on or must be unique.
CREATE TABLE customers (
  project          TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  key              TEXT,
  customer_number  TEXT,
  external_id      TEXT,
  email            TEXT    NOT NULL,
  lowercase_email  TEXT    NOT NULL,
  stores           TEXT    NOT NULL, -- JSON array of store keys; '[]' for a global customer
  created_at       TEXT    NOT NULL,
  last_modified_at TEXT    NOT NULL,
  password_hash    TEXT,
  doc              TEXT    NOT NULL,
  PRIMARY KEY (project, id),
  UNIQUE (project, key),
  UNIQUE (project, customer_number)
);
CREATE INDEX customers_lowercase_email ON customers (project, lowercase_email);
CREATE INDEX customers_external_id ON customers (project, external_id);
CREATE INDEX customers_created_at ON customers (project, created_at);
CREATE INDEX customers_last_modified_at ON customers (project, last_modified_at);

-- Email uniqueness, case-insensitive. A global customer claims (email, store '');
-- a store customer claims (email, store) for each of its stores.
-- The primary key forbids two claims in one scope; the trigger forbids a global claim beside
-- any other claim of the email (a global email cannot be reused in a store, or the reverse).
CREATE TABLE customer_emails (
  project         TEXT NOT NULL,
  lowercase_email TEXT NOT NULL,
  store           TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  PRIMARY KEY (project, lowercase_email, store)
);
CREATE INDEX customer_emails_customer ON customer_emails (project, customer_id);

CREATE TRIGGER customer_emails_global_or_store
BEFORE INSERT ON customer_emails
WHEN EXISTS (
  SELECT 1 FROM customer_emails AS e
  WHERE e.project = NEW.project
    AND e.lowercase_email = NEW.lowercase_email
    AND e.customer_id <> NEW.customer_id
    AND (e.store = '' OR NEW.store = '')
)
BEGIN
  SELECT RAISE(ABORT, 'duplicate_email');
END;

-- A write batch starts with an insert here: the trigger aborts the whole batch unless the
-- customer still has the expected version, and otherwise drops the row (the table stays empty).
CREATE TABLE customer_version_checks (
  project TEXT    NOT NULL,
  id      TEXT    NOT NULL,
  version INTEGER NOT NULL
);

CREATE TRIGGER customer_version_check
BEFORE INSERT ON customer_version_checks
BEGIN
  SELECT RAISE(ABORT, 'version_conflict')
  WHERE NOT EXISTS (
    SELECT 1 FROM customers
    WHERE project = NEW.project AND id = NEW.id AND version = NEW.version
  );
  SELECT RAISE(IGNORE);
END;

-- Messages: `doc` is the API representation.
CREATE TABLE messages (
  project          TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  resource_type_id TEXT    NOT NULL,
  resource_id      TEXT    NOT NULL,
  sequence_number  INTEGER NOT NULL,
  resource_version INTEGER NOT NULL,
  type             TEXT    NOT NULL,
  created_at       TEXT    NOT NULL,
  doc              TEXT    NOT NULL,
  PRIMARY KEY (project, id),
  UNIQUE (project, resource_id, sequence_number)
);
CREATE INDEX messages_created_at ON messages (project, created_at);
