-- Columns for the fields customer queries filter and sort on most, so they are answered from
-- indexes instead of the JSON document. Existing rows are filled from their documents.

ALTER TABLE customers ADD COLUMN first_name TEXT;
ALTER TABLE customers ADD COLUMN last_name TEXT;
ALTER TABLE customers ADD COLUMN company_name TEXT;
ALTER TABLE customers ADD COLUMN is_email_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN customer_group_id TEXT;

UPDATE customers SET
  first_name = json_extract(doc, '$.firstName'),
  last_name = json_extract(doc, '$.lastName'),
  company_name = json_extract(doc, '$.companyName'),
  is_email_verified = COALESCE(json_extract(doc, '$.isEmailVerified'), 0),
  customer_group_id = json_extract(doc, '$.customerGroup.id');

CREATE INDEX customers_email ON customers (project, email);
CREATE INDEX customers_first_name ON customers (project, first_name);
CREATE INDEX customers_last_name ON customers (project, last_name);
CREATE INDEX customers_company_name ON customers (project, company_name);
CREATE INDEX customers_is_email_verified ON customers (project, is_email_verified);
CREATE INDEX customers_customer_group_id ON customers (project, customer_group_id);

-- Sorting by time pages through (column, id): the id breaks ties, so the index serves the
-- whole ORDER BY.
DROP INDEX customers_created_at;
DROP INDEX customers_last_modified_at;
CREATE INDEX customers_created_at ON customers (project, created_at, id);
CREATE INDEX customers_last_modified_at ON customers (project, last_modified_at, id);
