//! Reads over several databases (customers spread over shards, `store::shards`): a query
//! asks every database in parallel for the ids and sort keys of its first `offset + limit`
//! rows (offset ≤ 10 000, limit ≤ 500, so at most 10 500 narrow rows each), merges them, and
//! reads the page's documents from the databases holding them; `withTotal` adds the
//! databases' capped counts. HEAD, a message by id and expansion ask every database too.
//! While re-balancing the shards asked are the old and the new ones; a customer found in two
//! (between its copy and its delete) is kept once (`shards::merge`).

use futures_util::future::try_join_all;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::d1::{layout, Db, Sessions};
use super::query_sql::Scattered;
use super::repository;
use super::shards::{self, Ranked};
use super::sql::{Param, Statement};
use super::StoreError;
use crate::domain::query::MAX_FILTERED_TOTAL;

/// A page (documents in query order) and, if asked for, the total, over `dbs`.
pub async fn query(
    dbs: &[Db],
    (project, table): (&str, &str),
    scattered: &Scattered,
    (offset, limit): (u32, u32),
) -> Result<(Vec<String>, Option<u64>), StoreError> {
    let answers = try_join_all(
        dbs.iter()
            .enumerate()
            .map(|(i, db)| ranked(db, i, scattered)),
    )
    .await?;
    let mut totals = Vec::new();
    let mut lists = Vec::new();
    for (rows, total) in answers {
        lists.push(rows);
        totals.extend(total);
    }
    let page = shards::merge(
        lists,
        &scattered.descending,
        offset as usize,
        limit as usize,
    );
    let docs = documents(dbs, project, table, &page).await?;
    let total = scattered.total.as_ref().map(|t| {
        let sum: u64 = totals.iter().sum();
        let capped = t.sql.contains("LIMIT");
        if capped {
            sum.min(u64::from(MAX_FILTERED_TOTAL))
        } else {
            sum
        }
    });
    Ok((docs, total))
}

/// One database's ids and sort keys, and its count if asked for.
async fn ranked(
    db: &Db,
    shard: usize,
    scattered: &Scattered,
) -> Result<(Vec<Ranked>, Option<u64>), StoreError> {
    #[derive(Deserialize)]
    struct TotalRow {
        total: u64,
    }
    let mut statements = vec![scattered.ranked.clone()];
    statements.extend(scattered.total.clone());
    let results = db.batch(&statements).await?;
    let rows: Vec<Map<String, Value>> = match results.first() {
        Some(r) => r.results()?,
        None => Vec::new(),
    };
    let total = match results.get(1) {
        Some(r) => Some(r.results::<TotalRow>()?.first().map_or(0, |t| t.total)),
        None => None,
    };
    let keys = scattered.descending.len();
    let ranked = rows
        .into_iter()
        .map(|row| Ranked {
            shard,
            id: row
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            keys: (0..keys)
                .map(|i| row.get(&format!("s{i}")).cloned().unwrap_or(Value::Null))
                .collect(),
        })
        .collect();
    Ok((ranked, total))
}

/// The documents of `page`, read from the databases that ranked them, in page order.
async fn documents(
    dbs: &[Db],
    project: &str,
    table: &str,
    page: &[Ranked],
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        doc: String,
    }
    let reads = dbs.iter().enumerate().map(|(i, db)| {
        let ids: Vec<&str> = page
            .iter()
            .filter(|r| r.shard == i)
            .map(|r| r.id.as_str())
            .collect();
        async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let statement = Statement::new(
                format!(
                    "SELECT id, doc FROM {table} WHERE project = ?1 AND id IN (SELECT value FROM json_each(?2))"
                ),
                vec![
                    Param::text(project),
                    Param::Text(serde_json::to_string(&ids).unwrap_or_default()),
                ],
            );
            db.all::<Row>(&statement).await
        }
    });
    let mut found: Vec<Row> = try_join_all(reads).await?.into_iter().flatten().collect();
    // Re-balancing: a row ranked in its old owner may have been moved meanwhile (copied
    // before it was deleted): looked up in every database.
    let missing: Vec<&str> = page
        .iter()
        .filter(|r| !found.iter().any(|f| f.id == r.id))
        .map(|r| r.id.as_str())
        .collect();
    if !missing.is_empty() && dbs.len() > 1 {
        let statement = Statement::new(
            format!("SELECT id, doc FROM {table} WHERE project = ?1 AND id IN (SELECT value FROM json_each(?2))"),
            vec![
                Param::text(project),
                Param::Text(serde_json::to_string(&missing).unwrap_or_default()),
            ],
        );
        let again = try_join_all(dbs.iter().map(|db| db.all::<Row>(&statement))).await?;
        found.extend(again.into_iter().flatten());
    }
    Ok(page
        .iter()
        .filter_map(|r| found.iter().find(|f| f.id == r.id).map(|f| f.doc.clone()))
        .collect())
}

/// Whether the statement (`SELECT 1 … LIMIT 1`) finds a row in any of `dbs`.
pub async fn exists(dbs: &[Db], statement: &Statement) -> Result<bool, StoreError> {
    let found = try_join_all(dbs.iter().map(|db| repository::exists(db, statement))).await?;
    Ok(found.into_iter().any(|f| f))
}

/// The first row any of `dbs` answers.
pub async fn first<T: serde::de::DeserializeOwned>(
    dbs: &[Db],
    statement: &Statement,
) -> Result<Option<T>, StoreError> {
    let rows = try_join_all(dbs.iter().map(|db| db.first::<T>(statement))).await?;
    Ok(rows.into_iter().flatten().next())
}

/// The referenced resources that exist (as `repository::objects`), customers read from their
/// shards (one statement per shard).
pub async fn objects(
    dbs: &Sessions,
    project: &str,
    wanted: &[(String, String)],
) -> Result<Vec<(String, String, Value)>, StoreError> {
    let catalog = dbs.for_project(project)?;
    if !dbs.is_sharded()? {
        return repository::objects(&catalog, project, wanted).await;
    }
    let (customers, others): (Vec<_>, Vec<_>) =
        wanted.iter().cloned().partition(|(t, _)| t == "customer");
    let layout = layout(dbs.env())?;
    if layout.is_rebalancing() {
        return rebalancing_objects(dbs, project, &customers, &others).await;
    }
    let mut by_shard: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (type_id, id) in customers {
        let shard = layout.shard_of(&id).to_string();
        match by_shard.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, list)) => list.push((type_id, id)),
            None => by_shard.push((shard, vec![(type_id, id)])),
        }
    }
    let reads = by_shard.iter().map(|(_, list)| async move {
        let db = dbs.for_customer(project, &list[0].1)?;
        repository::objects(&db, project, list).await
    });
    let mut found = repository::objects(&catalog, project, &others).await?;
    found.extend(try_join_all(reads).await?.into_iter().flatten());
    Ok(found)
}

/// [`objects`] while re-balancing: customers asked of every shard (old and new), each
/// found kept once.
async fn rebalancing_objects(
    dbs: &Sessions,
    project: &str,
    customers: &[(String, String)],
    others: &[(String, String)],
) -> Result<Vec<(String, String, Value)>, StoreError> {
    let shards = dbs.customer_shards(project)?;
    let reads = shards
        .iter()
        .map(|db| repository::objects(db, project, customers));
    let mut found = repository::objects(&dbs.for_project(project)?, project, others).await?;
    for (type_id, id, value) in try_join_all(reads).await?.into_iter().flatten() {
        if !found.iter().any(|(t, i, _)| *t == type_id && *i == id) {
            found.push((type_id, id, value));
        }
    }
    Ok(found)
}
