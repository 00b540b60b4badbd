-- Fuzzy matching by exact lookups (symmetric delete): each indexed term's deletion keys, the
-- strings its first 10 characters become by deleting at most one character, or two when at
-- least 4 remain (`domain::search::text::index_keys`). A fuzzy term looks up its own keys
-- (`text::query_keys`; the proof that no term within the distance is missed is there) and
-- `search_terms` narrows and the Worker checks the terms found, instead of scanning every
-- indexed term of the right lengths. `kind`: 0 the customer index's terms, 1 the business
-- unit index's (`store::search_sql::term_kind`; 0 and 1 take no bytes in a record). Like
-- `search_terms`, a superset: rows stay when resources change or indexes are switched off.
-- Every writer of `search_terms` writes a term's keys first (only of a term not yet kept:
-- a kept term has its keys); the terms indexed before are given theirs here, in SQL.
CREATE TABLE search_term_keys (
  kind INTEGER NOT NULL,
  key  TEXT    NOT NULL,
  term TEXT    NOT NULL,
  PRIMARY KEY (kind, key, term)
) WITHOUT ROWID;

INSERT OR IGNORE INTO search_term_keys (kind, key, term)
WITH RECURSIVE p(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < 10),
t(kind, term, k) AS (
  SELECT CASE resource WHEN 'customer' THEN 0 WHEN 'business-unit' THEN 1 ELSE 2 END,
    term, substr(term, 1, 10)
  FROM search_terms
)
SELECT kind, k, term FROM t
UNION ALL
SELECT kind, substr(k, 1, p.i - 1) || substr(k, p.i + 1), term FROM t JOIN p ON p.i <= length(k)
UNION ALL
SELECT kind, substr(k, 1, a.i - 1) || substr(k, a.i + 1, b.i - a.i - 1) || substr(k, b.i + 1), term
  FROM t JOIN p a ON a.i <= length(k) JOIN p b ON b.i > a.i AND b.i <= length(k)
  WHERE length(k) >= 6;
