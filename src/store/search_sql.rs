//! Search in SQL, as plain data (pure, natively tested): a checked search request compiled to
//! one statement over the index tables (migration 0011), and the statements that keep the
//! index: per write (in the resource's batch), per builder step, on activation and
//! deactivation.
//!
//! A query compiles to a set of `(doc, score)` rows: a full-text expression is an FTS5 `MATCH`
//! scored by BM25 (`-bm25`, times the boost), any other simple expression a lookup in
//! `search_values` scored by its boost; `and` intersects (scores add), `or` unites (scores
//! add), `not` subtracts from the resource's documents, `filter` intersects with score 0.
//! Every string, field name of a custom field and value is a bound parameter; the only
//! literals are the schema's own field names, boosts, limit and offset (validated numbers).
//! User text reaches FTS5 only as quoted terms (`search::text`).

use std::collections::HashMap;

use super::sql::{Param, Statement};
use crate::domain::error::ApiError;
use crate::domain::search::fields::FieldType;
use crate::domain::search::text::{self, in_column, join, quoted};
use crate::domain::search::{Query, Scalar, SearchRequest, Simple, Sort, Test};

/// Most parameters one statement may bind (D1's limit).
pub const MAX_PARAMS: usize = 100;
/// Most candidate terms a fuzzy term expands to.
pub const MAX_EXPANSIONS: usize = 50;
/// Most indexed terms passing the candidates' filters that are read per fuzzy term.
pub const MAX_CANDIDATES: usize = 5000;

/// An index: the resource its rows belong to and its full-text table.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    pub resource: &'static str,
    pub fts: &'static str,
}

/// The customer index.
pub const CUSTOMERS: Index = Index {
    resource: "customer",
    fts: "customer_fts",
};

/// The business-unit index.
pub const BUSINESS_UNITS: Index = Index {
    resource: "business-unit",
    fts: "business_unit_fts",
};

/// Fuzzy terms and the indexed terms each matches (from [`fuzzy_candidates`]).
pub type Expansions = HashMap<(String, u8), Vec<String>>;

/// The parameters of a statement, shared when equal.
struct Binder(Vec<Param>);

impl Binder {
    fn bind(&mut self, param: Param) -> String {
        let at = match self.0.iter().position(|p| *p == param) {
            Some(i) => i,
            None => {
                self.0.push(param);
                self.0.len() - 1
            }
        };
        format!("?{}", at + 1)
    }
}

/// A boost or score as an SQL literal (a finite number, checked by the parser).
fn number(n: f64) -> String {
    format!("{n:e}")
}

/// The `(doc, score)` rows the query matches (every document of the index without a query).
fn matches(
    index: Index,
    request: &SearchRequest,
    b: &mut Binder,
    expansions: &Expansions,
) -> String {
    match &request.query {
        Some(q) => node(index, q, b, expansions),
        None => "SELECT doc, 1.0 AS score FROM search_docs WHERE project = ?1 AND resource = ?2"
            .to_string(),
    }
}

/// The page of a search: `(id, relevance, total)` rows.
pub fn compile(
    index: Index,
    project: &str,
    request: &SearchRequest,
    expansions: &Expansions,
) -> Result<Statement, ApiError> {
    let mut b = Binder(vec![Param::text(project), Param::text(index.resource)]);
    let matches = matches(index, request, &mut b, expansions);
    let order = order_by(&request.sort, &mut b);
    let sql = format!(
        "SELECT d.id AS id, m.score AS relevance, COUNT(*) OVER () AS total FROM ({matches}) m \
         CROSS JOIN search_docs d ON d.doc = m.doc WHERE d.project = ?1 AND d.resource = ?2 \
         ORDER BY {order} LIMIT {} OFFSET {}",
        request.limit, request.offset
    );
    if b.0.len() > MAX_PARAMS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "Invalid search request: query: the query needs more than {MAX_PARAMS} distinct values."
            ),
        });
    }
    Ok(Statement::new(sql, b.0))
}

