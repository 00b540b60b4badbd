//! The orphan sweep (customers over several databases, `docs/scale.md`): a write whose Worker
//! died between its catalog part and its shard part leaves catalog rows (a stub, email
//! claims, references) that no shard row matches, and its record in
//! `customer_pending_writes`. Run from the scheduled handler, the sweep takes the oldest
//! records older than `shards::ORPHAN_AGE_MS` (at most `shards::SWEEP_BATCH` a run) and makes
//! the catalog agree with the shard (`shards::repair`: the rule is there).

use worker::Env;

use super::customers::{self, Loaded};
use super::d1::Db;
use super::shards::{self, Repair};
use super::StoreError;

/// One abandoned write's record.
#[derive(serde::Deserialize)]
struct Pending {
    project: String,
    id: String,
    started_at: i64,
}

/// What one run did: orphans removed, catalogs rebuilt from their shard, records skipped.
#[derive(Debug, Default)]
pub struct Swept {
    pub orphans: usize,
    pub rebuilt: usize,
    pub skipped: usize,
}

/// Repairs the writes abandoned before `now_ms - ORPHAN_AGE_MS` (nothing with one database).
pub async fn sweep(env: &Env, now_ms: i64) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    if !Db::is_sharded(env)? {
        return Ok(swept);
    }
    let catalog = Db::shared(env)?;
    let records: Vec<Pending> = catalog.all(&shards::abandoned(now_ms)).await?;
    for record in records {
        match repair_one(env, &catalog, &record).await {
            Ok(Repair::Orphan) => swept.orphans += 1,
            Ok(Repair::Rebuild) => swept.rebuilt += 1,
            Err(e) => {
                swept.skipped += 1;
                worker::console_error!(
                    "orphan sweep: customer {} of {} not repaired: {e}",
                    record.id,
                    record.project
                );
            }
        }
    }
    Ok(swept)
}

/// Reads the customer's shard row and writes the repair to the catalog. A version conflict
/// means a live write of the customer replaced the record meanwhile (it stands for itself).
async fn repair_one(env: &Env, catalog: &Db, record: &Pending) -> Result<Repair, StoreError> {
    let shard = Db::for_customer(env, &record.project, &record.id)?;
    let row = match customers::load(&shard, &record.project, &record.id).await? {
        None => None,
        Some(Loaded::Readable(row)) => Some(row),
        Some(Loaded::Unreadable(_)) => {
            return Err(StoreError::Other(
                "its shard row's document cannot be read".into(),
            ))
        }
    };
    let batch = shards::repair(&record.project, &record.id, record.started_at, row.as_ref());
    catalog.batch(&batch).await?;
    Ok(shards::repair_of(row.as_ref()))
}
