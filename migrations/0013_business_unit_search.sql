-- Business Unit Search: the business units' full-text table and the views that derive a unit's
-- index rows from its row (as 0011 does for customers). The shared tables of 0011
-- (search_indexes, search_docs, search_values, search_terms) hold units under the resource
-- 'business-unit'.

-- The units' text for fullText, fullTextPrefix and fuzzy (BM25 relevance). rowid = doc.
CREATE VIRTUAL TABLE business_unit_fts USING fts5(
  name, key, contact_email, addresses, custom,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- A unit's text columns, as business_unit_fts holds them.
CREATE VIEW business_unit_search_text AS
SELECT b.project AS project, b.id AS id,
  b.name AS name, b.key AS key, json_extract(b.doc, '$.contactEmail') AS contact_email,
  (SELECT group_concat(v.value, ' ') FROM json_each(b.doc, '$.addresses') a, json_each(a.value) v
    WHERE v.type = 'text' AND v.key NOT IN ('id', 'key')) AS addresses,
  (SELECT group_concat(t.value, ' ') FROM json_tree(b.doc, '$.custom.fields') t
    WHERE t.type = 'text') AS custom
FROM business_units b;

-- A unit's field values, as search_values holds them (field names as the API spells them).
-- At most 5 terms per compound SELECT: D1 allows no more.
CREATE VIEW business_unit_search_values (project, id, field, text, num) AS
SELECT b.project, b.id, json_extract(f.value, '$[0]'), json_extract(f.value, '$[1]'), NULL
  FROM business_units b, json_each(json_array(
    json_array('id', b.id), json_array('key', b.key), json_array('name', b.name),
    json_array('status', json_extract(b.doc, '$.status')),
    json_array('unitType', json_extract(b.doc, '$.unitType')),
    json_array('contactEmail', json_extract(b.doc, '$.contactEmail')),
    json_array('storeMode', json_extract(b.doc, '$.storeMode')),
    json_array('associateMode', json_extract(b.doc, '$.associateMode')),
    json_array('approvalRuleMode', json_extract(b.doc, '$.approvalRuleMode')),
    json_array('parentUnit.key', b.parent_key), json_array('topLevelUnit.key', b.top_level_key),
    json_array('createdAt', b.created_at), json_array('lastModifiedAt', b.last_modified_at)
  )) f
  WHERE json_extract(f.value, '$[1]') IS NOT NULL
UNION ALL SELECT b.project, b.id, 'stores.key', s.value, NULL FROM business_units b, json_each(b.stores) s
UNION ALL SELECT b.project, b.id, 'associates.customer.id',
  json_extract(a.value, '$.customer.id'), NULL
  FROM business_units b, json_each(b.doc, '$.associates') a
UNION ALL SELECT b.project, b.id, 'addresses.' || v.key, v.value, NULL
  FROM business_units b, json_each(b.doc, '$.addresses') a, json_each(a.value) v WHERE v.type = 'text'
UNION ALL SELECT b.project, b.id,
  'custom.' || substr(CASE WHEN typeof(t.key) = 'integer' THEN t.path ELSE t.fullkey END, 17),
  CASE WHEN t.type IN ('true', 'false') THEN t.type WHEN t.type = 'text' THEN t.value END,
  CASE WHEN t.type IN ('integer', 'real') THEN t.value END
  FROM business_units b, json_tree(b.doc, '$.custom.fields') t WHERE t.type NOT IN ('object', 'array');