/// The first row of the same search, whose `total` counts the matches: for a page past the
/// end (a page's own rows carry the total).
pub fn count_of(page: &Statement) -> Statement {
    let (head, _) = page.sql.rsplit_once(" LIMIT ").unwrap_or((&page.sql, ""));
    Statement::new(format!("{head} LIMIT 1 OFFSET 0"), page.params.clone())
}

fn order_by(sort: &[Sort], b: &mut Binder) -> String {
    let mut parts: Vec<String> = order_parts(sort, b)
        .into_iter()
        .map(|(expr, descending, nulls_last)| {
            let dir = if descending { "DESC" } else { "ASC" };
            let nulls = if nulls_last { " NULLS LAST" } else { "" };
            format!("{expr} {dir}{nulls}")
        })
        .collect();
    parts.push("d.id ASC".into());
    parts.join(", ")
}

/// The sort keys of a search, before the final `d.id ASC`: `(expression, descending, nulls
/// last)` (no sort: relevance descending).
fn order_parts(sort: &[Sort], b: &mut Binder) -> Vec<(String, bool, bool)> {
    let mut parts: Vec<(String, bool, bool)> = sort
        .iter()
        .map(|s| match &s.field {
            None => ("m.score".to_string(), s.descending, false),
            Some(field) => {
                let column = if field.ty == FieldType::Number { "num" } else { "lower" };
                let agg = match s.mode.as_deref() {
                    Some("avg") if column == "num" => "AVG",
                    Some("sum") if column == "num" => "SUM",
                    Some("max") => "MAX",
                    Some("min") => "MIN",
                    _ if s.descending => "MAX",
                    _ => "MIN",
                };
                let name = b.bind(Param::text(&field.name));
                let only = match &s.filter {
                    Some(filter) => format!(" AND {}", value_filter(filter, b)),
                    None => String::new(),
                };
                (
                    format!(
                        "(SELECT {agg}(v.{column}) FROM search_values v WHERE v.doc = d.doc AND v.field = {name}{only})"
                    ),
                    s.descending,
                    true,
                )
            }
        })
        .collect();
    if sort.is_empty() {
        parts.push(("m.score".into(), true, false));
    }
    parts
}

/// A sort filter as a condition on one value row (`text`, `lower`, `num` of the sort field's
/// row; the parser admits only value tests on the sort field).
fn value_filter(query: &Query, b: &mut Binder) -> String {
    let joined = |children: &[Query], op: &str, b: &mut Binder| {
        let parts: Vec<String> = children.iter().map(|c| value_filter(c, b)).collect();
        format!("({})", parts.join(op))
    };
    match query {
        Query::And(c) | Query::Filter(c) => joined(c, " AND ", b),
        Query::Or(c) => joined(c, " OR ", b),
        Query::Not(c) => format!("NOT {}", joined(c, " OR ", b)),
        Query::Simple(s) => format!("(1{})", value_condition(&s.test, s.field.ty, b)),
    }
}

/// One database's part of a search over several (customers over shards): its first
/// `offset + limit` matches as `(id, relevance, total, s0, s1, …)` rows (`sN`: the sort keys,
/// in order), and whether each key sorts descending. [`merge`] orders them as one database
/// would.
pub struct Scattered {
    pub statement: Statement,
    pub descending: Vec<bool>,
}

