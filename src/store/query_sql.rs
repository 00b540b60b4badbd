//! Compiles a query over a resource's table to D1 SQL. Every value is a bound parameter; only
//! names that come from a schema or from identifiers the predicate lexer allows
//! (`[A-Za-z0-9_-]`) are written into the statement, inside quoted JSON paths.
//!
//! The looked-up and sorted fields are real, indexed columns (the resource's [`QueryTable`]
//! names them); everything else is reached in the JSON document with `json_extract` /
//! `json_each`. Lists (`in`, `contains`) travel as one JSON-array parameter, so long lists do
//! not run into D1's 100-parameter limit. Every sort ends with the id in the direction of the
//! last key, so paging is stable and the `(project, column, id)` indexes serve it.

use super::sql::{Param, Statement};
use crate::domain::error::ApiError;
use crate::domain::predicate::{CmpOp, Cond, Kind, Literal, Path, SortKey};
use crate::domain::query::{Query, MAX_FILTERED_TOTAL};

/// D1 binds at most this many parameters per statement.
pub const MAX_PARAMS: usize = 100;
/// D1 statements may be at most 100 KB long; stay well below.
const MAX_SQL_LEN: usize = 90_000;

/// What the compiler knows of a resource's table.
#[derive(Debug)]
pub struct QueryTable {
    pub name: &'static str,
    /// The indexed column holding a field, by the field's path.
    pub columns: &'static [(&'static [&'static str], &'static str)],
    /// Columns whose equality narrows a query to a few rows (unique, or nearly).
    pub selective: &'static [&'static str],
    /// Which rows an in-store query sees.
    pub stores: StoreRows,
}

/// Which rows of a table an in-store query (`…/in-store/key={storeKey}/…`) sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreRows {
    /// The resource does not belong to stores: every row.
    All,
    /// The column listing a row's store keys (a JSON array): the store's rows and the rows
    /// without stores (customers).
    OwnOrNone(&'static str),
    /// Business units: those listing the store in `stores`, and the `FromParent` units below
    /// them that inherit it (through units without stores), found by a recursive query.
    UnitTree,
}

impl QueryTable {
    /// The indexed column holding the field at `keys`, if any.
    fn column(&self, keys: &[String]) -> Option<&'static str> {
        self.columns
            .iter()
            .find(|(path, _)| path.iter().eq(keys.iter()))
            .map(|(_, column)| *column)
    }
}

/// The statements that answer a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// `SELECT doc …` for the page.
    pub page: Statement,
    /// `SELECT COUNT(*) AS total …`, when the total is asked for.
    pub total: Option<Statement>,
}

/// What paths are relative to: the row, or a JSON value (an array element, an object inside
/// a custom field).
#[derive(Clone)]
enum Base {
    Row,
    Json(String),
}

/// `'$."a"."b"'` (names are identifiers, so they need no escaping).
fn json_path(keys: &[String]) -> String {
    let mut path = String::from("'$");
    for key in keys {
        debug_assert!(key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        path.push_str(&format!(".\"{key}\""));
    }
    path.push('\'');
    path
}

struct Compiler<'t> {
    table: &'t QueryTable,
    params: Vec<Param>,
    aliases: usize,
}

impl<'t> Compiler<'t> {
    fn new(table: &'t QueryTable) -> Self {
        Compiler {
            table,
            params: Vec::new(),
            aliases: 0,
        }
    }

