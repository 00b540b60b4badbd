//! Query predicates (`where=…`): parsed into a syntax tree ([`parse`]), then checked against
//! a resource's field schema ([`schema`]) into a typed condition ([`resolve`]). The D1 adapter compiles the
//! condition to SQL with every value a bound parameter.

pub mod parse;
pub mod resolve;
pub mod schema;

pub use parse::{CmpOp, Literal};
pub use resolve::{Cond, Path, SortKey, Variables};
pub use schema::Kind;

use super::error::ApiError;

/// Parses and resolves one `where` predicate against a resource's `fields`; any mistake is a
/// 400 `InvalidInput` that says what and where.
pub fn condition(
    text: &str,
    vars: Variables<'_>,
    fields: &'static [schema::Field],
) -> Result<Cond, ApiError> {
    let invalid = |message: String, position: usize| ApiError::InvalidInput {
        message: format!(
            "Malformed parameter: where: {message} (at position {position} of \"{}\")",
            abbreviate(text)
        ),
    };
    let expr = parse::parse(text).map_err(|e| invalid(e.message, e.position))?;
    resolve::resolve(&expr, vars, fields).map_err(|e| invalid(e.message, e.position))
}

/// Most conditions (comparisons, `in`, `is defined`, …) one query may test, over all its
/// `where` parameters.
pub const MAX_TERMS: usize = 50;
/// Most sub-queries over arrays and custom objects (`addresses(…)`, `stores(…)`,
/// `custom(fields(obj(…)))`, `contains any/all`) one query may run: each is evaluated for
/// every customer the query scans.
pub const MAX_SUBQUERIES: usize = 8;
/// Most values all `in`, `not in` and `contains` lists of one query may hold together.
pub const MAX_LIST_VALUES: usize = 1_000;

/// What running a condition costs, counted before it runs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub terms: usize,
    pub subqueries: usize,
    pub list_values: usize,
}

impl Cost {
    pub fn of(cond: &Cond) -> Cost {
        let mut cost = Cost::default();
        cost.add(cond);
        cost
    }

    fn add(&mut self, cond: &Cond) {
        match cond {
            Cond::And(items) | Cond::Or(items) => items.iter().for_each(|c| self.add(c)),
            Cond::Not(inner) => self.add(inner),
            Cond::Compare { .. } | Cond::Defined { .. } | Cond::Empty { .. } => self.terms += 1,
            Cond::In { values, .. } => {
                self.terms += 1;
                self.list_values += values.len();
            }
            Cond::Holds { values, .. } => {
                self.terms += 1;
                self.subqueries += 1;
                self.list_values += values.len();
            }
            Cond::Element { inner, .. } | Cond::Within { inner, .. } => {
                self.subqueries += 1;
                self.add(inner);
            }
        }
    }

    /// A 400 that says what to simplify, if the cost is beyond a limit.
    pub fn check(self) -> Result<(), ApiError> {
        let too_costly = |what: String| {
            Err(ApiError::InvalidInput {
                message: format!("The query predicate is too expensive to run: {what}"),
            })
        };
        if self.subqueries > MAX_SUBQUERIES {
            return too_costly(format!(
                "it searches arrays or custom objects {} times; at most {MAX_SUBQUERIES} are allowed. Put the conditions on one array into one clause, e.g. addresses(city in (\"a\", \"b\")) instead of addresses(city = \"a\") or addresses(city = \"b\").",
                self.subqueries
            ));
        }
        if self.terms > MAX_TERMS {
            return too_costly(format!(
                "it tests {} conditions; at most {MAX_TERMS} are allowed. Use 'in (…)' lists instead of many '=' joined by 'or'.",
                self.terms
            ));
        }
        if self.list_values > MAX_LIST_VALUES {
            return too_costly(format!(
                "its lists hold {} values; at most {MAX_LIST_VALUES} are allowed.",
                self.list_values
            ));
        }
        Ok(())
    }
}

fn abbreviate(text: &str) -> String {
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests;
