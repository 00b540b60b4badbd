-- Customer Search (and, later, Business Unit Search): the project resource's version, the state
-- of each search index, and the index itself, kept in D1 beside the resources.
--
-- The index rows of a resource are derived in SQL from its table row (the views below), so
-- the write path (in the same batch as the resource's write) and the index builder (activation)
-- share one definition and always read the row as it is at that moment in the transaction.

-- The project resource: its version rises with every project update.
CREATE TABLE projects (
  project          TEXT    NOT NULL PRIMARY KEY,
  version          INTEGER NOT NULL,
  created_at       TEXT    NOT NULL,
  last_modified_at TEXT    NOT NULL
);

-- One row per (project, searchable resource) once its search was ever switched on or off.
-- `activated` = 1: writes keep the index current; `status`: Scheduled | Indexing | Ready |
-- Failed (the indexing status) or Deactivated. `generation` counts activations: a builder of
-- an older activation stops. `cursor`: the last resource id the builder indexed.
CREATE TABLE search_indexes (
  project          TEXT    NOT NULL,
  resource         TEXT    NOT NULL,
  activated        INTEGER NOT NULL,
  status           TEXT    NOT NULL,
  generation       INTEGER NOT NULL DEFAULT 0,
  indexed          INTEGER NOT NULL DEFAULT 0,
  failed           INTEGER NOT NULL DEFAULT 0,
  estimated_total  INTEGER NOT NULL DEFAULT 0,
  cursor           TEXT    NOT NULL DEFAULT '',
  retry_count      INTEGER,
  started_at       TEXT,
  last_modified_at TEXT    NOT NULL,
  PRIMARY KEY (project, resource)
);

-- One row per indexed resource: its document number (the FTS rowid) and who it is.
CREATE TABLE search_docs (
  doc      INTEGER PRIMARY KEY,
  project  TEXT NOT NULL,
  resource TEXT NOT NULL,
  id       TEXT NOT NULL,
  UNIQUE (project, resource, id)
);

-- Field values for exact, prefix, wildcard, range, exists and sort: one row per value (a set
-- field has one per element). Text in `text` (and `lower`), numbers in `num`.
CREATE TABLE search_values (
  doc     INTEGER NOT NULL,
  project TEXT    NOT NULL,
  field   TEXT    NOT NULL,
  text    TEXT,
  lower   TEXT,
  num     REAL
);
CREATE INDEX search_values_doc ON search_values (doc, field);
CREATE INDEX search_values_lower ON search_values (project, field, lower);
CREATE INDEX search_values_num ON search_values (project, field, num) WHERE num IS NOT NULL;

-- The customers' text for fullText, fullTextPrefix and fuzzy (BM25 relevance). rowid = doc.
CREATE VIRTUAL TABLE customer_fts USING fts5(
  email, first_name, last_name, middle_name, full_name, company_name, customer_number,
  external_id, key, vat_id, addresses, custom,
  tokenize = 'unicode61 remove_diacritics 2'
);
-- Its terms, for fuzzy matching.
CREATE VIRTUAL TABLE customer_fts_terms USING fts5vocab(customer_fts, 'row');

-- Every term ever indexed, by length: the candidates of fuzzy matching (a superset: terms of
-- deleted or changed resources stay, and only cost a candidate that matches nothing).
CREATE TABLE search_terms (
  resource TEXT    NOT NULL,
  len      INTEGER NOT NULL,
  term     TEXT    NOT NULL,
  PRIMARY KEY (resource, len, term)
) WITHOUT ROWID;

-- A customer's text columns, as customer_fts holds them.
CREATE VIEW customer_search_text AS
SELECT c.project AS project, c.id AS id,
  c.email AS email, c.first_name AS first_name, c.last_name AS last_name,
  json_extract(c.doc, '$.middleName') AS middle_name,
  trim(replace(coalesce(c.first_name, '') || ' ' || coalesce(json_extract(c.doc, '$.middleName'), '')
    || ' ' || coalesce(c.last_name, ''), '  ', ' ')) AS full_name,
  c.company_name AS company_name, c.customer_number AS customer_number,
  c.external_id AS external_id, c.key AS key, json_extract(c.doc, '$.vatId') AS vat_id,
  (SELECT group_concat(v.value, ' ') FROM json_each(c.doc, '$.addresses') a, json_each(a.value) v
    WHERE v.type = 'text' AND v.key NOT IN ('id', 'key')) AS addresses,
  (SELECT group_concat(t.value, ' ') FROM json_tree(c.doc, '$.custom.fields') t
    WHERE t.type = 'text') AS custom
FROM customers c;

-- A customer's field values, as search_values holds them (field names as the API spells them).
-- At most 5 terms per compound SELECT: D1 allows no more.
CREATE VIEW customer_search_values (project, id, field, text, num) AS
SELECT c.project, c.id, json_extract(f.value, '$[0]'), json_extract(f.value, '$[1]'), NULL
  FROM customers c, json_each(json_array(
    json_array('id', c.id), json_array('email', c.email), json_array('firstName', c.first_name),
    json_array('lastName', c.last_name), json_array('companyName', c.company_name),
    json_array('key', c.key), json_array('customerNumber', c.customer_number),
    json_array('externalId', c.external_id),
    json_array('isEmailVerified', CASE c.is_email_verified WHEN 1 THEN 'true' ELSE 'false' END),
    json_array('createdAt', c.created_at), json_array('lastModifiedAt', c.last_modified_at),
    json_array('customerGroup.id', c.customer_group_id),
    json_array('middleName', json_extract(c.doc, '$.middleName')),
    json_array('vatId', json_extract(c.doc, '$.vatId')),
    json_array('title', json_extract(c.doc, '$.title')),
    json_array('salutation', json_extract(c.doc, '$.salutation')),
    json_array('dateOfBirth', json_extract(c.doc, '$.dateOfBirth')),
    json_array('locale', json_extract(c.doc, '$.locale')),
    json_array('authenticationMode', json_extract(c.doc, '$.authenticationMode')),
    json_array('fullName', nullif(trim(replace(coalesce(c.first_name, '') || ' '
      || coalesce(json_extract(c.doc, '$.middleName'), '') || ' ' || coalesce(c.last_name, ''),
      '  ', ' ')), ''))
  )) f
  WHERE json_extract(f.value, '$[1]') IS NOT NULL
UNION ALL SELECT c.project, c.id, 'stores.key', s.value, NULL FROM customers c, json_each(c.stores) s
UNION ALL SELECT c.project, c.id, 'customerGroupAssignments.customerGroup.id',
  json_extract(g.value, '$.customerGroup.id'), NULL
  FROM customers c, json_each(c.doc, '$.customerGroupAssignments') g
UNION ALL SELECT c.project, c.id, 'addresses.' || v.key, v.value, NULL
  FROM customers c, json_each(c.doc, '$.addresses') a, json_each(a.value) v WHERE v.type = 'text'
UNION ALL SELECT c.project, c.id,
  'custom.' || substr(CASE WHEN typeof(t.key) = 'integer' THEN t.path ELSE t.fullkey END, 17),
  CASE WHEN t.type IN ('true', 'false') THEN t.type WHEN t.type = 'text' THEN t.value END,
  CASE WHEN t.type IN ('integer', 'real') THEN t.value END
  FROM customers c, json_tree(c.doc, '$.custom.fields') t WHERE t.type NOT IN ('object', 'array');
