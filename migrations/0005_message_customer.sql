-- The customer each message concerns (its resource, or the customer a token message is for),
-- so a data-erasure delete removes every message about the customer.
ALTER TABLE messages ADD COLUMN customer_id TEXT;
UPDATE messages SET customer_id = CASE
  WHEN resource_type_id = 'customer' THEN resource_id
  ELSE json_extract(doc, '$.customerId')
END;
CREATE INDEX messages_customer ON messages (project, customer_id);
