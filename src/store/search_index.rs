//! The statements that keep a search index (pure): per write of a resource (in the
//! resource's own D1 batch, so a search never sees a stale row), per step of the index
//! builder, and on activation and deactivation. The index rows are derived in SQL from the
//! resource's row by the views of migration 0011 (`customer_search_text`,
//! `customer_search_values`), so the write path and the builder share one definition.

use super::sql::{Param, Statement};
use crate::domain::customer::Customer;
use crate::domain::search::text;

/// The customer columns of `customer_fts`, in order.
const FTS_COLUMNS: &str = "email, first_name, last_name, middle_name, full_name, company_name, \
     customer_number, external_id, key, vat_id, addresses, custom";

/// Whether the project's customer index is switched on (writes keep it).
const ACTIVE: &str = "EXISTS (SELECT 1 FROM search_indexes WHERE project = ?1 AND resource = 'customer' AND activated = 1)";

/// The documents of the customers `rows` selects (`?1` project, more from the caller).
fn docs_of(rows: &str) -> String {
    format!("SELECT doc FROM search_docs WHERE project = ?1 AND resource = 'customer' AND {rows}")
}

/// The index rows of the customers `rows` (a condition on `id`, over `params`) replaced by
/// what their rows hold now; `guard` (over `params` and then `extra`): when the document rows
/// may be made.
fn reindex(rows: &str, params: &[Param], (guard, extra): (&str, &[Param])) -> Vec<Statement> {
    let guarded: Vec<Param> = params.iter().chain(extra).cloned().collect();
    let docs = docs_of(rows);
    let s = |sql: String| Statement::new(sql, params.to_vec());
    let on = |alias: &str| {
        format!(
            "CROSS JOIN search_docs d ON d.project = {alias}.project AND d.resource = 'customer' AND d.id = {alias}.id WHERE {alias}.project = ?1 AND {}",
            rows.replace("id ", &format!("{alias}.id "))
        )
    };
    vec![
        s(format!("DELETE FROM customer_fts WHERE rowid IN ({docs})")),
        s(format!("DELETE FROM search_values WHERE doc IN ({docs})")),
        Statement::new(
            format!(
                "INSERT OR IGNORE INTO search_docs (project, resource, id) SELECT project, 'customer', id FROM customers WHERE project = ?1 AND {rows} AND {guard}"
            ),
            guarded,
        ),
        s(format!(
            "INSERT INTO customer_fts (rowid, {FTS_COLUMNS}) SELECT d.doc, {} FROM customer_search_text t {}",
            FTS_COLUMNS
                .split(", ")
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            on("t")
        )),
        s(format!(
            "INSERT INTO search_values (doc, project, field, text, lower, num) SELECT d.doc, v.project, v.field, v.text, lower(v.text), v.num FROM customer_search_values v {}",
            on("v")
        )),
    ]
}

/// What a write to a customer does to the index (after the customer's row is written, in
/// the same batch): re-derives its rows if the index is on, or removes them with the customer.
pub fn customer_write(project: &str, id: &str, after: Option<&Customer>) -> Vec<Statement> {
    let params = [Param::text(project), Param::text(id)];
    let Some(customer) = after else {
        let docs = docs_of("id = ?2");
        return vec![
            Statement::new(
                format!("DELETE FROM customer_fts WHERE rowid IN ({docs})"),
                params.to_vec(),
            ),
            Statement::new(
                format!("DELETE FROM search_values WHERE doc IN ({docs})"),
                params.to_vec(),
            ),
            Statement::new(
                "DELETE FROM search_docs WHERE project = ?1 AND resource = 'customer' AND id = ?2",
                params.to_vec(),
            ),
        ];
    };
    let mut statements = reindex("id = ?2", &params, (ACTIVE, &[]));
    statements.push(Statement::new(
        "INSERT OR IGNORE INTO search_terms (resource, len, term) SELECT 'customer', length(value), value FROM json_each(?3) \
         WHERE EXISTS (SELECT 1 FROM search_docs WHERE project = ?1 AND resource = 'customer' AND id = ?2)",
        vec![
            Param::text(project),
            Param::text(id),
            Param::Text(serde_json::Value::from(customer_terms(customer)).to_string()),
        ],
    ));
    statements
}

/// The terms of a customer's text (as `customer_search_text` holds it), for fuzzy matching.
pub fn customer_terms(c: &Customer) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(&c.to_json_string()).unwrap_or_default();
    let mut texts: Vec<String> = [
        "email",
        "firstName",
        "lastName",
        "middleName",
        "companyName",
        "customerNumber",
        "externalId",
        "key",
        "vatId",
    ]
    .iter()
    .filter_map(|f| doc.get(*f).and_then(|v| v.as_str()).map(str::to_string))
    .collect();
    for address in doc["addresses"].as_array().into_iter().flatten() {
        for (k, v) in address.as_object().into_iter().flatten() {
            if k != "id" && k != "key" {
                texts.extend(v.as_str().map(str::to_string));
            }
        }
    }
    collect_strings(&doc["custom"]["fields"], &mut texts);
    let mut terms: Vec<String> = texts.iter().flat_map(|t| text::terms(t)).collect();
    terms.sort();
    terms.dedup();
    terms
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The next customers the builder indexes: ids after `cursor`.
pub fn next_customers(project: &str, cursor: &str, batch: u32) -> Statement {
    Statement::new(
        "SELECT id FROM customers WHERE project = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        vec![
            Param::text(project),
            Param::text(cursor),
            Param::Int(i64::from(batch)),
        ],
    )
}