/// The statement each database runs for a search over several (see [`Scattered`]).
pub fn compile_scattered(
    index: Index,
    project: &str,
    request: &SearchRequest,
    expansions: &Expansions,
) -> Result<Scattered, ApiError> {
    let mut b = Binder(vec![Param::text(project), Param::text(index.resource)]);
    let matches = matches(index, request, &mut b, expansions);
    let parts = order_parts(&request.sort, &mut b);
    let keys: String = parts
        .iter()
        .enumerate()
        .map(|(i, (expr, _, _))| format!(", {expr} AS s{i}"))
        .collect();
    let order: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, (_, descending, nulls_last))| {
            let dir = if *descending { "DESC" } else { "ASC" };
            let nulls = if *nulls_last { " NULLS LAST" } else { "" };
            format!("s{i} {dir}{nulls}")
        })
        .collect();
    let sql = format!(
        "SELECT d.id AS id, m.score AS relevance, COUNT(*) OVER () AS total{keys} FROM ({matches}) m \
         CROSS JOIN search_docs d ON d.doc = m.doc WHERE d.project = ?1 AND d.resource = ?2 \
         ORDER BY {}, d.id ASC LIMIT {}",
        order.join(", "),
        u64::from(request.limit) + u64::from(request.offset)
    );
    if b.0.len() > MAX_PARAMS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "Invalid search request: query: the query needs more than {MAX_PARAMS} distinct values."
            ),
        });
    }
    Ok(Scattered {
        statement: Statement::new(sql, b.0),
        descending: parts.iter().map(|p| p.1).collect(),
    })
}

/// One row of a database's part of a search over several.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatteredHit {
    pub id: String,
    pub relevance: f64,
    /// The database's count of matches.
    pub total: u64,
    /// The sort keys (`s0`, `s1`, …): numbers, text or null.
    pub keys: Vec<serde_json::Value>,
}

/// The page of a search over several databases: their rows ordered as one database would
/// (each key in its direction, null keys last, then id), `offset … offset + limit` kept as
/// `(id, relevance)`, and the total (the sum of the databases' counts; while re-balancing, a
/// customer between its copy and its delete is counted twice).
pub fn merge(
    answers: Vec<Vec<ScatteredHit>>,
    descending: &[bool],
    (offset, limit): (u32, u32),
) -> (Vec<(String, f64)>, u64) {
    use serde_json::Value;
    use std::cmp::Ordering;
    let total = answers
        .iter()
        .map(|rows| rows.first().map_or(0, |r| r.total))
        .sum();
    fn cmp(a: &Value, b: &Value) -> Ordering {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            (Value::Number(_), _) => Ordering::Less,
            (_, Value::Number(_)) => Ordering::Greater,
            (x, y) => x
                .as_str()
                .unwrap_or_default()
                .cmp(y.as_str().unwrap_or_default()),
        }
    }
    let mut all: Vec<ScatteredHit> = answers.into_iter().flatten().collect();
    all.sort_by(|a, b| {
        for (i, desc) in descending.iter().enumerate() {
            let (x, y) = (
                a.keys.get(i).unwrap_or(&Value::Null),
                b.keys.get(i).unwrap_or(&Value::Null),
            );
            let order = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ if *desc => cmp(y, x),
                _ => cmp(x, y),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        a.id.cmp(&b.id)
    });
    // Re-balancing: a customer in two shards (between its copy and its delete) counts once,
    // at its best place (why the page is still right: `shards::merge`).
    let mut seen = std::collections::HashSet::new();
    all.retain(|h| seen.insert(h.id.clone()));
    let page = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|h| (h.id, h.relevance))
        .collect();
    (page, total)
}

/// The `(doc, score)` rows of a query.
fn node(index: Index, query: &Query, b: &mut Binder, x: &Expansions) -> String {
    match query {
        Query::Simple(simple) => simple_node(index, simple, b, x),
        Query::And(children) => and(index, children, b, x),
        Query::Filter(children) => {
            format!(
                "SELECT doc, 0.0 AS score FROM ({})",
                and(index, children, b, x)
            )
        }
        Query::Or(children) => {
            let parts: Vec<String> = children
                .iter()
                .map(|c| format!("SELECT doc, score FROM ({})", node(index, c, b, x)))
                .collect();
            format!(
                "SELECT doc, SUM(score) AS score FROM ({}) GROUP BY doc",
                compound(parts, " UNION ALL ")
            )
        }
        Query::Not(children) => format!(
            "SELECT doc, 0.0 AS score FROM search_docs WHERE project = ?1 AND resource = ?2 AND doc NOT IN ({})",
            union_of_docs(index, children, b, x)
        ),
    }
}

