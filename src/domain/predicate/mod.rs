//! Query predicates (`where=…`): parsed into a syntax tree ([`parse`]), then checked against
//! the customer schema into a typed condition ([`resolve`]). The D1 adapter compiles the
//! condition to SQL with every value a bound parameter.

pub mod parse;
pub mod resolve;
pub mod schema;

pub use parse::{CmpOp, Literal};
pub use resolve::{Cond, Path, SortKey, Variables};
pub use schema::Kind;

use super::error::ApiError;

/// Parses and resolves one `where` predicate; any mistake is a 400 `InvalidInput` that says
/// what and where.
pub fn condition(text: &str, vars: Variables<'_>) -> Result<Cond, ApiError> {
    let invalid = |message: String, position: usize| ApiError::InvalidInput {
        message: format!(
            "Malformed parameter: where: {message} (at position {position} of \"{}\")",
            abbreviate(text)
        ),
    };
    let expr = parse::parse(text).map_err(|e| invalid(e.message, e.position))?;
    resolve::resolve(&expr, vars).map_err(|e| invalid(e.message, e.position))
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
