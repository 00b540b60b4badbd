//! The scheduled deletion of old messages: batch after batch of the oldest messages past the
//! retention, until a batch comes back short or the run has sent its share
//! (`domain::retention`).

use worker::Env;

use super::d1::Db;
use super::message_table::expired_batch;
use super::sql::Statement;
use super::StoreError;
use crate::domain::retention::{more_to_do, Retention, BATCH_SIZE};

/// Deletes the messages of every project that are older than `retention` at `now_ms`, in
/// bounded batches; returns how many were deleted.
pub async fn purge(env: &Env, retention: Retention, now_ms: i64) -> Result<usize, StoreError> {
    let statement = expired_batch(&retention.cutoff(now_ms), BATCH_SIZE);
    let mut deleted = 0;
    for db in Db::every(env)? {
        deleted += purge_one(&db, &statement).await?;
    }
    Ok(deleted)
}

async fn purge_one(db: &Db, statement: &Statement) -> Result<usize, StoreError> {
    let (mut deleted, mut batches) = (0, 0);
    loop {
        let changed = db.run(statement).await?;
        deleted += changed;
        batches += 1;
        if !more_to_do(changed, batches) {
            return Ok(deleted);
        }
    }
}
