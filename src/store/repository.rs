//! Reading versioned resources from D1, for any resource's [`Table`]: a representation by id
//! or key (sent as stored, not parsed), an id by key, the current version, query pages and
//! totals, and whether a predicate matches. Writes are built by `store::table` and run by
//! `Db::batch`.

use serde::Deserialize;

use super::d1::Db;
use super::query_sql::Compiled;
use super::sql::{Param, Statement};
use super::table::{select_by, Table};
use super::StoreError;

/// What a read endpoint needs: the stored representation (sent as is) and the stores the
/// resource belongs to (empty for a resource without stores, or a global one).
pub struct View {
    pub doc: String,
    pub stores: Vec<String>,
}

impl View {
    /// In-store endpoints see a resource of that store, or one with no stores at all.
    pub fn visible_in_store(&self, store: &str) -> bool {
        self.stores.is_empty() || self.stores.iter().any(|s| s == store)
    }
}

/// How a path names a resource.
pub enum Lookup<'a> {
    Id(&'a str),
    Key(&'a str),
}

/// The representation of a resource, without parsing it.
pub async fn view<T: Table>(
    db: &Db,
    project: &str,
    lookup: Lookup<'_>,
) -> Result<Option<View>, StoreError> {
    #[derive(Deserialize)]
    struct ViewRow {
        doc: String,
        stores: String,
    }
    let stores = T::STORES.unwrap_or("'[]'");
    let select = format!("doc, {stores} AS stores");
    let (column, value) = match lookup {
        Lookup::Id(id) => ("id", id),
        Lookup::Key(key) => ("key", key),
    };
    let row: Option<ViewRow> = db
        .first(&select_by(T::NAME, &select, column, project, value))
        .await?;
    row.map(|r| {
        let stores = serde_json::from_str(&r.stores)
            .map_err(|e| StoreError::Other(format!("corrupt stores column: {e}")))?;
        Ok(View { doc: r.doc, stores })
    })
    .transpose()
}

/// The id of the resource with `key`.
pub async fn id_by_key<T: Table>(
    db: &Db,
    project: &str,
    key: &str,
) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct IdRow {
        id: String,
    }
    let row: Option<IdRow> = db
        .first(&select_by(T::NAME, "id", "key", project, key))
        .await?;
    Ok(row.map(|r| r.id))
}

/// The current version of a resource, if it exists (to report a conflict).
pub async fn current_version<T: Table>(
    db: &Db,
    project: &str,
    id: &str,
) -> Result<Option<u64>, StoreError> {
    #[derive(Deserialize)]
    struct VersionRow {
        version: u64,
    }
    let statement = select_by(T::NAME, "version", "id", project, id);
    let row: Option<VersionRow> = db.first(&statement).await?;
    Ok(row.map(|r| r.version))
}

/// The highest message sequence number of a resource (0 if it has no messages).
pub async fn last_message_sequence_number(
    db: &Db,
    project: &str,
    id: &str,
) -> Result<u64, StoreError> {
    #[derive(Deserialize)]
    struct Last {
        last: u64,
    }
    let statement = Statement::new(
        "SELECT COALESCE(MAX(sequence_number), 0) AS last FROM messages WHERE project = ?1 AND resource_id = ?2",
        vec![Param::text(project), Param::text(id)],
    );
    let row: Option<Last> = db.first(&statement).await?;
    Ok(row.map_or(0, |r| r.last))
}

/// A page of representations (as stored) and, if asked for, the total.
pub async fn query(db: &Db, compiled: &Compiled) -> Result<(Vec<String>, Option<u64>), StoreError> {
    #[derive(Deserialize)]
    struct DocRow {
        doc: String,
    }
    #[derive(Deserialize)]
    struct TotalRow {
        total: u64,
    }
    let Some(total) = &compiled.total else {
        let rows: Vec<DocRow> = db.all(&compiled.page).await?;
        return Ok((rows.into_iter().map(|r| r.doc).collect(), None));
    };
    // One round trip for both.
    let results = db.batch(&[compiled.page.clone(), total.clone()]).await?;
    let (Some(page), Some(total)) = (results.first(), results.get(1)) else {
        return Err(StoreError::Other(
            "a query batch returned too few results".into(),
        ));
    };
    let rows: Vec<DocRow> = page.results()?;
    let total: Vec<TotalRow> = total.results()?;
    Ok((
        rows.into_iter().map(|r| r.doc).collect(),
        Some(total.first().map_or(0, |t| t.total)),
    ))
}

/// Whether the statement (`SELECT 1 … LIMIT 1`) finds a row.
pub async fn exists(db: &Db, statement: &Statement) -> Result<bool, StoreError> {
    #[derive(Deserialize)]
    struct Found {
        #[allow(dead_code)]
        found: u64,
    }
    let found: Option<Found> = db.first(statement).await?;
    Ok(found.is_some())
}

/// The type of one resource that refers to resource `to_id` of `to_type`, if any does.
pub async fn referrer(
    db: &Db,
    project: &str,
    to_type: &str,
    to_id: &str,
) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct From {
        from_type: String,
    }
    let statement = Statement::new(
        "SELECT from_type FROM resource_references WHERE project = ?1 AND to_type = ?2 AND to_id = ?3 LIMIT 1",
        vec![Param::text(project), Param::text(to_type), Param::text(to_id)],
    );
    let found: Option<From> = db.first(&statement).await?;
    Ok(found.map(|f| f.from_type))
}

/// The tables of the resources references may point at, by `typeId` (what expansion reads).
const REFERENCEABLE: &[(&str, &str)] = &[
    ("customer", "customers"),
    ("customer-group", "customer_groups"),
    ("type", "types"),
];

/// The representations of the referenced resources (`typeId`, id) that exist, parsed.
pub async fn objects(
    db: &Db,
    project: &str,
    wanted: &[(String, String)],
) -> Result<Vec<(String, String, serde_json::Value)>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        doc: String,
    }
    let mut statements = Vec::new();
    let mut kinds = Vec::new();
    for (type_id, table) in REFERENCEABLE {
        let ids: Vec<&str> = wanted
            .iter()
            .filter(|(t, _)| t == type_id)
            .map(|(_, id)| id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let ids = serde_json::to_string(&ids).unwrap_or_default();
        statements.push(Statement::new(
            format!("SELECT id, doc FROM {table} WHERE project = ?1 AND id IN (SELECT value FROM json_each(?2))"),
            vec![Param::text(project), Param::Text(ids)],
        ));
        kinds.push(*type_id);
    }
    if statements.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (type_id, result) in kinds.iter().zip(db.batch(&statements).await?) {
        for row in result.results::<Row>()? {
            if let Ok(doc) = serde_json::from_str(&row.doc) {
                found.push((type_id.to_string(), row.id, doc));
            }
        }
    }
    Ok(found)
}
