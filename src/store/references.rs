//! Loading the resources a write refers to (`domain::references::Wanted` → `Referenced`): the
//! custom types, customer groups, customers, associate roles and business units (with their
//! ancestors) it names by id or key, in one round trip.

use serde::Deserialize;

use super::d1::Db;
use super::sql::{Param, Statement};
use super::StoreError;
use crate::domain::associate_role::AssociateRole;
use crate::domain::business_unit::BusinessUnit;
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

/// The business units `identifiers` name and all their ancestors (following `parent_key`).
pub fn units_with_ancestors(project: &str, identifiers: &[ResourceIdentifier]) -> Statement {
    let (ids, keys) = ids_and_keys(identifiers);
    Statement::new(
        "WITH RECURSIVE chain(doc, parent_key) AS ( \
           SELECT doc, parent_key FROM business_units WHERE project = ?1 AND (id IN (SELECT value FROM json_each(?2)) OR key IN (SELECT value FROM json_each(?3))) \
           UNION SELECT b.doc, b.parent_key FROM business_units b JOIN chain c ON b.project = ?1 AND b.key = c.parent_key \
         ) SELECT doc FROM chain",
        vec![Param::text(project), ids, keys],
    )
}

/// How many levels lie below each of the units `keys` (a cycle, which the writes prevent,
/// would stop at seven).
pub fn subtree_heights(project: &str, keys: &[String]) -> Statement {
    Statement::new(
        "WITH RECURSIVE down(root, key, n) AS ( \
           SELECT value, value, 0 FROM json_each(?2) \
           UNION ALL SELECT down.root, b.key, down.n + 1 FROM business_units b JOIN down ON b.project = ?1 AND b.parent_key = down.key WHERE down.n < 7 \
         ) SELECT root AS key, MAX(n) AS height FROM down GROUP BY root",
        vec![
            Param::text(project),
            Param::Text(serde_json::to_string(keys).unwrap_or_default()),
        ],
    )
}

#[derive(Deserialize)]
struct Height {
    key: String,
    height: usize,
}

#[derive(Deserialize)]
struct Doc {
    doc: String,
}

#[derive(Deserialize)]
struct IdKey {
    id: String,
    key: Option<String>,
}

/// The documents of a result, parsed.
fn docs<T: serde::de::DeserializeOwned>(
    result: Option<&worker::D1Result>,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    let Some(result) = result else {
        return Ok(Vec::new());
    };
    result
        .results::<Doc>()?
        .into_iter()
        .map(|row| {
            serde_json::from_str(&row.doc)
                .map_err(|e| StoreError::Other(format!("a stored {what} cannot be read: {e}")))
        })
        .collect()
}

/// Ids and keys of a result.
fn id_keys(result: Option<&worker::D1Result>) -> Result<Vec<GroupRef>, StoreError> {
    let Some(result) = result else {
        return Ok(Vec::new());
    };
    Ok(result
        .results::<IdKey>()?
        .into_iter()
        .map(|r| GroupRef {
            id: r.id,
            key: r.key,
        })
        .collect())
}

/// The wanted resources that exist.
pub async fn load(db: &Db, project: &str, wanted: &Wanted) -> Result<Referenced, StoreError> {
    if wanted.is_empty() {
        return Ok(Referenced::default());
    }
    let statements = [
        lookup("types", "doc", project, &wanted.types),
        lookup("customer_groups", "id, key", project, &wanted.groups),
        lookup("customers", "id, key", project, &wanted.customers),
        lookup("associate_roles", "doc", project, &wanted.roles),
        units_with_ancestors(project, &wanted.units),
        subtree_heights(project, &wanted.subtrees),
    ];
    let results = db.batch(&statements).await?;
    Ok(Referenced {
        types: docs::<Type>(results.first(), "type")?,
        groups: id_keys(results.get(1))?,
        customers: id_keys(results.get(2))?,
        roles: docs::<AssociateRole>(results.get(3), "associate role")?,
        units: docs::<BusinessUnit>(results.get(4), "business unit")?,
        subtree_heights: match results.get(5) {
            Some(result) => result
                .results::<Height>()?
                .into_iter()
                .map(|h| (h.key, h.height))
                .collect(),
            None => Vec::new(),
        },
    })
}
