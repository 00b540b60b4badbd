//! Compiles a customer query to D1 SQL. Every value is a bound parameter; only names that
//! come from the schema or from identifiers the predicate lexer allows (`[A-Za-z0-9_-]`) are
//! written into the statement, inside quoted JSON paths.
//!
//! The looked-up and sorted fields are real, indexed columns; everything else is reached in
//! the JSON document with `json_extract` / `json_each`. Lists (`in`, `contains`) travel as one
//! JSON-array parameter, so long lists do not run into D1's 100-parameter limit. Every sort
//! ends with the id in the direction of the last key, so paging is stable and the
//! `(project, column, id)` indexes serve it.

use super::super::domain::error::ApiError;
use super::super::domain::predicate::{CmpOp, Cond, Kind, Literal, Path, SortKey};
use super::super::domain::query::{CustomerQuery, MAX_FILTERED_TOTAL};

/// D1 binds at most this many parameters per statement.
pub const MAX_PARAMS: usize = 100;
/// D1 statements may be at most 100 KB long; stay well below.
const MAX_SQL_LEN: usize = 90_000;

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
    Real(f64),
    Null,
}

impl Param {
    /// The value written as an SQL literal. Only for tools that write SQL files (the bench
    /// seeder) or read query plans; the Worker always binds.
    pub fn sql_literal(&self) -> String {
        match self {
            Param::Text(t) => format!("'{}'", t.replace('\'', "''")),
            Param::Int(i) => i.to_string(),
            Param::Real(f) => f.to_string(),
            Param::Null => "NULL".into(),
        }
    }
}

/// SQL text with its parameters, in order of their `?`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

/// The statements that answer a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// `SELECT doc …` for the page.
    pub page: Statement,
    /// `SELECT COUNT(*) AS total …`, when the total is asked for.
    pub total: Option<Statement>,
}

/// The indexed column holding a top-level field, if any.
fn column(keys: &[String]) -> Option<&'static str> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    Some(match keys.as_slice() {
        ["id"] => "id",
        ["version"] => "version",
        ["key"] => "key",
        ["customerNumber"] => "customer_number",
        ["externalId"] => "external_id",
        ["email"] => "email",
        ["lowercaseEmail"] => "lowercase_email",
        ["firstName"] => "first_name",
        ["lastName"] => "last_name",
        ["companyName"] => "company_name",
        ["isEmailVerified"] => "is_email_verified",
        ["customerGroup", "id"] => "customer_group_id",
        ["createdAt"] => "created_at",
        ["lastModifiedAt"] => "last_modified_at",
        _ => return None,
    })
}

/// What paths are relative to: the customer row, or a JSON value (an array element, an
/// object inside a custom field).
#[derive(Clone)]
enum Base {
    Row,
    Json(String),
}

impl Base {
    fn document(&self) -> &str {
        match self {
            Base::Row => "customers.doc",
            Base::Json(expr) => expr,
        }
    }
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

struct Compiler {
    params: Vec<Param>,
    aliases: usize,
}

impl Compiler {
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

    fn value(&self, base: &Base, path: &Path) -> String {
        match (base, column(&path.keys)) {
            (Base::Row, Some(column)) => format!("customers.{column}"),
            _ => format!(
                "json_extract({}, {})",
                base.document(),
                json_path(&path.keys)
            ),
        }
    }

