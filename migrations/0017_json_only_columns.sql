-- Columns for three customer fields that lived only in the JSON document, so `where` predicates
-- on them are answered from an index instead of a scan of the project's documents (a
-- `json_extract` per row). Each column holds exactly what `json_extract(doc, '$.field')` gives,
-- so every predicate and sort reads the same values as before. Existing rows are filled from
-- their documents.

ALTER TABLE customers ADD COLUMN middle_name TEXT;
ALTER TABLE customers ADD COLUMN vat_id TEXT;
ALTER TABLE customers ADD COLUMN date_of_birth TEXT;

UPDATE customers SET
  middle_name = json_extract(doc, '$.middleName'),
  vat_id = json_extract(doc, '$.vatId'),
  date_of_birth = json_extract(doc, '$.dateOfBirth');

CREATE INDEX customers_middle_name ON customers (project, middle_name);
CREATE INDEX customers_vat_id ON customers (project, vat_id);
CREATE INDEX customers_date_of_birth ON customers (project, date_of_birth);
