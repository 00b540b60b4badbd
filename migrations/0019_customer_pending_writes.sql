-- With customers over several databases (docs/scale.md), a customer write whose catalog part
-- (stub row, claims, references) is written before its shard part records itself here in the
-- same catalog batch, and removes the row once the shard part is written (or the catalog part
-- undone). A row left behind names a write whose Worker died between the two parts; the
-- scheduled orphan sweep (`store::orphans`) repairs such a customer's catalog rows from its
-- shard once the row is older than `shards::ORPHAN_AGE_MS`. One database: never written.
CREATE TABLE customer_pending_writes (
  project    TEXT    NOT NULL,
  id         TEXT    NOT NULL,
  started_at INTEGER NOT NULL, -- milliseconds since the epoch, the write's clock
  PRIMARY KEY (project, id)
);
CREATE INDEX customer_pending_writes_started ON customer_pending_writes (started_at);