fn union_of_docs(index: Index, children: &[Query], b: &mut Binder, x: &Expansions) -> String {
    let parts = children
        .iter()
        .map(|c| format!("SELECT doc FROM ({})", node(index, c, b, x)))
        .collect();
    compound(parts, " UNION ")
}

/// Most terms of one compound SELECT in D1.
const MAX_COMPOUND: usize = 5;

/// SELECTs joined by `op` (`UNION`, `UNION ALL`), at most [`MAX_COMPOUND`] to a compound:
/// larger sets are grouped into sub-selects (each starts its own count).
fn compound(parts: Vec<String>, op: &str) -> String {
    if parts.len() <= MAX_COMPOUND {
        return parts.join(op);
    }
    let grouped = parts
        .chunks(MAX_COMPOUND)
        .map(|group| format!("SELECT * FROM ({})", group.join(op)))
        .collect();
    compound(grouped, op)
}

/// Intersection: the positive children joined on `doc` (scores add), the `not` children
/// subtracted; only `not` children: subtracted from every document.
fn and(index: Index, children: &[Query], b: &mut Binder, x: &Expansions) -> String {
    let (negatives, positives): (Vec<&Query>, Vec<&Query>) =
        children.iter().partition(|c| matches!(c, Query::Not(_)));
    let mut from = Vec::new();
    let mut scores = Vec::new();
    for (i, child) in positives.iter().enumerate() {
        let sub = node(index, child, b, x);
        if i == 0 {
            from.push(format!("({sub}) a0"));
        } else {
            from.push(format!("CROSS JOIN ({sub}) a{i} ON a{i}.doc = a0.doc"));
        }
        scores.push(format!("a{i}.score"));
    }
    if from.is_empty() {
        from.push(
            "(SELECT doc, 0.0 AS score FROM search_docs WHERE project = ?1 AND resource = ?2) a0"
                .into(),
        );
        scores.push("a0.score".into());
    }
    let excluded: Vec<String> = negatives
        .iter()
        .filter_map(|n| match n {
            Query::Not(children) => Some(format!(
                "a0.doc NOT IN ({})",
                union_of_docs(index, children, b, x)
            )),
            _ => None,
        })
        .collect();
    let filter = if excluded.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", excluded.join(" AND "))
    };
    format!(
        "SELECT a0.doc AS doc, {} AS score FROM {}{filter}",
        scores.join(" + "),
        from.join(" ")
    )
}

const NOTHING: &str = "SELECT doc, 0.0 AS score FROM search_docs WHERE 0";

fn simple_node(index: Index, s: &Simple, b: &mut Binder, x: &Expansions) -> String {
    match &s.test {
        Test::FullText { .. } | Test::Fuzzy { .. } => match fts_query(s, x) {
            None => NOTHING.into(),
            Some(q) => format!(
                "SELECT rowid AS doc, -bm25({fts}) * {boost} AS score FROM {fts} WHERE {fts} MATCH {q}",
                fts = index.fts,
                boost = number(s.boost),
                q = b.bind(Param::Text(q)),
            ),
        },
        test => {
            let field = b.bind(Param::text(&s.field.name));
            let condition = value_condition(test, s.field.ty, b);
            format!(
                "SELECT DISTINCT doc, {} AS score FROM search_values WHERE project = ?1 AND field = {field}{condition}",
                number(s.boost)
            )
        }
    }
}