    fn json_type(&self, base: &Base, path: &Path) -> String {
        format!("json_type({}, {})", base.document(), json_path(&path.keys))
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
                format!(
                    "{value} {not}IN (SELECT value FROM json_each({}))",
                    self.list(values)
                )
            }
            Cond::Defined { path, defined } => {
                let test = if *defined { "<>" } else { "=" };
                match (base, column(&path.keys)) {
                    (Base::Row, Some(column)) => {
                        let is = if *defined { "IS NOT NULL" } else { "IS NULL" };
                        format!("customers.{column} {is}")
                    }
                    _ => format!(
                        "COALESCE({}, 'null') {test} 'null'",
                        self.json_type(base, path)
                    ),
                }
            }
            Cond::Empty { path, empty } => {
                let length = if *empty { "= 0" } else { "> 0" };
                format!(
                    "({} = 'array' AND json_array_length({}, {}) {length})",
                    self.json_type(base, path),
                    base.document(),
                    json_path(&path.keys)
                )
            }
            Cond::Holds { path, values, all } => {
                let alias = self.alias();
                let source = format!(
                    "json_each({}, {}) AS {alias}",
                    base.document(),
                    json_path(&path.keys)
                );
                let is_array = format!("{} = 'array'", self.json_type(base, path));
                let list = self.list(values);
                if *all {
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
                } else {
                    format!(
                        "({is_array} AND EXISTS (SELECT 1 FROM {source} WHERE {alias}.value IN (SELECT value FROM json_each({list}))))"
                    )
                }
            }
            Cond::Element { path, inner } => {
                let alias = self.alias();
                let inner = self.cond(inner, &Base::Json(format!("{alias}.value")));
                format!(
                    "EXISTS (SELECT 1 FROM json_each({}, {}) AS {alias} WHERE {inner})",
                    base.document(),
                    json_path(&path.keys)
                )
            }
            Cond::Within { path, inner } => {
                // An object, or an array whose object elements are tried in turn: both become
                // a list to walk, so `inner` is compiled once (nesting stays linear). Only
                // object elements reach `inner`: JSON functions would fail on plain text.
                let json_type = self.json_type(base, path);
                let value = format!(
                    "json_extract({}, {})",
                    base.document(),
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
        }
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
}

/// Columns whose equality narrows a query to a few customers (unique, or nearly: names). A
/// customer group may hold most customers, so it is not one of them.
const SELECTIVE_COLUMNS: [&str; 9] = [
    "id",
    "key",
    "customer_number",
    "email",
    "lowercase_email",
    "external_id",
    "first_name",
    "last_name",
    "company_name",
];

/// True if the predicate pins an indexed, selective column (`=` or `in` at the top level):
/// then finding the few matches by that index and sorting them beats walking an index in
/// sort order.
fn selective(cond: &Cond) -> bool {
    match cond {
        Cond::And(items) => items.iter().any(selective),
        Cond::Compare {
            path,
            op: CmpOp::Eq,
            ..
        }
        | Cond::In {
            path,
            negated: false,
            ..
        } => column(&path.keys).is_some_and(|c| SELECTIVE_COLUMNS.contains(&c)),
        _ => false,
    }
}

/// `ORDER BY …, id`. For a selective predicate the sort terms get SQLite's unary `+`, which
/// keeps the planner from walking an index in sort order (without statistics it would rather
/// walk the whole project in id order than sort a handful of rows).
fn order_by(compiler: &Compiler, sort: &[SortKey], filter: Option<&Cond>) -> String {
    let plus = if filter.is_some_and(selective) {
        "+"
    } else {
        ""
    };
    let mut keys: Vec<String> = sort
        .iter()
        .map(|key| {
            let direction = if key.descending { "DESC" } else { "ASC" };
            format!(
                "{plus}{} {direction}",
                compiler.value(&Base::Row, &key.path)
            )
        })
        .collect();
    let tie = if sort.last().is_some_and(|k| k.descending) {
        "DESC"
    } else {
        "ASC"
    };
    keys.push(format!("{plus}customers.id {tie}"));
    keys.join(", ")
}

/// `WHERE …` shared by the page and the total: project, store visibility, predicate.
fn filter(
    compiler: &mut Compiler,
    project: &str,
    store: Option<&str>,
    cond: Option<&Cond>,
) -> String {
    let mut clauses = vec![format!(
        "customers.project = {}",
        compiler.bind(Param::Text(project.into()))
    )];
    if let Some(store) = store {
        // In-store queries see the store's customers and the customers without stores.
        clauses.push(format!(
            "(customers.stores = '[]' OR EXISTS (SELECT 1 FROM json_each(customers.stores) AS js WHERE js.value = {}))",
            compiler.bind(Param::Text(store.into()))
        ));
    }
    if let Some(cond) = cond {
        clauses.push(format!("({})", compiler.cond(cond, &Base::Row)));
    }
    clauses.join(" AND ")
}

fn finish(compiler: Compiler, sql: String) -> Result<Statement, ApiError> {
    if compiler.params.len() > MAX_PARAMS || sql.len() > MAX_SQL_LEN {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The query is too complex: it needs {} values and {} bytes of SQL; at most {MAX_PARAMS} values fit. Use lists ('in', 'contains') or variables for many values.",
                compiler.params.len(),
                sql.len()
            ),
        });
    }
    Ok(Statement {
        sql,
        params: compiler.params,
    })
}

