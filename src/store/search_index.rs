//! The statements that keep a search index (pure): per write of a resource (in the
//! resource's own D1 batch, so a search never sees a stale row), per step of the index
//! builder, and on activation and deactivation. The index rows are derived in SQL from the
//! resource's row by the views of migrations 0011 and 0013 (`customer_search_text`,
//! `customer_search_values`, `business_unit_search_text`, `business_unit_search_values`), so
//! the write path and the builder share one definition.

use super::search_sql::term_kind;
use super::sql::{Param, Statement};
use crate::domain::business_unit::BusinessUnit;
use crate::domain::customer::Customer;
use crate::domain::search::text;

/// One indexed resource: its table, its full-text table and the views deriving its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Def {
    /// `search_indexes.resource` and `search_docs.resource`.
    pub resource: &'static str,
    /// The resource's table.
    pub table: &'static str,
    pub fts: &'static str,
    /// The columns of `fts`, in order.
    pub fts_columns: &'static str,
    pub text_view: &'static str,
    pub values_view: &'static str,
}

/// The customer index.
pub const CUSTOMERS: Def = Def {
    resource: "customer",
    table: "customers",
    fts: "customer_fts",
    fts_columns: "email, first_name, last_name, middle_name, full_name, company_name, \
     customer_number, external_id, key, vat_id, addresses, custom",
    text_view: "customer_search_text",
    values_view: "customer_search_values",
};

/// The business-unit index.
pub const BUSINESS_UNITS: Def = Def {
    resource: "business-unit",
    table: "business_units",
    fts: "business_unit_fts",
    fts_columns: "name, key, contact_email, addresses, custom",
    text_view: "business_unit_search_text",
    values_view: "business_unit_search_values",
};

impl Def {
    /// The definition of the index of `resource`.
    pub fn of(resource: &str) -> Option<Def> {
        [CUSTOMERS, BUSINESS_UNITS]
            .into_iter()
            .find(|d| d.resource == resource)
    }

    /// Whether the project's index is switched on (writes keep it).
    fn active(&self) -> String {
        format!(
            "EXISTS (SELECT 1 FROM search_indexes WHERE project = ?1 AND resource = '{}' AND activated = 1)",
            self.resource
        )
    }

    /// The documents of the resources `rows` selects (`?1` project, more from the caller;
    /// `{id}` in `rows` stands for the id column).
    fn docs_of(&self, rows: &str) -> String {
        format!(
            "SELECT doc FROM search_docs WHERE project = ?1 AND resource = '{}' AND {}",
            self.resource,
            rows.replace("{id}", "id")
        )
    }

