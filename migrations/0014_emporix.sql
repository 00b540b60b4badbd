-- The Emporix dialect: the last customer number handed out per project. The Emporix id of a
-- customer is its customerNumber; a customer without one gets the next number of this counter
-- (at an Emporix signup, or on its first Emporix sign-in). Numbers start at 10000001.
CREATE TABLE emporix_customer_numbers (
  project TEXT PRIMARY KEY,
  last    INTEGER NOT NULL
);
