-- Fuzzy matching: each indexed term's characters as bits (`mask`, as
-- `domain::search::text::char_mask` computes them: `a`–`z` bits 0–25, `0`–`9` bits 26–35, any
-- other character bit 36 + its code point mod 27), so the candidates of a fuzzy term are first
-- narrowed by integer arithmetic (a term within `level` edits of another lacks at most `level`
-- of its characters, and holds at most `level` characters it lacks) before any string function
-- runs. Every writer of `search_terms` sets it; the terms indexed before are computed here.
ALTER TABLE search_terms ADD COLUMN mask INTEGER NOT NULL DEFAULT 0;
UPDATE search_terms SET mask = (
  WITH RECURSIVE c(p, m) AS (
    SELECT 1, 0
    UNION ALL
    SELECT p + 1, m | (1 << CASE
      WHEN substr(term, p, 1) BETWEEN 'a' AND 'z' THEN unicode(substr(term, p, 1)) - 97
      WHEN substr(term, p, 1) BETWEEN '0' AND '9' THEN 26 + unicode(substr(term, p, 1)) - 48
      ELSE 36 + unicode(substr(term, p, 1)) % 27 END)
    FROM c WHERE p <= length(term)
  )
  SELECT max(m) FROM c
);