    /// The index rows of the resources `rows` (a condition on `{id}`, over `params`) replaced
    /// by what their rows hold now; `guard` (over `params` and then `extra`): when the
    /// document rows may be made.
    fn reindex(
        &self,
        rows: &str,
        params: &[Param],
        (guard, extra): (&str, &[Param]),
    ) -> Vec<Statement> {
        let guarded: Vec<Param> = params.iter().chain(extra).cloned().collect();
        let docs = self.docs_of(rows);
        let s = |sql: String| Statement::new(sql, params.to_vec());
        let on = |alias: &str| {
            format!(
                "CROSS JOIN search_docs d ON d.project = {alias}.project AND d.resource = '{}' AND d.id = {alias}.id WHERE {alias}.project = ?1 AND {}",
                self.resource,
                rows.replace("{id}", &format!("{alias}.id"))
            )
        };
        let columns = self.fts_columns;
        vec![
            s(format!("DELETE FROM {} WHERE rowid IN ({docs})", self.fts)),
            s(format!("DELETE FROM search_values WHERE doc IN ({docs})")),
            Statement::new(
                format!(
                    "INSERT OR IGNORE INTO search_docs (project, resource, id) SELECT project, '{}', id FROM {} WHERE project = ?1 AND {} AND {guard}",
                    self.resource,
                    self.table,
                    rows.replace("{id}", "id")
                ),
                guarded,
            ),
            s(format!(
                "INSERT INTO {} (rowid, {columns}) SELECT d.doc, {} FROM {} t {}",
                self.fts,
                columns
                    .split(", ")
                    .map(|c| format!("t.{}", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.text_view,
                on("t")
            )),
            s(format!(
                "INSERT INTO search_values (doc, project, field, text, lower, num) SELECT d.doc, v.project, v.field, v.text, lower(v.text), v.num FROM {} v {}",
                self.values_view,
                on("v")
            )),
        ]
    }

    /// What a write to one resource does to the index (after its row is written, in the same
    /// batch): re-derives its rows if the index is on (and keeps `terms` for fuzzy
    /// matching), or removes them with the resource (`terms` is `None`).
    fn write(&self, project: &str, id: &str, terms: Option<Vec<String>>) -> Vec<Statement> {
        let params = [Param::text(project), Param::text(id)];
        let Some(terms) = terms else {
            let docs = self.docs_of("{id} = ?2");
            return vec![
                Statement::new(
                    format!("DELETE FROM {} WHERE rowid IN ({docs})", self.fts),
                    params.to_vec(),
                ),
                Statement::new(
                    format!("DELETE FROM search_values WHERE doc IN ({docs})"),
                    params.to_vec(),
                ),
                Statement::new(
                    format!(
                        "DELETE FROM search_docs WHERE project = ?1 AND resource = '{}' AND id = ?2",
                        self.resource
                    ),
                    params.to_vec(),
                ),
            ];
        };
        let mut statements = self.reindex("{id} = ?2", &params, (&self.active(), &[]));
        let guard = format!(
            "EXISTS (SELECT 1 FROM search_docs WHERE project = ?1 AND resource = '{}' AND id = ?2)",
            self.resource
        );
        statements.extend(keep_terms(*self, &terms, &params, &guard));
        statements
    }
}

/// What a write to a customer does to the index (after the customer's row is written, in
/// the same batch): re-derives its rows if the index is on, or removes them with the customer.
pub fn customer_write(project: &str, id: &str, after: Option<&Customer>) -> Vec<Statement> {
    CUSTOMERS.write(project, id, after.map(customer_terms))
}

/// Re-balancing: the index rows of customers `ids` (a JSON array) just copied into this
/// shard, derived from their rows here if the project's index is on in this shard (its copy
/// of the state, [`mirror`]), and their `terms` kept for fuzzy matching, as a write would.
pub fn customers_moved_in(project: &str, ids: &str, terms: &[String]) -> Vec<Statement> {
    let def = CUSTOMERS;
    let params = [Param::text(project), Param::text(ids)];
    let rows = "{id} IN (SELECT value FROM json_each(?2))";
    let mut statements = def.reindex(rows, &params, (&def.active(), &[]));
    statements.extend(keep_terms(def, terms, &params, &def.active()));
    statements
}

/// Re-balancing: the index rows of customers `ids` (a JSON array) removed from the shard
/// they left (its fuzzy terms stay: a superset only costs a candidate that matches nothing).
pub fn customers_moved_out(project: &str, ids: &str) -> Vec<Statement> {
    let def = CUSTOMERS;
    let params = || vec![Param::text(project), Param::text(ids)];
    let docs = def.docs_of("{id} IN (SELECT value FROM json_each(?2))");
    vec![
        Statement::new(
            format!("DELETE FROM {} WHERE rowid IN ({docs})", def.fts),
            params(),
        ),
        Statement::new(
            format!("DELETE FROM search_values WHERE doc IN ({docs})"),
            params(),
        ),
        Statement::new(
            format!("DELETE FROM search_docs WHERE doc IN ({docs})"),
            params(),
        ),
    ]
}

/// What a write to a business unit does to the index (after the unit's row and, for a move,
/// its subtree's rows are written, in the same batch): the unit's rows re-derived (or
/// removed with it) and, when `subtree` (its top-level unit, stores, store mode or parent
/// changed), those of every unit below it, whose `topLevelUnit.key` and
/// `inheritedStores.key` may have changed.
pub fn business_unit_write(
    project: &str,
    id: &str,
    after: Option<&BusinessUnit>,
    subtree: bool,
) -> Vec<Statement> {
    let mut statements = BUSINESS_UNITS.write(project, id, after.map(business_unit_terms));
    if let (Some(unit), true) = (after, subtree) {
        let params = [Param::text(project), Param::text(unit.key.as_str())];
        let active = BUSINESS_UNITS.active();
        statements.extend(BUSINESS_UNITS.reindex(
            "{id} IN (WITH RECURSIVE down(key, n) AS (SELECT ?2, 0 \
               UNION ALL SELECT c.key, down.n + 1 FROM business_units c JOIN down ON c.project = ?1 AND c.parent_key = down.key WHERE down.n < 7) \
             SELECT c.id FROM business_units c JOIN down ON c.project = ?1 AND c.key = down.key WHERE down.n > 0)",
            &params,
            (&active, &[]),
        ));
    }
    statements
}

/// The terms of a unit's text (as `business_unit_search_text` holds it), for fuzzy matching.
pub fn business_unit_terms(unit: &BusinessUnit) -> Vec<String> {
    let doc = serde_json::to_value(unit).unwrap_or_default();
    terms_of(&doc, &["name", "key", "contactEmail"])
}

/// The terms of a customer's text (as `customer_search_text` holds it), for fuzzy matching.
pub fn customer_terms(c: &Customer) -> Vec<String> {
    customer_doc_terms(&serde_json::to_value(c).unwrap_or_default())
}

/// [`customer_terms`] of a customer's stored representation (its `doc` column, parsed).
pub fn customer_doc_terms(doc: &serde_json::Value) -> Vec<String> {
    terms_of(
        doc,
        &[
            "email",
            "firstName",
            "lastName",
            "middleName",
            "companyName",
            "customerNumber",
            "externalId",
            "key",
            "vatId",
        ],
    )
}

/// The terms of a resource's text fields `fields`, its addresses and its custom fields.
fn terms_of(doc: &serde_json::Value, fields: &[&str]) -> Vec<String> {
    let mut texts: Vec<String> = fields
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

/// The next resources the builder indexes: ids after `cursor`.
pub fn next_ids(def: Def, project: &str, cursor: &str, batch: u32) -> Statement {
    Statement::new(
        format!(
            "SELECT id FROM {} WHERE project = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            def.table
        ),
        vec![
            Param::text(project),
            Param::text(cursor),
            Param::Int(i64::from(batch)),
        ],
    )
}

/// One builder step: the resources with ids in (`cursor`, `upto`] indexed, and the progress
/// counted — only while activation `generation` stands.
pub fn build_step(
    def: Def,
    project: &str,
    generation: i64,
    (cursor, upto): (&str, &str),
    count: u64,
    now: &str,
) -> Vec<Statement> {
    let params = [Param::text(project), Param::text(cursor), Param::text(upto)];
    let guard = format!(
        "EXISTS (SELECT 1 FROM search_indexes WHERE project = ?1 AND resource = '{}' AND activated = 1 AND generation = ?4)",
        def.resource
    );
    let mut statements = def.reindex(
        "{id} > ?2 AND {id} <= ?3",
        &params,
        (&guard, &[Param::Int(generation)]),
    );
    statements.push(build_progress(def, project, generation, (upto, count), now));
    statements
}

/// A builder step's progress: `count` more indexed, the cursor at `cursor`, while activation
/// `generation` stands (with customers over shards, in the catalog, apart from the rows).
pub fn build_progress(
    def: Def,
    project: &str,
    generation: i64,
    (upto, count): (&str, u64),
    now: &str,
) -> Statement {
    Statement::new(
        "UPDATE search_indexes SET status = 'Indexing', indexed = indexed + ?3, cursor = ?4, last_modified_at = ?5, retry_count = NULL \
         WHERE project = ?1 AND resource = ?6 AND generation = ?2 AND activated = 1",
        vec![
            Param::text(project),
            Param::Int(generation),
            Param::uint(count),
            Param::text(upto),
            Param::text(now),
            Param::text(def.resource),
        ],
    )
}

/// The rows of one builder step in a customer shard (`build_step` without the progress,
/// which the catalog keeps): guarded by the shard's copy of the index state ([`mirror`]).
pub fn build_rows(
    def: Def,
    project: &str,
    generation: i64,
    (cursor, upto): (&str, &str),
) -> Vec<Statement> {
    let mut statements = build_step(def, project, generation, (cursor, upto), 0, "");
    statements.pop();
    statements
}

/// A customer shard's copy of the catalog's index state (customers over several databases):
/// whether the index is on and its generation, which the shard's write and builder
/// statements check; a copy of an older generation never replaces a newer one. Switched
/// off: the shard's index rows removed too (unless a newer activation is already copied).
pub fn mirror(
    def: Def,
    project: &str,
    (activated, generation): (bool, i64),
    now: &str,
) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        "INSERT INTO search_indexes (project, resource, activated, status, generation, last_modified_at) \
         VALUES (?1, ?2, ?3, 'Mirror', ?4, ?5) ON CONFLICT (project, resource) DO UPDATE SET \
         activated = excluded.activated, generation = excluded.generation, last_modified_at = excluded.last_modified_at \
         WHERE excluded.generation >= search_indexes.generation",
        vec![
            Param::text(project),
            Param::text(def.resource),
            Param::Int(i64::from(activated)),
            Param::Int(generation),
            Param::text(now),
        ],
    )];
    if !activated {
        let (resource, fts) = (def.resource, def.fts);
        let p = || vec![Param::text(project), Param::text(resource)];
        let docs =
            "SELECT doc FROM search_docs WHERE project = ?1 AND resource = ?2 AND NOT EXISTS \
             (SELECT 1 FROM search_indexes WHERE project = ?1 AND resource = ?2 AND activated = 1)";
        statements.extend([
            Statement::new(format!("DELETE FROM {fts} WHERE rowid IN ({docs})"), p()),
            Statement::new(
                format!("DELETE FROM search_values WHERE doc IN ({docs})"),
                p(),
            ),
            Statement::new(
                format!("DELETE FROM search_docs WHERE doc IN ({docs})"),
                p(),
            ),
        ]);
    }
    statements
}

