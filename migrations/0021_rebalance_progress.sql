-- Re-balancing (docs/scale.md, **Re-balancing**; `store::rebalance`): while
-- `CUSTOMER_DATABASES_NEXT` names a new shard list, `POST /_rebalance` walks each current shard
-- that gives buckets away (a *source*) in (project, id) order and moves the customers whose
-- bucket changes owner. One row per (plan, source), in the catalog: `plan` names the change
-- ("CUSTOMERS_1 CUSTOMERS_2 -> CUSTOMERS_1 CUSTOMERS_2 CUSTOMERS_3 CUSTOMERS_4"), so a later
-- change starts afresh. `state`: walking (every page up to the cursor is copied and deleted),
-- copied (the page after the cursor is copied into its new owners, its delete from the source
-- maybe not done: a re-run redoes it, both idempotent) or done (the whole source walked).
-- Written in the catalog only; every database gets every migration (one schema).
CREATE TABLE rebalance_progress (
  plan           TEXT    NOT NULL,
  source         TEXT    NOT NULL,
  state          TEXT    NOT NULL,
  cursor_project TEXT    NOT NULL DEFAULT '',
  cursor_id      TEXT    NOT NULL DEFAULT '',
  scanned        INTEGER NOT NULL DEFAULT 0, -- customers read from the source
  moved          INTEGER NOT NULL DEFAULT 0, -- customers moved out of it
  updated_at     INTEGER NOT NULL,           -- milliseconds since the epoch
  PRIMARY KEY (plan, source)
);
