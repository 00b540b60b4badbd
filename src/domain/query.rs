//! Query parameters of a resource's query endpoint (`GET …/customers`, …): `where`
//! (repeatable, ANDed), `var.<name>`, `sort` (repeatable), `limit`, `offset`, `withTotal`,
//! `expand`, checked against the resource's field schema.

use super::error::ApiError;
use super::predicate::schema::Field;
use super::predicate::{self, Cond, Cost, SortKey};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 500;
pub const MAX_OFFSET: u32 = 10_000;
/// With a `where`, `total` counts at most this many customers (as commercetools does).
pub const MAX_FILTERED_TOTAL: u32 = 10_000;
/// Most `sort` parameters one query may carry (our limit).
pub const MAX_SORT_CLAUSES: usize = 10;

/// A query, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub filter: Option<Cond>,
    pub sort: Vec<SortKey>,
    pub limit: u32,
    pub offset: u32,
    pub with_total: bool,
    /// Accepted and not applied: see the README (customer groups are not a resource here yet,
    /// so there is nothing to expand; commercetools ignores paths it cannot expand too).
    pub expand: Vec<String>,
}

fn invalid(message: String) -> ApiError {
    ApiError::InvalidInput { message }
}

fn number(name: &str, value: &str, max: u32) -> Result<u32, ApiError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| {
            invalid(format!(
                "The query parameter '{name}' must be an integer between 0 and {max}, not '{value}'."
            ))
        })
}

/// A boolean query parameter: `true` or `false`, in any case (the Python SDK sends `True`).
pub fn boolean(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(format!(
            "The query parameter '{name}' must be true or false, not '{value}'."
        ))),
    }
}