/// A failed attempt at the next step counted (`retryCount`), while activation `generation`
/// stands.
pub fn attempt_failed(def: Def, project: &str, generation: i64, attempts: u64) -> Statement {
    Statement::new(
        "UPDATE search_indexes SET retry_count = ?3 WHERE project = ?1 AND resource = ?4 AND generation = ?2 AND activated = 1",
        vec![
            Param::text(project),
            Param::Int(generation),
            Param::uint(attempts),
            Param::text(def.resource),
        ],
    )
}

/// A build given up after `attempts` failed attempts at its next step: the index `Failed`,
/// the resources of that step (the next `batch` after `cursor`) counted in `failed`.
pub fn build_failed(
    def: Def,
    project: &str,
    (generation, cursor, batch): (i64, &str, u32),
    attempts: u64,
    now: &str,
) -> Statement {
    Statement::new(
        format!(
            "UPDATE search_indexes SET status = 'Failed', retry_count = ?3, last_modified_at = ?4, \
             failed = failed + (SELECT COUNT(*) FROM (SELECT id FROM {} WHERE project = ?1 AND id > ?5 ORDER BY id LIMIT ?6)) \
             WHERE project = ?1 AND resource = ?7 AND generation = ?2 AND activated = 1",
            def.table
        ),
        vec![
            Param::text(project),
            Param::Int(generation),
            Param::uint(attempts),
            Param::text(now),
            Param::text(cursor),
            Param::Int(i64::from(batch)),
            Param::text(def.resource),
        ],
    )
}