    fn bind(&mut self, param: Param) -> &'static str {
        self.params.push(param);
        "?"
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("j{}", self.aliases)
    }

    fn literal(&mut self, literal: &Literal) -> &'static str {
        let param = match literal {
            Literal::Str(s) => Param::Text(s.clone()),
            Literal::Bool(b) => Param::Int(i64::from(*b)),
            Literal::Num(n) => match n.as_i64() {
                Some(i) => Param::Int(i),
                None => Param::Real(n.as_f64().unwrap_or(f64::NAN)),
            },
        };
        self.bind(param)
    }

    /// One parameter holding the values as a JSON array (read back with `json_each`).
    fn list(&mut self, values: &[Literal]) -> &'static str {
        let array: Vec<serde_json::Value> = values
            .iter()
            .map(|v| match v {
                Literal::Str(s) => serde_json::Value::from(s.clone()),
                Literal::Num(n) => serde_json::Value::Number(n.clone()),
                Literal::Bool(b) => serde_json::Value::from(i64::from(*b)),
            })
            .collect();
        self.bind(Param::Text(serde_json::Value::Array(array).to_string()))
    }

    /// `table.column`.
    fn qualified(&self, column: &str) -> String {
        format!("{}.{column}", self.table.name)
    }

    fn document(&self, base: &Base) -> String {
        match base {
            Base::Row => self.qualified("doc"),
            Base::Json(expr) => expr.clone(),
        }
    }

    /// The row's indexed column for `path`, if the path is at row level and has one.
    fn row_column(&self, base: &Base, path: &Path) -> Option<String> {
        match base {
            Base::Row => self.table.column(&path.keys).map(|c| self.qualified(c)),
            Base::Json(_) => None,
        }
    }

    fn value(&self, base: &Base, path: &Path) -> String {
        self.row_column(base, path).unwrap_or_else(|| {
            format!(
                "json_extract({}, {})",
                self.document(base),
                json_path(&path.keys)
            )
        })
    }

    fn json_type(&self, base: &Base, path: &Path) -> String {
        format!(
            "json_type({}, {})",
            self.document(base),
            json_path(&path.keys)
        )
    }

    fn cond(&mut self, cond: &Cond, base: &Base) -> String {
        match cond {
            Cond::And(items) => self.join(items, base, " AND "),
            Cond::Or(items) => self.join(items, base, " OR "),
            // Comparisons with a missing field are NULL; `not` treats them as false first.
            Cond::Not(inner) => format!("(({}) IS NOT TRUE)", self.cond(inner, base)),
            Cond::Compare { path, op, value } => self.compare(base, path, *op, value),
            Cond::In {
                path,
                values,
                negated,
            } => {
                let value = self.value(base, path);
                let not = if *negated { "NOT " } else { "" };
                let list = self.list(values);
                format!("{value} {not}IN (SELECT value FROM json_each({list}))")
            }
            Cond::Defined { path, defined } => self.defined(base, path, *defined),
            Cond::Empty { path, empty } => {
                let length = if *empty { "= 0" } else { "> 0" };
                format!(
                    "({} = 'array' AND json_array_length({}, {}) {length})",
                    self.json_type(base, path),
                    self.document(base),
                    json_path(&path.keys)
                )
            }
            Cond::Holds { path, values, all } => self.holds(base, path, values, *all),
            Cond::Element { path, inner } => {
                let alias = self.alias();
                let inner = self.cond(inner, &Base::Json(format!("{alias}.value")));
                format!(
                    "EXISTS (SELECT 1 FROM json_each({}, {}) AS {alias} WHERE {inner})",
                    self.document(base),
                    json_path(&path.keys)
                )
            }
            Cond::Within { path, inner } => self.within(base, path, inner),
        }
    }

    /// `is defined` / `is not defined`: present and not null.
    fn defined(&self, base: &Base, path: &Path, defined: bool) -> String {
        if let Some(column) = self.row_column(base, path) {
            let is = if defined { "IS NOT NULL" } else { "IS NULL" };
            return format!("{column} {is}");
        }
        let test = if defined { "<>" } else { "=" };
        format!(
            "COALESCE({}, 'null') {test} 'null'",
            self.json_type(base, path)
        )
    }

    /// An array of scalars holds any (or all) of `values`.
    fn holds(&mut self, base: &Base, path: &Path, values: &[Literal], all: bool) -> String {
        let alias = self.alias();
        let source = format!(
            "json_each({}, {}) AS {alias}",
            self.document(base),
            json_path(&path.keys)
        );
        let is_array = format!("{} = 'array'", self.json_type(base, path));
        let list = self.list(values);
        if !all {
            return format!(
                "({is_array} AND EXISTS (SELECT 1 FROM {source} WHERE {alias}.value IN (SELECT value FROM json_each({list}))))"
            );
        }
        // Distinct as SQLite compares them: 1 and 1.0 are one value.
        let distinct: std::collections::BTreeSet<String> = values
            .iter()
            .map(|v| match v {
                Literal::Str(s) => format!("s{s}"),
                Literal::Num(n) => format!("n{}", n.as_f64().unwrap_or(f64::NAN)),
                Literal::Bool(b) => format!("n{}", u8::from(*b)),
            })
            .collect();
        let wanted = self.bind(Param::Int(distinct.len() as i64));
        format!(
            "({is_array} AND (SELECT COUNT(DISTINCT {alias}.value) FROM {source} WHERE {alias}.value IN (SELECT value FROM json_each({list}))) = {wanted})"
        )
    }

    /// A custom-field value that is an object, or an array whose object elements are tried in
    /// turn: both become a list to walk, so `inner` is compiled once (nesting stays linear).
    /// Only object elements reach `inner`: JSON functions would fail on plain text.
    fn within(&mut self, base: &Base, path: &Path, inner: &Cond) -> String {
        let json_type = self.json_type(base, path);
        let value = format!(
            "json_extract({}, {})",
            self.document(base),
            json_path(&path.keys)
        );
        let alias = self.alias();
        let inner = self.cond(inner, &Base::Json(format!("{alias}.value")));
        format!(
            "EXISTS (SELECT 1 FROM json_each(CASE {json_type} WHEN 'object' THEN json_array(json({value})) \
             WHEN 'array' THEN {value} ELSE '[]' END) AS {alias} \
             WHERE CASE WHEN {alias}.type = 'object' THEN ({inner}) END)"
        )
    }

    fn join(&mut self, items: &[Cond], base: &Base, separator: &str) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|c| format!("({})", self.cond(c, base)))
            .collect();
        parts.join(separator)
    }

    fn compare(&mut self, base: &Base, path: &Path, op: CmpOp, value: &Literal) -> String {
        let expr = self.value(base, path);
        if path.kind != Kind::Any {
            return format!("{expr} {} {}", op.sql(), self.literal(value));
        }
        // A custom field holds whatever JSON it holds: compare only values of the literal's type.
        let json_type = self.json_type(base, path);
        match value {
            Literal::Bool(b) => {
                let wanted = if (*b) == (op == CmpOp::Eq) {
                    "true"
                } else {
                    "false"
                };
                format!("{json_type} = '{wanted}'")
            }
            Literal::Str(_) => format!(
                "({json_type} = 'text' AND {expr} {} {})",
                op.sql(),
                self.literal(value)
            ),
            Literal::Num(_) => format!(
                "({json_type} IN ('integer', 'real') AND {expr} {} {})",
                op.sql(),
                self.literal(value)
            ),
        }
    }

    /// True if the predicate pins an indexed, selective column (`=` or `in` at the top level):
    /// then finding the few matches by that index and sorting them beats walking an index in
    /// sort order.
    fn selective(&self, cond: &Cond) -> bool {
        match cond {
            Cond::And(items) => items.iter().any(|c| self.selective(c)),
            Cond::Compare {
                path,
                op: CmpOp::Eq,
                ..
            }
            | Cond::In {
                path,
                negated: false,
                ..
            } => self
                .table
                .column(&path.keys)
                .is_some_and(|c| self.table.selective.contains(&c)),
            _ => false,
        }
    }

    /// `ORDER BY …, id`. For a selective predicate the sort terms get SQLite's unary `+`,
    /// which keeps the planner from walking an index in sort order (without statistics it
    /// would rather walk the whole project in id order than sort a handful of rows).
    fn order_by(&self, sort: &[SortKey], filter: Option<&Cond>) -> String {
        let plus = if filter.is_some_and(|c| self.selective(c)) {
            "+"
        } else {
            ""
        };
        let mut keys: Vec<String> = sort
            .iter()
            .map(|key| {
                let direction = if key.descending { "DESC" } else { "ASC" };
                format!("{plus}{} {direction}", self.value(&Base::Row, &key.path))
            })
            .collect();
        let tie = if sort.last().is_some_and(|k| k.descending) {
            "DESC"
        } else {
            "ASC"
        };
        keys.push(format!("{plus}{} {tie}", self.qualified("id")));
        keys.join(", ")
    }

    /// `WHERE …` shared by the page and the total: project, store visibility, predicate.
    fn filter(&mut self, project: &str, store: Option<&str>, cond: Option<&Cond>) -> String {
        let project_column = self.qualified("project");
        let mut clauses = vec![format!(
            "{project_column} = {}",
            self.bind(Param::Text(project.into()))
        )];
        if let Some(store) = store {
            if let Some(clause) = self.store_clause(project, store) {
                clauses.push(clause);
            }
        }
        if let Some(cond) = cond {
            clauses.push(format!("({})", self.cond(cond, &Base::Row)));
        }
        clauses.join(" AND ")
    }

    /// The condition that keeps the rows `store` sees, if the table has stores.
    fn store_clause(&mut self, project: &str, store: &str) -> Option<String> {
        match self.table.stores {
            StoreRows::All => None,
            StoreRows::OwnOrNone(stores) => {
                let stores = self.qualified(stores);
                Some(format!(
                    "({stores} = '[]' OR EXISTS (SELECT 1 FROM json_each({stores}) AS js WHERE js.value = {}))",
                    self.bind(Param::Text(store.into()))
                ))
            }
            StoreRows::UnitTree => {
                let key = self.qualified("key");
                // The placeholders in the order `unit_tree_sql` uses them.
                let sql = unit_tree_sql(
                    self.bind(Param::Text(project.into())),
                    self.bind(Param::Text(store.into())),
                    self.bind(Param::Text(project.into())),
                );
                Some(format!("{key} IN ({sql})"))
            }
        }
    }

    fn finish(self, sql: String) -> Result<Statement, ApiError> {
        if self.params.len() > MAX_PARAMS || sql.len() > MAX_SQL_LEN {
            return Err(ApiError::InvalidInput {
                message: format!(
                    "The query is too complex: it needs {} values and {} bytes of SQL; at most {MAX_PARAMS} values fit. Use lists ('in', 'contains') or variables for many values.",
                    self.params.len(),
                    sql.len()
                ),
            });
        }
        Ok(Statement::new(sql, self.params))
    }
}