/// The FTS5 query of a full-text or fuzzy expression; `None` if it has no terms (it matches
/// nothing).
pub fn fts_query(s: &Simple, x: &Expansions) -> Option<String> {
    let column = s.field.fts.unwrap_or_default();
    let (parts, all): (Vec<String>, bool) = match &s.test {
        Test::FullText { terms, all, prefix } => {
            let last = terms.len().saturating_sub(1);
            let parts = terms
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    if *prefix && i == last {
                        format!("{} *", quoted(t))
                    } else {
                        quoted(t)
                    }
                })
                .collect();
            (parts, *all)
        }
        Test::Fuzzy { terms, all } => {
            let parts = terms
                .iter()
                .map(|(t, level)| {
                    let mut options = vec![quoted(t)];
                    if let Some(found) = x.get(&(t.clone(), *level)) {
                        options.extend(found.iter().filter(|f| *f != t).map(|f| quoted(f)));
                    }
                    format!("({})", options.join(" OR "))
                })
                .collect();
            (parts, *all)
        }
        _ => return None,
    };
    (!parts.is_empty()).then(|| in_column(column, &join(&parts, all)))
}

fn value_condition(test: &Test, ty: FieldType, b: &mut Binder) -> String {
    match test {
        Test::Exists => String::new(),
        Test::Exact {
            values,
            case_insensitive,
        } => {
            let list = values
                .iter()
                .map(|v| match v {
                    Scalar::Number(n) => format!("num = {}", b.bind(Param::Real(*n))),
                    Scalar::Text(t) if *case_insensitive => {
                        format!("lower = lower({})", b.bind(Param::text(t)))
                    }
                    Scalar::Text(t) => {
                        let p = b.bind(Param::text(t));
                        format!("(lower = lower({p}) AND text = {p})")
                    }
                })
                .collect::<Vec<_>>();
            format!(" AND ({})", list.join(" OR "))
        }
        Test::Prefix {
            value,
            case_insensitive,
        } => {
            let p = b.bind(Param::text(value));
            let exact = if *case_insensitive {
                String::new()
            } else {
                format!(" AND substr(text, 1, length({p})) = {p}")
            };
            format!(" AND lower >= lower({p}) AND lower < lower({p}) || char(1114111){exact}")
        }
        Test::Wildcard {
            value,
            case_insensitive,
        } => {
            let pattern = b.bind(Param::Text(glob_pattern(value)));
            if *case_insensitive {
                format!(" AND lower GLOB lower({pattern})")
            } else {
                format!(" AND text GLOB {pattern}")
            }
        }
        Test::Range { gt, gte, lt, lte } => {
            let mut parts = String::new();
            for (op, bound) in [(">", gt), (">=", gte), ("<", lt), ("<=", lte)] {
                match bound {
                    Some(Scalar::Number(n)) => {
                        parts += &format!(" AND num {op} {}", b.bind(Param::Real(*n)))
                    }
                    Some(Scalar::Text(t)) => {
                        // `lower` holds the value lower-cased (a date-time's `T` and `Z`
                        // too): the bound is compared lower-cased as well.
                        let p = b.bind(Param::text(t));
                        parts += &if ty == FieldType::Any {
                            format!(" AND text {op} {p}")
                        } else {
                            format!(" AND lower {op} lower({p})")
                        }
                    }
                    None => {}
                }
            }
            parts
        }
        Test::FullText { .. } | Test::Fuzzy { .. } => " AND 0".into(),
    }
}