/// The end of a build: the index Ready.
pub fn build_done(def: Def, project: &str, generation: i64, now: &str) -> Vec<Statement> {
    vec![Statement::new(
        "UPDATE search_indexes SET status = 'Ready', retry_count = NULL, last_modified_at = ?3 \
         WHERE project = ?1 AND resource = ?4 AND generation = ?2 AND activated = 1",
        vec![
            Param::text(project),
            Param::Int(generation),
            Param::text(now),
            Param::text(def.resource),
        ],
    )]
}

/// The text of the resources with ids in (`cursor`, `upto`], one row each, as its full-text
/// table holds it: the builder takes its terms for fuzzy matching from it.
pub fn texts_between(def: Def, project: &str, (cursor, upto): (&str, &str)) -> Statement {
    let text = def
        .fts_columns
        .split(", ")
        .map(|c| format!("coalesce({}, '')", c.trim()))
        .collect::<Vec<_>>()
        .join(" || ' ' || ");
    Statement::new(
        format!(
            "SELECT {text} AS text FROM {} WHERE project = ?1 AND id > ?2 AND id <= ?3",
            def.text_view
        ),
        vec![Param::text(project), Param::text(cursor), Param::text(upto)],
    )
}

/// Most terms one statement keeps (the statement's JSON holds each term's deletion keys:
/// about 0.5 KB a term, far below D1's 2 MB for a value).
const TERMS_PER_STATEMENT: usize = 500;

