//! Customer Search (and Business Unit Search): the request, its query language and its
//! limits, parsed and checked against a resource's searchable fields. Pure: the store compiles
//! a checked [`SearchRequest`] to SQL (`store::search_sql`).
//!
//! Request: `{query?, sort?, limit? (1–100, 20), offset? (0–9900, 0)}`; a query is an object
//! with one key: `and`, `or`, `not`, `filter` (arrays of queries) or a simple expression
//! (`exact`, `fullText`, `fullTextPrefix`, `prefix`, `wildcard`, `range`, `exists`, `fuzzy`)
//! on a `field`. Every mistake is a 400 `InvalidInput` naming where it is (`query.and[1].exact`).

pub mod fields;
pub mod text;

use serde_json::{Map, Value};

use crate::domain::error::ApiError;
use fields::{Field, FieldType, Schema};

/// Most expressions (simple and compound) in one query.
pub const MAX_EXPRESSIONS: usize = 50;
/// Longest string value (characters).
pub const MAX_STRING: usize = 256;
/// Most values of one `exact`.
pub const MAX_VALUES: usize = 100;
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_OFFSET: u32 = 9900;

/// A checked search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: Option<Query>,
    pub sort: Vec<Sort>,
    pub limit: u32,
    pub offset: u32,
}

/// A query expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    And(Vec<Query>),
    Or(Vec<Query>),
    /// Matches what matches none of these.
    Not(Vec<Query>),
    /// Restricts like `and`, without scoring.
    Filter(Vec<Query>),
    Simple(Simple),
}

/// A simple expression on one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Simple {
    pub field: Field,
    pub boost: f64,
    pub test: Test,
}

/// A comparable value, normalized to the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
}

/// What a simple expression tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Exact {
        values: Vec<Scalar>,
        case_insensitive: bool,
    },
    /// Full text: the terms (all or any must match); with `prefix`, the last term is a prefix.
    FullText {
        terms: Vec<String>,
        all: bool,
        prefix: bool,
    },
    /// Each term within its level of edits.
    Fuzzy {
        terms: Vec<(String, u8)>,
        all: bool,
    },
    Prefix {
        value: String,
        case_insensitive: bool,
    },
    /// `*` any run, `?` one character.
    Wildcard {
        value: String,
        case_insensitive: bool,
    },
    Range {
        gt: Option<Scalar>,
        gte: Option<Scalar>,
        lt: Option<Scalar>,
        lte: Option<Scalar>,
    },
    Exists,
}

/// One sort criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// `None`: by relevance (`score`).
    pub field: Option<Field>,
    pub descending: bool,
    /// For set fields: `min`, `max`, `avg`, `sum` (default: min ascending, max descending).
    pub mode: Option<String>,
    /// Only the field's values this query holds for count (`sort[].filter`): simple
    /// expressions on the sort field itself (not full text) and compounds of them, each
    /// tested against one value at a time.
    pub filter: Option<Query>,
}

fn invalid(at: &str, problem: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidInput {
        message: format!("Invalid search request: {at}: {problem}."),
    }
}

/// Parses and checks a request body against `schema`.
pub fn parse(body: &[u8], schema: &Schema) -> Result<SearchRequest, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::InvalidJsonInput {
            detail: e.to_string(),
        })?
    };
    let Value::Object(fields) = value else {
        return Err(invalid("body", "expected a JSON object"));
    };
    let mut parser = Parser { schema, count: 0 };
    let mut request = SearchRequest {
        query: None,
        sort: Vec::new(),
        limit: DEFAULT_LIMIT,
        offset: 0,
    };
    for (name, value) in &fields {
        match name.as_str() {
            "query" => request.query = Some(parser.query(value, "query")?),
            "sort" => request.sort = parser.sorts(value)?,
            "limit" => request.limit = paging(value, "limit", 1, MAX_LIMIT)?,
            "offset" => request.offset = paging(value, "offset", 0, MAX_OFFSET)?,
            other => return Err(invalid(other, "unknown field of a search request")),
        }
    }
    Ok(request)
}

