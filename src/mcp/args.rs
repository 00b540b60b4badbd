//! Tool arguments: checked against the tool's parameter table, then placed into the API call
//! the tool runs, as fact sheet §9 maps them:
//!
//! - an argument named in the path template fills its path segment, percent-encoded;
//! - `expand`, and every argument of a GET or DELETE, goes to the query (arrays repeat the
//!   parameter, as `where`, `sort` and `expand` do in the commercetools API);
//! - every other argument goes into the JSON body of a POST, in the seed's order.
//!
//! An argument can never change the shape of the path: every byte outside `A-Z a-z 0-9 - . _ ~`
//! is percent-encoded, and a value that fills a whole segment (`ID`, `businessUnitId`,
//! `associateId`) must not be empty, `.` or `..`, contain `=` (which would make it a
//! `key=…` or `password-token=…` segment once the router decodes it), or equal a fixed
//! segment name of the API (`password`, `search`, …).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use super::tools::{Method, Param, Tool, Type, TOOLS};

/// Bytes kept as they are in a path segment or a query component: RFC 3986 "unreserved".
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Fixed segment names of API routes outside the catalogue that a bare id must not become.
const OTHER_FIXED_SEGMENTS: &[&str] = &["in-store", "me", "login", "key"];

/// One API operation, ready for the Worker to run in-process against `/{projectKey}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub method: Method,
    /// Below `/{projectKey}`, already percent-encoded: `/customers/key=abc`.
    pub path: String,
    /// Decoded name/value pairs in order; a name repeats for an array argument.
    pub query: Vec<(String, String)>,
    /// The JSON body of a POST (`{}` when no body argument was given); `None` otherwise.
    pub body: Option<Value>,
}

impl ApiCall {
    /// The path and the percent-encoded query string: what follows `/{projectKey}` in the URL.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let pairs: Vec<String> = self
            .query
            .iter()
            .map(|(name, value)| {
                let name = utf8_percent_encode(name, UNRESERVED);
                format!("{name}={}", utf8_percent_encode(value, UNRESERVED))
            })
            .collect();
        format!("{}?{}", self.path, pairs.join("&"))
    }
}

/// Checks `arguments` against `tool`'s parameters and builds its API call; on failure, one
/// readable sentence per problem, for the model to correct its call.
pub fn build(tool: &Tool, arguments: &Map<String, Value>) -> Result<ApiCall, Vec<String>> {
    let problems = check(tool, arguments);
    if !problems.is_empty() {
        return Err(problems);
    }
    let path = fill_path(tool, arguments)?;
    let mut query = Vec::new();
    let mut body = Map::new();
    for param in tool.params {
        let Some(value) = present(arguments, param.name) else {
            continue;
        };
        if in_path(tool, param.name) {
            continue;
        }
        if param.name == "expand" || tool.method != Method::Post {
            for text in query_values(value) {
                query.push((param.name.to_string(), text));
            }
        } else {
            body.insert(param.name.to_string(), value.clone());
        }
    }
    let body = (tool.method == Method::Post).then_some(Value::Object(body));
    Ok(ApiCall {
        method: tool.method,
        path,
        query,
        body,
    })
}

/// Unknown arguments, missing required ones and wrong types. `null` counts as absent.
fn check(tool: &Tool, arguments: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    for name in arguments.keys() {
        if tool.param(name).is_none() {
            let known: Vec<&str> = tool.params.iter().map(|p| p.name).collect();
            problems.push(match known.is_empty() {
                true => format!("Unknown argument '{name}': this tool takes no arguments."),
                false => format!(
                    "Unknown argument '{name}'. Known arguments: {}.",
                    known.join(", ")
                ),
            });
        }
    }
    for param in tool.params {
        match present(arguments, param.name) {
            None if param.required => problems.push(format!(
                "Missing required argument '{}' ({}).",
                param.name,
                param.ty.describe()
            )),
            Some(value) if !has_type(value, param.ty) => problems.push(wrong_type(param, value)),
            _ => {}
        }
    }
    problems
}

