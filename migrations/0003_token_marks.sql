-- From when on a customer's password and email tokens are valid (ms since the epoch): a token
-- created earlier is void (used, or invalidated by a newer token, a reset, a confirmation or
-- an email change). Kept with the customer in D1, where it is consistent; the tokens
-- themselves live in KV.
ALTER TABLE customers ADD COLUMN password_tokens_valid_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN email_tokens_valid_from INTEGER NOT NULL DEFAULT 0;