fn paging(value: &Value, name: &str, min: u32, max: u32) -> Result<u32, ApiError> {
    value
        .as_u64()
        .filter(|n| (u64::from(min)..=u64::from(max)).contains(n))
        .map(|n| n as u32)
        .ok_or_else(|| invalid(name, format!("must be an integer from {min} to {max}")))
}

struct Parser<'a> {
    schema: &'a Schema,
    count: usize,
}

impl Parser<'_> {
    fn query(&mut self, value: &Value, at: &str) -> Result<Query, ApiError> {
        self.count += 1;
        if self.count > MAX_EXPRESSIONS {
            return Err(invalid(
                at,
                format!("a query may hold at most {MAX_EXPRESSIONS} expressions"),
            ));
        }
        let (kind, inner) = single_key(value, at)?;
        let at = format!("{at}.{kind}");
        match kind {
            "and" | "or" | "not" | "filter" => {
                let items = inner
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| invalid(&at, "expected a non-empty array of queries"))?;
                let children = items
                    .iter()
                    .enumerate()
                    .map(|(i, q)| self.query(q, &format!("{at}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(match kind {
                    "and" => Query::And(children),
                    "or" => Query::Or(children),
                    "not" => Query::Not(children),
                    _ => Query::Filter(children),
                })
            }
            _ => Ok(Query::Simple(self.simple(kind, inner, &at)?)),
        }
    }

    fn simple(&self, kind: &str, inner: &Value, at: &str) -> Result<Simple, ApiError> {
        let obj = inner
            .as_object()
            .ok_or_else(|| invalid(at, "expected an object"))?;
        let allowed: &[&str] = match kind {
            "exact" => &["value", "values", "caseInsensitive", "language"],
            "fullText" | "fullTextPrefix" => &["value", "mustMatch", "language"],
            "prefix" | "wildcard" => &["value", "caseInsensitive", "language"],
            "range" => &["gt", "gte", "lt", "lte"],
            "exists" => &["language"],
            "fuzzy" => &["value", "level", "mustMatch", "language"],
            other => return Err(invalid(at, format!("unknown expression '{other}'"))),
        };
        for key in obj.keys() {
            let common = ["field", "boost", "fieldType"].contains(&key.as_str());
            if !common && !allowed.contains(&key.as_str()) {
                return Err(invalid(at, format!("unknown property '{key}'")));
            }
        }
        let field_name = string(obj.get("field"), &format!("{at}.field"))?;
        let field_type = match obj.get("fieldType") {
            None => None,
            Some(v) => Some(string(Some(v), &format!("{at}.fieldType"))?),
        };
        let field = self
            .schema
            .field(&field_name, field_type.as_deref())
            .map_err(|problem| invalid(&format!("{at}.field"), problem))?;
        let field = localized(field, field_type.as_deref(), language(obj, at)?);
        let boost = match obj.get("boost") {
            None => 1.0,
            Some(b) => b
                .as_f64()
                .filter(|b| b.is_finite() && *b >= 0.0)
                .ok_or_else(|| invalid(&format!("{at}.boost"), "must be a number ≥ 0"))?,
        };
        let test = test(kind, obj, &field, at)?;
        Ok(Simple { field, boost, test })
    }

    fn sorts(&mut self, value: &Value) -> Result<Vec<Sort>, ApiError> {
        let items = value
            .as_array()
            .ok_or_else(|| invalid("sort", "expected an array"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, s)| self.sort(s, &format!("sort[{i}]")))
            .collect()
    }

    fn sort(&mut self, value: &Value, at: &str) -> Result<Sort, ApiError> {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid(at, "expected an object"))?;
        for key in obj.keys() {
            if !["field", "order", "mode", "language", "fieldType", "filter"]
                .contains(&key.as_str())
            {
                return Err(invalid(at, format!("unknown property '{key}'")));
            }
        }
        let name = string(obj.get("field"), &format!("{at}.field"))?;
        let descending = match string(obj.get("order"), &format!("{at}.order"))?.as_str() {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(invalid(
                    &format!("{at}.order"),
                    format!("'{other}' is not asc or desc"),
                ))
            }
        };
        let mode = match obj.get("mode") {
            None => None,
            Some(m) => {
                let mode = string(Some(m), &format!("{at}.mode"))?;
                if !["min", "max", "avg", "sum"].contains(&mode.as_str()) {
                    return Err(invalid(
                        &format!("{at}.mode"),
                        "must be min, max, avg or sum",
                    ));
                }
                Some(mode)
            }
        };
        if name == "score" {
            language(obj, at)?;
            if obj.contains_key("filter") {
                return Err(invalid(
                    &format!("{at}.filter"),
                    "a sort by score takes no filter",
                ));
            }
            return Ok(Sort {
                field: None,
                descending,
                mode,
                filter: None,
            });
        }
        let field_type = match obj.get("fieldType") {
            None => None,
            Some(v) => Some(string(Some(v), &format!("{at}.fieldType"))?),
        };
        let field = self
            .schema
            .field(&name, field_type.as_deref())
            .map_err(|p| invalid(&format!("{at}.field"), p))?;
        if field.fts == Some("") {
            return Err(invalid(&format!("{at}.field"), "cannot sort by 'all'"));
        }
        let field = localized(field, field_type.as_deref(), language(obj, at)?);
        let filter = match obj.get("filter") {
            None => None,
            Some(q) => {
                let at = format!("{at}.filter");
                let filter = self.query(q, &at)?;
                values_only(&filter, &field, &at)?;
                Some(filter)
            }
        };
        Ok(Sort {
            field: Some(field),
            descending,
            mode,
            filter,
        })
    }
}