/// Why `value` does not fit `param`: for an array, which item is wrong.
fn wrong_type(param: &Param, value: &Value) -> String {
    let expected = param.ty.describe();
    if let (Value::Array(items), Some(item_ty)) = (value, item_type(param.ty)) {
        if let Some((i, item)) = items
            .iter()
            .enumerate()
            .find(|(_, v)| !has_type(v, item_ty))
        {
            let found = kind_of(item);
            return format!(
                "Argument '{}' must be {expected}; item {i} is {found}.",
                param.name
            );
        }
    }
    format!(
        "Argument '{}' must be {expected}, not {}.",
        param.name,
        kind_of(value)
    )
}

/// How a JSON value is named in an error message.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number with a fraction",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The argument `name`, unless absent or `null`.
fn present<'a>(arguments: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    arguments.get(name).filter(|v| !v.is_null())
}

/// The item type of a typed array.
fn item_type(ty: Type) -> Option<Type> {
    match ty {
        Type::StringArray => Some(Type::String),
        Type::IntegerArray => Some(Type::Integer),
        Type::ObjectArray => Some(Type::Object),
        _ => None,
    }
}

fn has_type(value: &Value, ty: Type) -> bool {
    if let Some(item) = item_type(ty) {
        return value
            .as_array()
            .is_some_and(|items| items.iter().all(|v| has_type(v, item)));
    }
    match ty {
        Type::String => value.is_string(),
        Type::Integer => value.as_i64().is_some() || value.as_u64().is_some(),
        Type::Boolean => value.is_boolean(),
        Type::Object => value.is_object(),
        // Type::AnyArray: an array of anything (typed arrays returned above).
        _ => value.is_array(),
    }
}

/// Whether the path template names the argument `name`.
fn in_path(tool: &Tool, name: &str) -> bool {
    tool.path.contains(&format!("{{{name}}}"))
}

/// The tool's path with every `{name}` filled from the arguments.
fn fill_path(tool: &Tool, arguments: &Map<String, Value>) -> Result<String, Vec<String>> {
    let mut path = String::new();
    let mut problems = Vec::new();
    for segment in tool.path.split('/').skip(1) {
        path.push('/');
        let Some(open) = segment.find('{') else {
            path.push_str(segment);
            continue;
        };
        let (prefix, name) = (&segment[..open], &segment[open + 1..segment.len() - 1]);
        let value = present(arguments, name)
            .and_then(Value::as_str)
            .unwrap_or("");
        match segment_value(name, value, prefix.is_empty()) {
            Ok(encoded) => path.push_str(&format!("{prefix}{encoded}")),
            Err(problem) => problems.push(problem),
        }
    }
    match problems.is_empty() {
        true => Ok(path),
        false => Err(problems),
    }
}

/// The encoded form of one path argument, or why it cannot address anything. `bare` is true
/// when the value is the whole segment (an id), false after a prefix such as `key=`.
fn segment_value(name: &str, value: &str, bare: bool) -> Result<String, String> {
    if value.is_empty() {
        return Err(format!("Argument '{name}' must not be empty."));
    }
    if bare && (value == "." || value == ".." || value.contains('=') || is_fixed_segment(value)) {
        return Err(format!(
            "Argument '{name}' is not a valid identifier: '{value}' would address a different \
             endpoint."
        ));
    }
    Ok(utf8_percent_encode(value, UNRESERVED).to_string())
}

/// Whether `value` is the name of a fixed path segment of some API route.
fn is_fixed_segment(value: &str) -> bool {
    OTHER_FIXED_SEGMENTS.contains(&value)
        || TOOLS
            .iter()
            .flat_map(|tool| tool.path.split('/'))
            .any(|segment| !segment.contains('{') && segment == value)
}

/// A query argument as text: arrays give one value per item.
fn query_values(value: &Value) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(items) => items.iter().map(text).collect(),
        other => vec![text(other)],
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
