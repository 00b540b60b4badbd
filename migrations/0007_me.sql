-- The anonymous session a customer signed up from (`/me/signup` with an anonymous token, or a
-- CustomerDraft's `anonymousId`): at most one customer per anonymous id and project. Removed
-- with the customer.
CREATE TABLE customer_anonymous_ids (
  project      TEXT NOT NULL,
  anonymous_id TEXT NOT NULL,
  customer_id  TEXT NOT NULL,
  PRIMARY KEY (project, anonymous_id)
);
CREATE INDEX customer_anonymous_ids_customer ON customer_anonymous_ids (project, customer_id);