/// The `language` of an expression or sort, if given: a locale (`de`, `en-US`), else 400.
fn language(obj: &Map<String, Value>, at: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = obj.get("language") else {
        return Ok(None);
    };
    let at = format!("{at}.language");
    let tag = string(Some(value), &at)?;
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok {
        return Err(invalid(
            &at,
            format!("'{tag}' is not a locale such as 'de' or 'en-US'"),
        ));
    }
    Ok(Some(tag))
}

/// The field an expression or sort with `language` reads: a localized custom field
/// (`fieldType` `ltext`, `set_ltext`: `custom.{name}.{language}`; `lenum`, `set_lenum`: the
/// label, `custom.{name}.label.{language}`). Customer and business-unit fields are not
/// localized: for them (and without `language`) the field stays as it is.
pub fn localized(field: Field, field_type: Option<&str>, language: Option<String>) -> Field {
    let (Some(ty), Some(language)) = (field_type, language) else {
        return field;
    };
    let name = match ty.strip_prefix("set_").unwrap_or(ty) {
        "ltext" => format!("{}.{language}", field.name),
        "lenum" => format!("{}.label.{language}", field.name),
        _ => return field,
    };
    Field { name, ..field }
}

/// Checks a sort filter: only value tests on the sort field itself (its values are tested
/// one at a time), and compounds of them.
fn values_only(query: &Query, field: &Field, at: &str) -> Result<(), ApiError> {
    match query {
        Query::And(c) | Query::Or(c) | Query::Not(c) | Query::Filter(c) => {
            c.iter().try_for_each(|q| values_only(q, field, at))
        }
        Query::Simple(s) if s.field.name != field.name => Err(invalid(
            at,
            format!(
                "a sort filter may only test the sort field '{}' (its values one at a time), not '{}'",
                field.name, s.field.name
            ),
        )),
        Query::Simple(Simple {
            test: Test::FullText { .. } | Test::Fuzzy { .. },
            ..
        }) => Err(invalid(
            at,
            "a sort filter takes exact, prefix, wildcard, range and exists expressions",
        )),
        Query::Simple(_) => Ok(()),
    }
}