/// One builder step: the customers with ids in (`cursor`, `upto`] indexed, and the progress
/// counted — only while activation `generation` stands.
pub fn build_step(
    project: &str,
    generation: i64,
    (cursor, upto): (&str, &str),
    count: u64,
    now: &str,
) -> Vec<Statement> {
    let params = [Param::text(project), Param::text(cursor), Param::text(upto)];
    let guard = "EXISTS (SELECT 1 FROM search_indexes WHERE project = ?1 AND resource = 'customer' AND activated = 1 AND generation = ?4)";
    let mut statements = reindex(
        "id > ?2 AND id <= ?3",
        &params,
        (guard, &[Param::Int(generation)]),
    );
    statements.push(Statement::new(
        "UPDATE search_indexes SET status = 'Indexing', indexed = indexed + ?3, cursor = ?4, last_modified_at = ?5 \
         WHERE project = ?1 AND resource = 'customer' AND generation = ?2 AND activated = 1",
        vec![
            Param::text(project),
            Param::Int(generation),
            Param::uint(count),
            Param::text(upto),
            Param::text(now),
        ],
    ));
    statements
}

/// The end of a build: the index Ready.
pub fn build_done(project: &str, generation: i64, now: &str) -> Vec<Statement> {
    vec![Statement::new(
        "UPDATE search_indexes SET status = 'Ready', retry_count = NULL, last_modified_at = ?3 \
         WHERE project = ?1 AND resource = 'customer' AND generation = ?2 AND activated = 1",
        vec![
            Param::text(project),
            Param::Int(generation),
            Param::text(now),
        ],
    )]
}

/// The text of the customers with ids in (`cursor`, `upto`], one row each, as
/// `customer_fts` holds it: the builder takes its terms for fuzzy matching from it.
pub fn texts_between(project: &str, (cursor, upto): (&str, &str)) -> Statement {
    let text = FTS_COLUMNS
        .split(", ")
        .map(|c| format!("coalesce({c}, '')"))
        .collect::<Vec<_>>()
        .join(" || ' ' || ");
    Statement::new(
        format!(
            "SELECT {text} AS text FROM customer_search_text WHERE project = ?1 AND id > ?2 AND id <= ?3"
        ),
        vec![Param::text(project), Param::text(cursor), Param::text(upto)],
    )
}

/// Keeps `terms` as candidates of fuzzy matching.
pub fn remember_terms(terms: &[String]) -> Statement {
    Statement::new(
        "INSERT OR IGNORE INTO search_terms (resource, len, term) SELECT 'customer', length(value), value FROM json_each(?1)",
        vec![Param::Text(serde_json::Value::from(terms.to_vec()).to_string())],
    )
}

/// Activation: the index Scheduled for a new build (a new generation), every customer to do.
pub fn activate(project: &str, resource: &str, count_table: &str, now: &str) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO search_indexes (project, resource, activated, status, generation, indexed, failed, estimated_total, cursor, started_at, last_modified_at) \
             VALUES (?1, ?2, 1, 'Scheduled', 1, 0, 0, (SELECT COUNT(*) FROM {count_table} WHERE project = ?1), '', ?3, ?3) \
             ON CONFLICT (project, resource) DO UPDATE SET activated = 1, status = 'Scheduled', generation = generation + 1, \
             indexed = 0, failed = 0, estimated_total = excluded.estimated_total, cursor = '', retry_count = NULL, \
             started_at = excluded.started_at, last_modified_at = excluded.last_modified_at"
        ),
        vec![Param::text(project), Param::text(resource), Param::text(now)],
    )
}

/// Deactivation: the index switched off and emptied (a builder still running stops).
pub fn deactivate(project: &str, resource: &str, fts: &str, now: &str) -> Vec<Statement> {
    let p = || vec![Param::text(project), Param::text(resource)];
    let docs = "SELECT doc FROM search_docs WHERE project = ?1 AND resource = ?2";
    vec![
        Statement::new(
            "INSERT INTO search_indexes (project, resource, activated, status, last_modified_at) VALUES (?1, ?2, 0, 'Deactivated', ?3) \
             ON CONFLICT (project, resource) DO UPDATE SET activated = 0, status = 'Deactivated', generation = generation + 1, \
             last_modified_at = excluded.last_modified_at",
            vec![Param::text(project), Param::text(resource), Param::text(now)],
        ),
        Statement::new(format!("DELETE FROM {fts} WHERE rowid IN ({docs})"), p()),
        Statement::new(format!("DELETE FROM search_values WHERE doc IN ({docs})"), p()),
        Statement::new(
            "DELETE FROM search_docs WHERE project = ?1 AND resource = ?2",
            p(),
        ),
    ]
}