/// Reads the query parameters (decoded name/value pairs, in order). Unknown parameters are
/// ignored.
pub fn from_params(
    params: &[(String, String)],
    fields: &'static [Field],
) -> Result<Query, ApiError> {
    let mut vars: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in params {
        if let Some(var) = name.strip_prefix("var.") {
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(format!(
                    "Invalid variable parameter '{name}': the name must match ^var[.][a-zA-Z0-9]+$."
                )));
            }
            match vars.iter_mut().find(|(n, _)| n == var) {
                Some((_, values)) => values.push(value.clone()),
                None => vars.push((var.to_string(), vec![value.clone()])),
            }
        }
    }
    let mut query = Query {
        filter: None,
        sort: Vec::new(),
        limit: DEFAULT_LIMIT,
        offset: 0,
        with_total: true,
        expand: Vec::new(),
    };
    let mut conditions = Vec::new();
    for (name, value) in params {
        match name.as_str() {
            "where" => conditions.push(predicate::condition(value, &vars, fields)?),
            "sort" => query
                .sort
                .push(predicate::resolve::sort_key(value, fields).map_err(invalid)?),
            "limit" => query.limit = number("limit", value, MAX_LIMIT)?,
            "offset" => query.offset = number("offset", value, MAX_OFFSET)?,
            "withTotal" => query.with_total = boolean("withTotal", value)?,
            "expand" => query.expand.push(value.clone()),
            _ => {}
        }
    }
    if query.sort.len() > MAX_SORT_CLAUSES {
        return Err(invalid(format!(
            "A query may carry at most {MAX_SORT_CLAUSES} 'sort' parameters; this one has {}.",
            query.sort.len()
        )));
    }
    query.filter = match conditions.len() {
        0 => None,
        1 => conditions.pop(),
        _ => Some(Cond::And(conditions)),
    };
    if let Some(filter) = &query.filter {
        Cost::of(filter).check()?;
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_read_in_any_case() {
        for (text, value) in [
            ("true", true),
            ("True", true),
            ("FALSE", false),
            ("false", false),
        ] {
            assert_eq!(boolean("withTotal", text).unwrap(), value, "{text}");
        }
        assert!(boolean("withTotal", "1").is_err());
        assert!(boolean("withTotal", "yes").is_err());
    }

    /// A customer query (the tests use the customer's schema).
    fn from_params(params: &[(String, String)]) -> Result<Query, ApiError> {
        super::from_params(params, crate::domain::customer::schema::FIELDS)
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let q = from_params(&[]).unwrap();
        assert_eq!((q.limit, q.offset, q.with_total), (20, 0, true));
        assert!(q.filter.is_none() && q.sort.is_empty());
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(from_params(&params(&[("limit", "0")])).unwrap().limit, 0);
        assert_eq!(
            from_params(&params(&[("limit", "500")])).unwrap().limit,
            500
        );
        assert_eq!(
            from_params(&params(&[("offset", "10000")])).unwrap().offset,
            10_000
        );
        for (name, value) in [
            ("limit", "501"),
            ("limit", "-1"),
            ("limit", "x"),
            ("offset", "10001"),
            ("withTotal", "yes"),
        ] {
            assert!(
                matches!(
                    from_params(&params(&[(name, value)])),
                    Err(ApiError::InvalidInput { .. })
                ),
                "{name}={value}"
            );
        }
        assert!(
            !from_params(&params(&[("withTotal", "false")]))
                .unwrap()
                .with_total
        );
    }

    #[test]
    fn several_wheres_are_anded() {
        let q = from_params(&params(&[
            ("where", "firstName = \"a\""),
            ("where", "lastName = \"b\""),
        ]))
        .unwrap();
        assert!(matches!(q.filter, Some(Cond::And(ref items)) if items.len() == 2));
    }

    #[test]
    fn variables_may_repeat_into_lists() {
        let q = from_params(&params(&[
            ("where", "key in :keys"),
            ("var.keys", "a"),
            ("var.keys", "b"),
        ]))
        .unwrap();
        match q.filter {
            Some(Cond::In { values, .. }) => assert_eq!(values.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(from_params(&params(&[("var.bad-name", "x")])).is_err());
    }

    #[test]
    fn sorts_are_checked() {
        let q = from_params(&params(&[
            ("sort", "lastModifiedAt desc"),
            ("sort", "custom.fields.tier asc"),
        ]))
        .unwrap();
        assert_eq!(q.sort.len(), 2);
        assert!(q.sort[0].descending);
        for bad in [
            "lastModifiedAt",
            "lastModifiedAt up",
            "nope asc",
            "addresses asc",
            "addresses.city asc",
            "custom asc",
            "password asc",
        ] {
            assert!(from_params(&params(&[("sort", bad)])).is_err(), "{bad}");
        }
    }

    #[test]
    fn sorts_and_predicates_are_bounded() {
        let sorts: Vec<(String, String)> = (0..=MAX_SORT_CLAUSES)
            .map(|_| ("sort".to_string(), "key asc".to_string()))
            .collect();
        assert!(from_params(&sorts[1..]).is_ok());
        assert!(from_params(&sorts).is_err());
        let or_chain = |n: usize, clause: &dyn Fn(usize) -> String| {
            let text = (0..n).map(clause).collect::<Vec<_>>().join(" or ");
            from_params(&params(&[("where", &text)]))
        };
        let address = |i: usize| format!("addresses(city = \"c{i}\")");
        assert!(or_chain(predicate::MAX_SUBQUERIES, &address).is_ok());
        let err = or_chain(90, &address).unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidInput { ref message } if message.contains("too expensive"))
        );
        let key = |i: usize| format!("key = \"k{i}\"");
        assert!(or_chain(predicate::MAX_TERMS, &key).is_ok());
        assert!(or_chain(predicate::MAX_TERMS + 1, &key).is_err());
        let values: Vec<String> = (0..=predicate::MAX_LIST_VALUES)
            .map(|i| format!("\"{i}\""))
            .collect();
        let long_list = format!("key in ({})", values.join(", "));
        assert!(from_params(&params(&[("where", &long_list)])).is_err());
    }

    #[test]
    fn expand_is_accepted() {
        let q = from_params(&params(&[("expand", "customerGroup")])).unwrap();
        assert_eq!(q.expand, vec!["customerGroup"]);
    }
}
