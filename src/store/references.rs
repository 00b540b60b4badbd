//! Loading the resources a write refers to (`domain::references::Wanted` → `Referenced`): the
//! custom types and customer groups it names by id or key, in one round trip.

use serde::Deserialize;

use super::d1::Db;
use super::sql::{Param, Statement};
use super::StoreError;
use crate::domain::custom_type::Type;
use crate::domain::references::{GroupRef, Referenced, Wanted};
use crate::domain::refs::ResourceIdentifier;

/// The ids and the keys among `identifiers`, each as one JSON-array parameter.
fn ids_and_keys(identifiers: &[ResourceIdentifier]) -> (Param, Param) {
    let ids: Vec<&str> = identifiers.iter().filter_map(|i| i.id.as_deref()).collect();
    let keys: Vec<&str> = identifiers
        .iter()
        .filter_map(|i| i.key.as_deref())
        .collect();
    let json = |values: Vec<&str>| Param::Text(serde_json::to_string(&values).unwrap_or_default());
    (json(ids), json(keys))
}

/// `SELECT {select} FROM {table}` of the rows `identifiers` name.
fn lookup(
    table: &str,
    select: &str,
    project: &str,
    identifiers: &[ResourceIdentifier],
) -> Statement {
    let (ids, keys) = ids_and_keys(identifiers);
    Statement::new(
        format!(
            "SELECT {select} FROM {table} WHERE project = ?1 AND (id IN (SELECT value FROM json_each(?2)) OR key IN (SELECT value FROM json_each(?3)))"
        ),
        vec![Param::text(project), ids, keys],
    )
}

/// The wanted resources that exist.
pub async fn load(db: &Db, project: &str, wanted: &Wanted) -> Result<Referenced, StoreError> {
    #[derive(Deserialize)]
    struct Doc {
        doc: String,
    }
    #[derive(Deserialize)]
    struct Group {
        id: String,
        key: Option<String>,
    }
    let mut referenced = Referenced::default();
    if wanted.is_empty() {
        return Ok(referenced);
    }
    let statements = [
        lookup("types", "doc", project, &wanted.types),
        lookup("customer_groups", "id, key", project, &wanted.groups),
    ];
    let results = db.batch(&statements).await?;
    if let Some(types) = results.first() {
        for row in types.results::<Doc>()? {
            let parsed: Type = serde_json::from_str(&row.doc)
                .map_err(|e| StoreError::Other(format!("a stored type cannot be read: {e}")))?;
            referenced.types.push(parsed);
        }
    }
    if let Some(groups) = results.get(1) {
        referenced.groups = groups
            .results::<Group>()?
            .into_iter()
            .map(|g| GroupRef {
                id: g.id,
                key: g.key,
            })
            .collect();
    }
    Ok(referenced)
}
