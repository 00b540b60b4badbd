//! The re-balancing step, run (the rules are `store::rebalance`'s): up to `pages` pages of
//! the sources' walks per call, each page copied into the new owners (in batches of bounded
//! size), recorded `copied`, deleted from its source (from the catalog, when moving out of the
//! single database: replaced by stubs), recorded moved. Called by `POST /_rebalance`
//! (`http::handlers::rebalance`); docs/scale.md, **Re-balancing**.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::Env;

use super::d1::{layout, Db};
use super::rebalance::{self, Cursor, Progress};
use super::shards::{moves, Layout, CATALOG};
use super::{search, search_index, StoreError};

/// How one call of the step is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Pages per call.
    pub pages: u32,
    /// Customers read from a source per page.
    pub size: u32,
    /// Test only (`TEST_REBALANCE_STOP_AFTER_COPY`): stop after the first page's copy, as a
    /// Worker dying between a copy and its delete would.
    pub stop_after_copy: bool,
}

/// What a call answers: where the re-balancing stands.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub plan: String,
    pub buckets_moving: usize,
    /// Customers read and moved by this call.
    pub scanned: usize,
    pub moved: usize,
    pub pages: u32,
    pub sources: Vec<SourceReport>,
    /// Every source walked: deploy `CUSTOMER_DATABASES` = the new list, without NEXT.
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceReport {
    pub shard: String,
    pub state: String,
    pub scanned: i64,
    pub moved: i64,
}

/// One call of the step (the layout must be re-balancing).
pub async fn step(env: &Env, limits: Limits, now_ms: i64) -> Result<Report, StoreError> {
    let layout = layout(env)?;
    let catalog = Db::named(env, CATALOG)?;
    copy_search_states(env, &catalog).await?;
    let plan = layout.plan();
    let sources = rebalance::sources(&layout);
    let mut report = Report {
        plan: plan.clone(),
        buckets_moving: moves(&layout, &layout.target()).len(),
        scanned: 0,
        moved: 0,
        pages: 0,
        sources: Vec::new(),
        done: false,
        stopped: None,
    };
    while report.pages < limits.pages {
        let progress: Vec<Progress> = catalog.all(&rebalance::progress(&plan)).await?;
        let Some((source, cursor)) = rebalance::next_source(&sources, &progress) else {
            break;
        };
        let (scanned, moved) =
            move_page(env, (&catalog, &layout), (&source, &cursor), limits, now_ms).await?;
        report.pages += 1;
        report.scanned += scanned;
        report.moved += moved;
        if limits.stop_after_copy {
            report.stopped = Some("after a copy (TEST_REBALANCE_STOP_AFTER_COPY)".into());
            break;
        }
    }
    let progress: Vec<Progress> = catalog.all(&rebalance::progress(&plan)).await?;
    report.done = rebalance::next_source(&sources, &progress).is_none();
    report.sources = sources
        .iter()
        .map(|s| {
            let p = progress.iter().find(|p| p.source == *s);
            SourceReport {
                shard: s.clone(),
                state: p.map_or("waiting".into(), |p| p.state.clone()),
                scanned: p.map_or(0, |p| p.scanned),
                moved: p.map_or(0, |p| p.moved),
            }
        })
        .collect();
    Ok(report)
}

/// Gives every shard (the new ones included) its copy of each project's customer-search
/// state, so what is copied there is indexed exactly when the project's index is on.
async fn copy_search_states(env: &Env, catalog: &Db) -> Result<(), StoreError> {
    #[derive(Deserialize)]
    struct State {
        project: String,
    }
    let states: Vec<State> = catalog.all(&rebalance::search_states()).await?;
    for state in states {
        search::mirror(env, &state.project, search_index::CUSTOMERS.resource).await?;
    }
    Ok(())
}

/// Moves one page of `source` after `cursor`: (customers read, customers moved).
async fn move_page(
    env: &Env,
    (catalog, layout): (&Db, &Layout),
    (source, cursor): (&str, &Cursor),
    limits: Limits,
    now_ms: i64,
) -> Result<(usize, usize), StoreError> {
    let plan = layout.plan();
    let from = Db::named(env, source)?;
    let rows: Vec<Map<String, Value>> = from.all(&rebalance::page(cursor, limits.size)).await?;
    let groups = rebalance::moving(layout, source, &rows);
    for group in &groups {
        let messages: Vec<Map<String, Value>> =
            from.all(&rebalance::messages_of(source, group)).await?;
        let to = Db::named(env, &group.target)?;
        let copy = rebalance::copy_in(group, &messages);
        for batch in rebalance::batches(copy, rebalance::BATCH_BYTES) {
            to.batch(&batch).await?;
        }
    }
    if !groups.is_empty() {
        catalog
            .batch(&[rebalance::record_copied(&plan, source, cursor, now_ms)])
            .await?;
        if limits.stop_after_copy {
            return Ok((rows.len(), 0));
        }
        from.batch(&rebalance::delete_out(source, &groups)).await?;
    }
    let moved = groups.iter().map(|g| g.rows.len()).sum();
    let finished = rows.len() < limits.size as usize;
    let end = rebalance::end_of(&rows).unwrap_or_else(|| cursor.clone());
    catalog
        .batch(&[rebalance::record_moved(
            &plan,
            source,
            (&end, finished),
            (rows.len(), moved),
            now_ms,
        )])
        .await?;
    Ok((rows.len(), moved))
}