/// The keys of the business units in a store (`project`, `store` and `project_again` are the
/// placeholders of the bound values, in the order the SQL uses them):
/// those listing it, and, walking down through units without stores of their own, the
/// `FromParent` ones (which inherit from the nearest ancestor with stores). At most
/// [`crate::domain::business_unit::MAX_DEPTH`] levels, with room to spare.
pub fn unit_tree_sql(project: &str, store: &str, project_again: &str) -> String {
    format!(
        "WITH RECURSIVE in_store(key, member, n) AS ( \
           SELECT u.key, 1, 0 FROM business_units u WHERE u.project = {project} \
             AND EXISTS (SELECT 1 FROM json_each(u.stores) AS us WHERE us.value = {store}) \
           UNION ALL SELECT b.key, json_extract(b.doc, '$.storeMode') = 'FromParent', in_store.n + 1 \
             FROM business_units b JOIN in_store ON b.project = {project_again} AND b.parent_key = in_store.key \
             WHERE b.stores = '[]' AND in_store.n < 7 \
         ) SELECT key FROM in_store WHERE member = 1"
    )
}

/// The page (and the total, if asked for) of `query` over `table` in `project`, seen from
/// `store`.
pub fn compile(
    table: &QueryTable,
    project: &str,
    store: Option<&str>,
    query: &Query,
) -> Result<Compiled, ApiError> {
    let mut compiler = Compiler::new(table);
    let filter = compiler.filter(project, store, query.filter.as_ref());
    let order = compiler.order_by(&query.sort, query.filter.as_ref());
    let limit = compiler.bind(Param::Int(i64::from(query.limit)));
    let offset = compiler.bind(Param::Int(i64::from(query.offset)));
    let name = table.name;
    let page = compiler.finish(format!(
        "SELECT {name}.doc AS doc FROM {name} WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    ))?;
    let total = if query.with_total {
        Some(total(table, project, store, query.filter.as_ref())?)
    } else {
        None
    };
    Ok(Compiled { page, total })
}

/// A query over several databases (customers spread over shards): each database answers the
/// ids and sort keys (`s0`, `s1`, …, the id last) of its first `offset + limit` rows in query
/// order; the Worker merges them (`store::shards::merge`) and reads the page's documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Scattered {
    pub ranked: Statement,
    /// The direction of each sort key, the id last.
    pub descending: Vec<bool>,
    /// Each database's (capped) count, when the total is asked for.
    pub total: Option<Statement>,
}

/// The [`Scattered`] form of [`compile`].
pub fn compile_scattered(
    table: &QueryTable,
    project: &str,
    store: Option<&str>,
    query: &Query,
) -> Result<Scattered, ApiError> {
    let mut compiler = Compiler::new(table);
    let id = compiler.qualified("id");
    // The sort values bind nothing, so the placeholders keep their order.
    let mut select: Vec<String> = query
        .sort
        .iter()
        .enumerate()
        .map(|(i, key)| format!("{} AS s{i}", compiler.value(&Base::Row, &key.path)))
        .collect();
    select.push(format!("{id} AS s{}", query.sort.len()));
    select.push(format!("{id} AS id"));
    let filter = compiler.filter(project, store, query.filter.as_ref());
    let order = compiler.order_by(&query.sort, query.filter.as_ref());
    let rows = i64::from(query.limit) + i64::from(query.offset);
    let limit = compiler.bind(Param::Int(rows));
    let name = table.name;
    let ranked = compiler.finish(format!(
        "SELECT {} FROM {name} WHERE {filter} ORDER BY {order} LIMIT {limit}",
        select.join(", ")
    ))?;
    let mut descending: Vec<bool> = query.sort.iter().map(|k| k.descending).collect();
    descending.push(query.sort.last().is_some_and(|k| k.descending));
    let total = if query.with_total {
        Some(total(table, project, store, query.filter.as_ref())?)
    } else {
        None
    };
    Ok(Scattered {
        ranked,
        descending,
        total,
    })
}

/// `SELECT COUNT(*) AS total …`. With a predicate, the total is capped (as commercetools
/// caps it), which bounds the cost of counting over fields that are not indexed.
fn total(
    table: &QueryTable,
    project: &str,
    store: Option<&str>,
    cond: Option<&Cond>,
) -> Result<Statement, ApiError> {
    let mut compiler = Compiler::new(table);
    let filter = compiler.filter(project, store, cond);
    let name = table.name;
    let sql = if cond.is_some() {
        let cap = compiler.bind(Param::Int(i64::from(MAX_FILTERED_TOTAL)));
        format!("SELECT COUNT(*) AS total FROM (SELECT 1 FROM {name} WHERE {filter} LIMIT {cap})")
    } else {
        format!("SELECT COUNT(*) AS total FROM {name} WHERE {filter}")
    };
    compiler.finish(sql)
}

/// `SELECT 1 …` for HEAD: does any row match?
pub fn exists(
    table: &QueryTable,
    project: &str,
    store: Option<&str>,
    cond: Option<&Cond>,
) -> Result<Statement, ApiError> {
    let mut compiler = Compiler::new(table);
    let filter = compiler.filter(project, store, cond);
    let name = table.name;
    compiler.finish(format!(
        "SELECT 1 AS found FROM {name} WHERE {filter} LIMIT 1"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scattered_query_ranks_ids_and_sort_keys() {
        let pairs = vec![
            ("where".to_string(), "lastName = \"x\"".to_string()),
            ("sort".to_string(), "lastModifiedAt desc".to_string()),
            ("limit".to_string(), "20".to_string()),
            ("offset".to_string(), "10".to_string()),
        ];
        let query = from_params(&pairs, FIELDS).unwrap();
        let s = compile_scattered(&QUERY_TABLE, "p", None, &query).unwrap();
        assert_eq!(
            s.ranked.sql,
            "SELECT customers.last_modified_at AS s0, customers.id AS s1, customers.id AS id FROM customers WHERE customers.project = ? AND (customers.last_name = ?) ORDER BY +customers.last_modified_at DESC, +customers.id DESC LIMIT ?"
        );
        assert_eq!(s.ranked.params.last(), Some(&Param::Int(30)));
        assert_eq!(s.descending, vec![true, true]);
        assert!(s.total.is_some());
    }
    use crate::domain::customer::schema::FIELDS;
    use crate::domain::query::from_params;
    use crate::store::customer_table::QUERY_TABLE;

    fn compiled(pairs: &[(&str, &str)], store: Option<&str>) -> Result<Compiled, ApiError> {
        let params: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        compile(&QUERY_TABLE, "demo", store, &from_params(&params, FIELDS)?)
    }

    fn placeholders(sql: &str) -> usize {
        sql.matches('?').count()
    }

    #[test]
    fn indexed_fields_use_their_columns() {
        let c = compiled(&[("where", "key = \"k\""), ("withTotal", "false")], None).unwrap();
        assert_eq!(
            c.page.sql,
            "SELECT customers.doc AS doc FROM customers WHERE customers.project = ? AND (customers.key = ?) ORDER BY +customers.id ASC LIMIT ? OFFSET ?"
        );
        assert_eq!(
            c.page.params,
            vec![
                Param::Text("demo".into()),
                Param::Text("k".into()),
                Param::Int(20),
                Param::Int(0)
            ]
        );
        assert!(c.total.is_none());
        for (field, column) in [
            ("id", "id"),
            ("email", "email"),
            ("lowercaseEmail", "lowercase_email"),
            ("customerNumber", "customer_number"),
            ("externalId", "external_id"),
            ("firstName", "first_name"),
            ("lastName", "last_name"),
            ("companyName", "company_name"),
            ("middleName", "middle_name"),
            ("vatId", "vat_id"),
        ] {
            let c = compiled(&[("where", &format!("{field} = \"x\""))], None).unwrap();
            assert!(
                c.page.sql.contains(&format!("customers.{column} = ?")),
                "{field}"
            );
        }
        let c = compiled(&[("where", "dateOfBirth = \"1990-01-31\"")], None).unwrap();
        assert!(c.page.sql.contains("customers.date_of_birth = ?"));
        let c = compiled(&[("where", "customerGroup(id = \"g\")")], None).unwrap();
        assert!(c.page.sql.contains("customers.customer_group_id = ?"));
        let c = compiled(&[("where", "isEmailVerified = true")], None).unwrap();
        assert!(c.page.params.contains(&Param::Int(1)));
    }

    #[test]
    fn other_fields_are_read_from_the_document() {
        let c = compiled(&[("where", "title = \"M\"")], None).unwrap();
        assert!(c
            .page
            .sql
            .contains("json_extract(customers.doc, '$.\"title\"') = ?"));
        let c = compiled(&[("where", "addresses(city = \"Berlin\")")], None).unwrap();
        assert!(c.page.sql.contains("EXISTS (SELECT 1 FROM json_each(customers.doc, '$.\"addresses\"') AS j1 WHERE json_extract(j1.value, '$.\"city\"') = ?)"));
        // Inside an element, top-level column names do not apply.
        let c = compiled(&[("where", "addresses(id = \"a\")")], None).unwrap();
        assert!(!c.page.sql.contains("customers.id = ?"));
    }

    #[test]
    fn every_value_is_a_parameter() {
        let sneaky = "x' OR 1=1 --";
        let where_ = format!("firstName = \"{sneaky}\" or custom(fields(f in (\"{sneaky}\")))");
        let c = compiled(&[("where", &where_)], Some("s1")).unwrap();
        assert!(!c.page.sql.contains("OR 1=1"));
        assert_eq!(placeholders(&c.page.sql), c.page.params.len());
        let total = c.total.unwrap();
        assert_eq!(placeholders(&total.sql), total.params.len());
    }

    #[test]
    fn lists_are_one_parameter() {
        let values: Vec<String> = (0..1000).map(|i| format!("\"k{i}\"")).collect();
        let where_ = format!("key in ({})", values.join(", "));
        let c = compiled(&[("where", &where_)], None).unwrap();
        assert_eq!(c.page.params.len(), 4);
        assert!(
            matches!(&c.page.params[1], Param::Text(json) if json.starts_with("[\"k0\",\"k1\""))
        );
    }

    /// Compiles a predicate that the query's cost limits would refuse, to test the
    /// compiler's own limits behind them.
    fn compiled_unchecked(predicate: &str) -> Result<Compiled, ApiError> {
        let mut query = from_params(&[], FIELDS).unwrap();
        query.filter = Some(crate::domain::predicate::condition(predicate, &[], FIELDS)?);
        compile(&QUERY_TABLE, "demo", None, &query)
    }

    #[test]
    fn too_many_values_is_a_clear_400() {
        let leaves: Vec<String> = (0..120).map(|i| format!("key = \"k{i}\"")).collect();
        let err = compiled_unchecked(&leaves.join(" or ")).unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidInput { ref message } if message.contains("too complex"))
        );
    }

    #[test]
    fn nested_custom_objects_compile_to_linear_sql() {
        let mut predicate = String::from("b = 1");
        for _ in 0..30 {
            predicate = format!("a({predicate})");
        }
        let c = compiled_unchecked(&format!("custom(fields({predicate}))")).unwrap();
        assert!(c.page.sql.len() < 20_000, "{} bytes", c.page.sql.len());
        assert_eq!(placeholders(&c.page.sql), c.page.params.len());
    }

    #[test]
    fn selective_predicates_sort_their_few_matches() {
        let c = compiled(
            &[
                ("where", "email = \"a@b.c\" and title = \"x\""),
                ("sort", "lastModifiedAt desc"),
            ],
            None,
        )
        .unwrap();
        assert!(c
            .page
            .sql
            .contains("ORDER BY +customers.last_modified_at DESC, +customers.id DESC"));
        for unselective in [
            "isEmailVerified = true",
            "title = \"x\"",
            "email != \"a\"",
            "firstName = \"a\" or lastName = \"b\"",
        ] {
            let c = compiled(&[("where", unselective)], None).unwrap();
            assert!(
                c.page.sql.contains("ORDER BY customers.id ASC"),
                "{unselective}"
            );
        }
    }

    #[test]
    fn sorts_end_with_the_id_in_the_last_direction() {
        let c = compiled(&[("sort", "lastModifiedAt desc")], None).unwrap();
        assert!(c
            .page
            .sql
            .contains("ORDER BY customers.last_modified_at DESC, customers.id DESC"));
        let c = compiled(
            &[
                ("sort", "custom.fields.tier asc"),
                ("sort", "createdAt desc"),
                ("sort", "firstName asc"),
            ],
            None,
        )
        .unwrap();
        assert!(c.page.sql.contains(
            "ORDER BY json_extract(customers.doc, '$.\"custom\".\"fields\".\"tier\"') ASC, customers.created_at DESC, customers.first_name ASC, customers.id ASC"
        ));
    }

    #[test]
    fn in_store_queries_see_the_store_and_storeless_customers() {
        let c = compiled(&[], Some("eu")).unwrap();
        assert!(c.page.sql.contains("customers.stores = '[]' OR EXISTS"));
        assert_eq!(c.page.params[1], Param::Text("eu".into()));
        let total = c.total.unwrap();
        assert!(total
            .sql
            .starts_with("SELECT COUNT(*) AS total FROM customers WHERE"));
    }

    #[test]
    fn filtered_totals_are_capped() {
        let c = compiled(&[("where", "firstName = \"a\"")], None).unwrap();
        let total = c.total.unwrap();
        assert!(total.sql.contains("LIMIT ?)"));
        assert_eq!(total.params.last(), Some(&Param::Int(10_000)));
    }

    #[test]
    fn head_asks_for_one_row() {
        let s = exists(&QUERY_TABLE, "demo", None, None).unwrap();
        assert_eq!(
            s.sql,
            "SELECT 1 AS found FROM customers WHERE customers.project = ? LIMIT 1"
        );
    }
}

/// No input, however hostile, may panic the predicate parser, the resolver or the compiler;
/// whatever compiles binds exactly as many values as it has placeholders.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::customer::schema::FIELDS;
    use crate::domain::query::from_params;
    use crate::store::customer_table::QUERY_TABLE;

    const TOKENS: &[&str] = &[
        "firstName",
        "lastName",
        "version",
        "isEmailVerified",
        "addresses",
        "city",
        "custom",
        "fields",
        "x",
        "stores",
        "key",
        "createdAt",
        "dateOfBirth",
        "shippingAddressIds",
        "customerGroup",
        "id",
        "=",
        "!=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "not",
        "in",
        "contains",
        "any",
        "all",
        "is",
        "empty",
        "defined",
        "(",
        ")",
        ",",
        "\"a\"",
        "\"\\\"\"",
        "'b'",
        "1",
        "-2.5",
        "1e3",
        "true",
        "false",
        ":v",
        ":list",
        "\"2024-01-01\"",
        "\"2024-01-01T00:00:00Z\"",
        "within",
        "\\",
        "\"",
        "'",
    ];

    fn check(text: &str) {
        let params = vec![
            ("where".to_string(), text.to_string()),
            ("var.v".to_string(), "1".to_string()),
            ("var.list".to_string(), "a".to_string()),
            ("var.list".to_string(), "b".to_string()),
            ("sort".to_string(), "firstName asc".to_string()),
        ];
        if let Ok(query) = from_params(&params, FIELDS) {
            for store in [None, Some("s1")] {
                if let Ok(compiled) = compile(&QUERY_TABLE, "demo", store, &query) {
                    for statement in std::iter::once(&compiled.page).chain(compiled.total.as_ref())
                    {
                        assert_eq!(
                            statement.sql.matches('?').count(),
                            statement.params.len(),
                            "{text}"
                        );
                    }
                }
            }
            let _ = exists(&QUERY_TABLE, "demo", None, query.filter.as_ref());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            check(&text);
        }

        #[test]
        fn grammar_shaped_text_never_panics(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40)) {
            check(&tokens.join(" "));
        }

        #[test]
        fn sort_text_never_panics(text in "[a-zA-Z.]{0,40} ?(asc|desc|[a-z]{0,5})") {
            let _ = from_params(&[("sort".to_string(), text)], FIELDS);
        }
    }
}