/// Terms as a JSON array of `[term, mask]` (`text::char_mask`), as `search_terms` keeps them.
fn with_masks(terms: &[String]) -> String {
    let rows: Vec<(&str, i64)> = terms
        .iter()
        .map(|t| (t.as_str(), text::char_mask(t)))
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

/// Terms as a JSON array of `[term, [deletion keys]]` (`text::index_keys`), as
/// `search_term_keys` keeps them.
fn with_keys(terms: &[String]) -> String {
    let rows: Vec<(&str, Vec<String>)> = terms
        .iter()
        .map(|t| (t.as_str(), text::index_keys(t)))
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

/// The statements keeping `terms` as candidates of fuzzy matching, when `guard` holds (a
/// condition over `params`, which the terms follow as one more parameter): per chunk of
/// [`TERMS_PER_STATEMENT`], the deletion keys of the terms not kept yet (a kept term has
/// its keys: every writer writes them first, migration 0020 wrote those of the terms
/// before it), then the terms.
fn keep_terms(def: Def, terms: &[String], params: &[Param], guard: &str) -> Vec<Statement> {
    let (r, kind, n) = (def.resource, term_kind(def.resource), params.len() + 1);
    let term = "json_extract(t.value, '$[0]')";
    let bound = |json: String| {
        let mut bound = params.to_vec();
        bound.push(Param::Text(json));
        bound
    };
    terms
        .chunks(TERMS_PER_STATEMENT)
        .flat_map(|chunk| {
            [
                Statement::new(
                    format!(
                        "INSERT OR IGNORE INTO search_term_keys (kind, key, term) SELECT {kind}, k.value, {term} \
                         FROM json_each(?{n}) t, json_each(t.value, '$[1]') k WHERE {guard} AND NOT EXISTS \
                         (SELECT 1 FROM search_terms s WHERE s.resource = '{r}' AND s.len = length({term}) AND s.term = {term})"
                    ),
                    bound(with_keys(chunk)),
                ),
                Statement::new(
                    format!(
                        "INSERT OR IGNORE INTO search_terms (resource, len, term, mask) SELECT '{r}', length({term}), {term}, \
                         json_extract(t.value, '$[1]') FROM json_each(?{n}) t WHERE {guard}"
                    ),
                    bound(with_masks(chunk)),
                ),
            ]
        })
        .collect()
}

/// Of `terms`, those not kept as candidates of fuzzy matching yet, as one row `terms`
/// (separated by spaces, which no term holds): a builder step writes only these, and so
/// computes and sends the deletion keys of the terms it brings, not of every term again.
pub fn unkept_terms(def: Def, terms: &[String]) -> Statement {
    Statement::new(
        "SELECT group_concat(value, ' ') AS terms FROM json_each(?1) WHERE NOT EXISTS \
         (SELECT 1 FROM search_terms WHERE resource = ?2 AND len = length(value) AND term = value)",
        vec![
            Param::Text(serde_json::to_string(terms).unwrap_or_else(|_| "[]".into())),
            Param::text(def.resource),
        ],
    )
}

/// Keeps `terms` as candidates of fuzzy matching (a builder step).
pub fn remember_terms(def: Def, terms: &[String]) -> Vec<Statement> {
    keep_terms(def, terms, &[], "1")
}

/// Activation: the index Scheduled for a new build (a new generation), every resource to do;
/// it counts as used from now (for the automatic deactivation).
pub fn activate(def: Def, project: &str, now: &str) -> Statement {
    let (resource, count_table) = (def.resource, def.table);
    Statement::new(
        format!(
            "INSERT INTO search_indexes (project, resource, activated, status, generation, indexed, failed, estimated_total, cursor, started_at, last_modified_at, last_used_at) \
             VALUES (?1, ?2, 1, 'Scheduled', 1, 0, 0, (SELECT COUNT(*) FROM {count_table} WHERE project = ?1), '', ?3, ?3, ?3) \
             ON CONFLICT (project, resource) DO UPDATE SET activated = 1, status = 'Scheduled', generation = generation + 1, \
             indexed = 0, failed = 0, estimated_total = excluded.estimated_total, cursor = '', retry_count = NULL, \
             started_at = excluded.started_at, last_modified_at = excluded.last_modified_at, last_used_at = excluded.last_used_at"
        ),
        vec![Param::text(project), Param::text(resource), Param::text(now)],
    )
}

/// Deactivation: the index switched off and emptied (a builder still running stops).
pub fn deactivate(def: Def, project: &str, now: &str) -> Vec<Statement> {
    let (resource, fts) = (def.resource, def.fts);
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

/// A search used the index at `now` (see `domain::project::use_to_record`).
pub fn record_use(def: Def, project: &str, now: &str) -> Statement {
    Statement::new(
        "UPDATE search_indexes SET last_used_at = ?3 WHERE project = ?1 AND resource = ?2 AND activated = 1",
        vec![Param::text(project), Param::text(def.resource), Param::text(now)],
    )
}

/// The active indexes no search used since `before`: `(project, resource)` rows.
pub fn unused(before: &str) -> Statement {
    Statement::new(
        "SELECT project, resource FROM search_indexes WHERE activated = 1 \
         AND coalesce(last_used_at, last_modified_at) < ?1 ORDER BY project, resource",
        vec![Param::text(before)],
    )
}

/// The automatic deactivation of an index no search used since `before`: a guard that it is
/// still unused (a search landing first keeps it), the deactivation, and the project one
/// version on (its `searchIndexing` changes), in one batch.
pub fn deactivate_unused(def: Def, project: &str, before: &str, now: &str) -> Vec<Statement> {
    let mut batch = vec![
        Statement::new(
            "INSERT INTO version_guards (ok) SELECT COUNT(*) FROM search_indexes WHERE project = ?1 AND resource = ?2 \
             AND activated = 1 AND coalesce(last_used_at, last_modified_at) < ?3",
            vec![Param::text(project), Param::text(def.resource), Param::text(before)],
        ),
        Statement::new(
            "INSERT OR IGNORE INTO projects (project, version, created_at, last_modified_at) VALUES (?1, 1, ?2, ?2)",
            vec![Param::text(project), Param::text(now)],
        ),
        Statement::new(
            "UPDATE projects SET version = version + 1, last_modified_at = ?2 WHERE project = ?1",
            vec![Param::text(project), Param::text(now)],
        ),
    ];
    batch.extend(deactivate(def, project, now));
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_kept_before_their_terms_in_chunks() {
        let terms: Vec<String> = (0..1200).map(|i| format!("term{i}")).collect();
        let s = remember_terms(CUSTOMERS, &terms);
        assert_eq!(s.len(), 6);
        for pair in s.chunks(2) {
            assert!(pair[0]
                .sql
                .starts_with("INSERT OR IGNORE INTO search_term_keys"));
            assert!(pair[0].sql.contains("SELECT 0, k.value"));
            assert!(pair[0].sql.contains(
                "NOT EXISTS (SELECT 1 FROM search_terms s WHERE s.resource = 'customer'"
            ));
            assert!(pair[1]
                .sql
                .starts_with("INSERT OR IGNORE INTO search_terms"));
        }
        let json = |s: &Statement| match &s.params[0] {
            Param::Text(json) => json.clone(),
            _ => panic!("the terms are one text parameter"),
        };
        let keys: Vec<(String, Vec<String>)> = serde_json::from_str(&json(&s[0])).unwrap();
        assert_eq!(keys.len(), 500);
        assert_eq!(keys[0], ("term0".into(), text::index_keys("term0")));
        let masks: Vec<(String, i64)> = serde_json::from_str(&json(&s[1])).unwrap();
        assert_eq!(masks[0], ("term0".into(), text::char_mask("term0")));
    }

    #[test]
    fn a_step_asks_which_terms_are_new() {
        let s = unkept_terms(BUSINESS_UNITS, &["acme".into(), "plumbing".into()]);
        assert!(s
            .sql
            .contains("NOT EXISTS (SELECT 1 FROM search_terms WHERE resource = ?2"));
        assert_eq!(
            s.params,
            [
                Param::text(r#"["acme","plumbing"]"#),
                Param::text("business-unit")
            ]
        );
    }

    #[test]
    fn a_write_keeps_the_keys_of_its_terms_where_the_index_is_on() {
        let s = CUSTOMERS.write("p", "c1", Some(vec!["smith".into()]));
        let keys = &s[s.len() - 2];
        assert!(keys.sql.contains("INTO search_term_keys"));
        assert!(keys.sql.contains("EXISTS (SELECT 1 FROM search_docs WHERE project = ?1 AND resource = 'customer' AND id = ?2)"));
        assert!(keys.sql.contains("json_each(?3)"));
        assert_eq!(keys.params.len(), 3);
        let unit = BUSINESS_UNITS.write("p", "u1", Some(vec!["acme".into()]));
        assert!(unit[unit.len() - 2].sql.contains("SELECT 1, k.value"));
        let removed = CUSTOMERS.write("p", "c1", None);
        assert!(removed.iter().all(|s| !s.sql.contains("search_term")));
    }
}