/// The page (and the total, if asked for) of `query` in `project`, seen from `store`.
pub fn compile(
    project: &str,
    store: Option<&str>,
    query: &CustomerQuery,
) -> Result<Compiled, ApiError> {
    let mut compiler = Compiler {
        params: Vec::new(),
        aliases: 0,
    };
    let filter_sql = filter(&mut compiler, project, store, query.filter.as_ref());
    let order = order_by(&compiler, &query.sort, query.filter.as_ref());
    let limit = compiler.bind(Param::Int(i64::from(query.limit)));
    let offset = compiler.bind(Param::Int(i64::from(query.offset)));
    let page = finish(
        compiler,
        format!("SELECT customers.doc AS doc FROM customers WHERE {filter_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"),
    )?;
    let total = if query.with_total {
        let mut compiler = Compiler {
            params: Vec::new(),
            aliases: 0,
        };
        let filter_sql = filter(&mut compiler, project, store, query.filter.as_ref());
        let sql = if query.filter.is_some() {
            // With a predicate, the total is capped (as commercetools caps it), which bounds
            // the cost of counting over fields that are not indexed.
            let cap = compiler.bind(Param::Int(i64::from(MAX_FILTERED_TOTAL)));
            format!("SELECT COUNT(*) AS total FROM (SELECT 1 FROM customers WHERE {filter_sql} LIMIT {cap})")
        } else {
            format!("SELECT COUNT(*) AS total FROM customers WHERE {filter_sql}")
        };
        Some(finish(compiler, sql)?)
    } else {
        None
    };
    Ok(Compiled { page, total })
}

/// `SELECT 1 …` for HEAD: does any customer match?
pub fn exists(
    project: &str,
    store: Option<&str>,
    cond: Option<&Cond>,
) -> Result<Statement, ApiError> {
    let mut compiler = Compiler {
        params: Vec::new(),
        aliases: 0,
    };
    let filter_sql = filter(&mut compiler, project, store, cond);
    finish(
        compiler,
        format!("SELECT 1 AS found FROM customers WHERE {filter_sql} LIMIT 1"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::from_params;

    fn compiled(pairs: &[(&str, &str)], store: Option<&str>) -> Result<Compiled, ApiError> {
        let params: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        compile("demo", store, &from_params(&params)?)
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
        ] {
            let c = compiled(&[("where", &format!("{field} = \"x\""))], None).unwrap();
            assert!(
                c.page.sql.contains(&format!("customers.{column} = ?")),
                "{field}"
            );
        }
        let c = compiled(&[("where", "customerGroup(id = \"g\")")], None).unwrap();
        assert!(c.page.sql.contains("customers.customer_group_id = ?"));
        let c = compiled(&[("where", "isEmailVerified = true")], None).unwrap();
        assert!(c.page.params.contains(&Param::Int(1)));
    }

    #[test]
    fn other_fields_are_read_from_the_document() {
        let c = compiled(&[("where", "middleName = \"M\"")], None).unwrap();
        assert!(c
            .page
            .sql
            .contains("json_extract(customers.doc, '$.\"middleName\"') = ?"));
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
        let mut query = from_params(&[]).unwrap();
        query.filter = Some(crate::domain::predicate::condition(predicate, &[])?);
        compile("demo", None, &query)
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
                ("where", "email = \"a@b.c\" and middleName = \"x\""),
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
            "middleName = \"x\"",
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
        let s = exists("demo", None, None).unwrap();
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
    use crate::domain::query::from_params;

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
        if let Ok(query) = from_params(&params) {
            for store in [None, Some("s1")] {
                if let Ok(compiled) = compile("demo", store, &query) {
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
            let _ = exists("demo", None, query.filter.as_ref());
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
            let _ = from_params(&[("sort".to_string(), text)]);
        }
    }
}
