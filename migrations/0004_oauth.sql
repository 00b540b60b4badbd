-- API clients made through the api-clients resource (the bootstrap clients come from the
-- configuration). The secret is kept as its SHA-256 only.
CREATE TABLE api_clients (
  project                        TEXT    NOT NULL,
  id                             TEXT    NOT NULL,
  name                           TEXT    NOT NULL,
  scope                          TEXT    NOT NULL, -- space-separated
  secret_sha256                  TEXT    NOT NULL,
  created_at_ms                  INTEGER NOT NULL,
  delete_at_ms                   INTEGER,
  access_token_validity_seconds  INTEGER,
  refresh_token_validity_seconds INTEGER,
  PRIMARY KEY (id)
);
CREATE INDEX api_clients_project ON api_clients (project, created_at_ms, id);

-- From when on a customer's OAuth sessions (password-flow access and refresh tokens) are valid:
-- a password reset voids the sessions begun before it.
ALTER TABLE customers ADD COLUMN sessions_valid_from INTEGER NOT NULL DEFAULT 0;