/// A wildcard value (`*`, `?`) as a GLOB pattern: every other GLOB character (`[`, `]`)
/// stands for itself.
pub fn glob_pattern(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '[' => "[[]".to_string(),
            ']' => "[]]".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Every fuzzy term of a query with a level above 0: the ones to expand.
pub fn fuzzy_terms(query: Option<&Query>) -> Vec<(String, u8)> {
    let mut found = Vec::new();
    fn walk(q: &Query, found: &mut Vec<(String, u8)>) {
        match q {
            Query::And(c) | Query::Or(c) | Query::Not(c) | Query::Filter(c) => {
                c.iter().for_each(|q| walk(q, found))
            }
            Query::Simple(Simple {
                test: Test::Fuzzy { terms, .. },
                ..
            }) => {
                for t in terms.iter().filter(|(_, l)| *l > 0) {
                    if !found.contains(t) {
                        found.push(t.clone());
                    }
                }
            }
            Query::Simple(_) => {}
        }
    }
    if let Some(q) = query {
        walk(q, &mut found);
    }
    found
}

/// `search_term_keys.kind` of a resource's terms (an integer: 0 and 1 take no bytes in a
/// SQLite record, a resource name would on each of the table's many rows). Migration 0020
/// maps `search_terms.resource` the same way.
pub fn term_kind(resource: &str) -> i64 {
    match resource {
        "customer" => 0,
        "business-unit" => 1,
        _ => 2,
    }
}

/// Indexed terms that may lie within `level` edits of `term` (a superset, for
/// [`keep_within`] to check), as one row `terms` (separated by spaces, which no term holds:
/// one string crosses into the Worker faster than many rows): the terms sharing a deletion
/// key with it (`search_term_keys`, exact lookups of `text::query_keys`, which miss no term
/// within the distance — the proof at `text::query_keys`), then, each looked up in
/// `search_terms` by its key, those of a length within `level` with at most `level` of the
/// term's characters missing and at most `level` characters the term lacks
/// (`search_terms.mask`, integer arithmetic: `text::char_mask`). At most
/// [`MAX_CANDIDATES`], those sharing the most keys first (closer terms share more: on
/// 100 000 customer numbers `C000012345`, 7 228 candidates, every one within one edit among
/// the first 250 for the three terms tried). Binds at most `5 + 56` parameters (56 keys:
/// `KEY_PREFIX` 10, two deletions).
pub fn fuzzy_candidates(index: Index, term: &str, level: u8) -> Statement {
    let len = term.chars().count() as i64;
    let l = i64::from(level);
    let mut params = vec![
        Param::text(index.resource),
        Param::Int((len - l).max(1)),
        Param::Int(len + l),
        Param::Int(text::char_mask(term)),
        Param::Int(term_kind(index.resource)),
    ];
    // `x & (x - 1)` clears the lowest set bit: zero after `level` clearings = at most
    // `level` bits set.
    let at_most_level = |bits: &str| {
        let mut x = bits.to_string();
        for _ in 0..level {
            x = format!("({x} & ({x} - 1))");
        }
        format!("{x} = 0")
    };
    let (missing, extra) = (
        at_most_level("(?4 & ~s.mask)"),
        at_most_level("(s.mask & ~?4)"),
    );
    let keys: Vec<String> = text::query_keys(term, level)
        .into_iter()
        .map(|key| {
            params.push(Param::Text(key));
            format!("?{}", params.len())
        })
        .collect();
    Statement::new(
        format!(
            "SELECT group_concat(term, ' ') AS terms FROM (SELECT s.term AS term FROM \
             (SELECT term, count(*) AS shared FROM search_term_keys WHERE kind = ?5 AND key IN ({}) \
             AND length(term) BETWEEN ?2 AND ?3 GROUP BY term) c \
             CROSS JOIN search_terms s ON s.resource = ?1 AND s.len = length(c.term) AND s.term = c.term \
             WHERE {missing} AND {extra} ORDER BY c.shared DESC LIMIT {MAX_CANDIDATES})",
            keys.join(", ")
        ),
        params,
    )
}

/// The candidates within `level` edits of `term`, closest first, at most [`MAX_EXPANSIONS`].
pub fn keep_within(term: &str, level: u8, candidates: Vec<String>) -> Vec<String> {
    let mut kept: Vec<(u8, String)> = candidates
        .into_iter()
        .filter_map(|c| text::distance_within(term, &c, level).map(|d| (d, c)))
        .collect();
    kept.sort();
    kept.into_iter()
        .take(MAX_EXPANSIONS)
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
#[path = "search_sql_tests.rs"]
mod tests;