/// The one key of a query object and its value.
fn single_key<'v>(value: &'v Value, at: &str) -> Result<(&'v str, &'v Value), ApiError> {
    match value.as_object() {
        Some(obj) if obj.len() == 1 => {
            let (k, v) = obj.iter().next().expect("one entry");
            Ok((k.as_str(), v))
        }
        _ => Err(invalid(
            at,
            "expected an object with exactly one expression",
        )),
    }
}

fn string(value: Option<&Value>, at: &str) -> Result<String, ApiError> {
    let s = value
        .ok_or_else(|| invalid(at, "missing"))?
        .as_str()
        .ok_or_else(|| invalid(at, "expected a string"))?;
    if s.chars().count() > MAX_STRING {
        return Err(invalid(
            at,
            format!("strings may hold at most {MAX_STRING} characters"),
        ));
    }
    Ok(s.to_string())
}

fn flag(obj: &Map<String, Value>, name: &str, at: &str) -> Result<bool, ApiError> {
    match obj.get(name) {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| invalid(&format!("{at}.{name}"), "expected a boolean")),
    }
}

fn must_match_all(obj: &Map<String, Value>, at: &str) -> Result<bool, ApiError> {
    match obj.get("mustMatch").map(|v| v.as_str()) {
        None => Ok(true),
        Some(Some("all")) => Ok(true),
        Some(Some("any")) => Ok(false),
        Some(_) => Err(invalid(&format!("{at}.mustMatch"), "must be all or any")),
    }
}

/// What the expression `kind` tests on `field`.
fn test(kind: &str, obj: &Map<String, Value>, field: &Field, at: &str) -> Result<Test, ApiError> {
    let wrong_type = || {
        invalid(
            &format!("{at}.field"),
            format!(
                "{kind} cannot be used on the {} field '{}'",
                field.ty.name(),
                if field.name.is_empty() {
                    "all"
                } else {
                    &field.name
                }
            ),
        )
    };
    let is_all = field.fts == Some("");
    match kind {
        "fullText" | "fullTextPrefix" | "fuzzy" if field.fts.is_none() => Err(wrong_type()),
        "exact" | "prefix" | "wildcard" | "range" | "exists" if is_all => Err(wrong_type()),
        "prefix" | "wildcard"
            if !matches!(
                field.ty,
                FieldType::Text | FieldType::Keyword | FieldType::Any
            ) =>
        {
            Err(wrong_type())
        }
        "range"
            if !matches!(
                field.ty,
                FieldType::Number | FieldType::Date | FieldType::DateTime | FieldType::Any
            ) =>
        {
            Err(wrong_type())
        }
        "fullText" | "fullTextPrefix" => Ok(Test::FullText {
            terms: text::terms(&string(obj.get("value"), &format!("{at}.value"))?),
            all: must_match_all(obj, at)?,
            prefix: kind == "fullTextPrefix",
        }),
        "fuzzy" => {
            let level = obj
                .get("level")
                .and_then(Value::as_u64)
                .filter(|l| *l <= 2)
                .ok_or_else(|| invalid(&format!("{at}.level"), "must be 0, 1 or 2"))?
                as u8;
            let terms = text::terms(&string(obj.get("value"), &format!("{at}.value"))?)
                .into_iter()
                .map(|t| {
                    let l = text::effective_level(&t, level);
                    (t, l)
                })
                .collect();
            Ok(Test::Fuzzy {
                terms,
                all: must_match_all(obj, at)?,
            })
        }
        "exact" => exact(obj, field, at),
        "prefix" | "wildcard" => {
            let value = string(obj.get("value"), &format!("{at}.value"))?;
            let case_insensitive = flag(obj, "caseInsensitive", at)?;
            Ok(if kind == "prefix" {
                Test::Prefix {
                    value,
                    case_insensitive,
                }
            } else {
                Test::Wildcard {
                    value,
                    case_insensitive,
                }
            })
        }
        "range" => range(obj, field, at),
        _ => Ok(Test::Exists),
    }
}

