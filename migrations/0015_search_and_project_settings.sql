-- Search: when each index last served a search (`last_used_at`), so the scheduled handler can
-- switch off an index no search used for 30 days (as commercetools does). An index active
-- before this migration counts as used when it was last changed.
ALTER TABLE search_indexes ADD COLUMN last_used_at TEXT;
UPDATE search_indexes SET last_used_at = last_modified_at WHERE activated = 1;

-- Business Unit Search: a unit's inherited stores (`storeMode` FromParent: the stores of the
-- nearest ancestor with stores; at most four ancestors, as a tree has five levels) are indexed
-- as `inheritedStores.key`, so a store-scoped token finds the units that inherit its store.
-- The write path re-derives the rows of a unit's descendants whenever its stores, store mode
-- or place in the tree change. At most 5 terms per compound SELECT (D1): the store rows are
-- one nested compound.
DROP VIEW business_unit_search_values;
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
UNION ALL SELECT * FROM (
  SELECT b.project, b.id, 'stores.key', s.value, NULL FROM business_units b, json_each(b.stores) s
  UNION ALL SELECT b.project, b.id, 'inheritedStores.key', s.value, NULL
    FROM business_units b
    LEFT JOIN business_units p1 ON p1.project = b.project AND p1.key = b.parent_key
    LEFT JOIN business_units p2 ON p2.project = b.project AND p2.key = p1.parent_key
    LEFT JOIN business_units p3 ON p3.project = b.project AND p3.key = p2.parent_key
    LEFT JOIN business_units p4 ON p4.project = b.project AND p4.key = p3.parent_key,
    json_each(CASE
      WHEN json_array_length(p1.stores) > 0 THEN p1.stores
      WHEN json_array_length(p2.stores) > 0 THEN p2.stores
      WHEN json_array_length(p3.stores) > 0 THEN p3.stores
      WHEN json_array_length(p4.stores) > 0 THEN p4.stores
      ELSE '[]' END) s
    WHERE json_extract(b.doc, '$.storeMode') = 'FromParent'
)
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

-- The project's settings for business units created on /me (`Project.businessUnits`): the
-- status they get and the key of the associate role their creator gets (none: such a create
-- is refused).
ALTER TABLE projects ADD COLUMN my_business_unit_status TEXT NOT NULL DEFAULT 'Inactive';
ALTER TABLE projects ADD COLUMN my_business_unit_role TEXT;