fn exact(obj: &Map<String, Value>, field: &Field, at: &str) -> Result<Test, ApiError> {
    let raw: Vec<(&Value, String)> = match (obj.get("value"), obj.get("values")) {
        (Some(v), None) => vec![(v, format!("{at}.value"))],
        (None, Some(Value::Array(vs))) if !vs.is_empty() && vs.len() <= MAX_VALUES => vs
            .iter()
            .enumerate()
            .map(|(i, v)| (v, format!("{at}.values[{i}]")))
            .collect(),
        (None, Some(_)) => {
            return Err(invalid(
                &format!("{at}.values"),
                format!("expected an array of 1 to {MAX_VALUES} values"),
            ))
        }
        _ => return Err(invalid(at, "exactly one of value and values is required")),
    };
    let values = raw
        .into_iter()
        .map(|(v, at)| scalar(v, field.ty, &at))
        .collect::<Result<_, _>>()?;
    Ok(Test::Exact {
        values,
        case_insensitive: flag(obj, "caseInsensitive", at)?,
    })
}

fn range(obj: &Map<String, Value>, field: &Field, at: &str) -> Result<Test, ApiError> {
    let bound = |name: &str| -> Result<Option<Scalar>, ApiError> {
        obj.get(name)
            .map(|v| scalar(v, field.ty, &format!("{at}.{name}")))
            .transpose()
    };
    let test = Test::Range {
        gt: bound("gt")?,
        gte: bound("gte")?,
        lt: bound("lt")?,
        lte: bound("lte")?,
    };
    if ["gt", "gte", "lt", "lte"]
        .iter()
        .all(|k| !obj.contains_key(*k))
    {
        return Err(invalid(at, "at least one of gt, gte, lt, lte is required"));
    }
    Ok(test)
}

/// A value of the field's type, normalized as the index keeps it.
fn scalar(value: &Value, ty: FieldType, at: &str) -> Result<Scalar, ApiError> {
    let expected = |what: &str| invalid(at, format!("expected {what}"));
    match (ty, value) {
        (FieldType::Number, Value::Number(n)) | (FieldType::Any, Value::Number(n)) => n
            .as_f64()
            .map(Scalar::Number)
            .ok_or_else(|| expected("a number")),
        (FieldType::Number, _) => Err(expected("a number")),
        (FieldType::Boolean, Value::Bool(b)) | (FieldType::Any, Value::Bool(b)) => {
            Ok(Scalar::Text(b.to_string()))
        }
        (FieldType::Boolean, _) => Err(expected("a boolean")),
        (FieldType::Date, Value::String(s)) if crate::domain::time::is_iso_date(s) => {
            Ok(Scalar::Text(s.clone()))
        }
        (FieldType::Date, _) => Err(expected("a date (YYYY-MM-DD)")),
        (FieldType::DateTime, Value::String(s)) => datetime(s)
            .map(Scalar::Text)
            .ok_or_else(|| expected("a date-time (ISO 8601)")),
        (FieldType::DateTime, _) => Err(expected("a date-time (ISO 8601)")),
        (_, Value::String(_)) => Ok(Scalar::Text(string(Some(value), at)?)),
        _ => Err(expected("a string")),
    }
}

/// An ISO-8601 date-time (or a date: its midnight) in UTC with milliseconds, as stored.
fn datetime(value: &str) -> Option<String> {
    use crate::domain::time::{is_iso_date, iso_millis, parse_iso_millis};
    if is_iso_date(value) {
        return parse_iso_millis(&format!("{value}T00:00:00Z")).map(iso_millis);
    }
    parse_iso_millis(value).map(iso_millis)
}

#[cfg(test)]
mod tests;
