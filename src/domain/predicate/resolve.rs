//! Syntax tree → typed condition: every field checked against the customer schema, every
//! literal checked against its field's type, `:variables` substituted, date-times normalized.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::parse::{CmpOp, Expr, IsTest, ListOperand, Literal, Name, Operand};
use super::schema::{self, Field, FieldType, Kind};
use crate::domain::time::is_iso_date;

/// A field reached from the current base (the customer, or an element of an array).
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub keys: Vec<String>,
    pub kind: Kind,
}

/// A typed condition on a customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Compare {
        path: Path,
        op: CmpOp,
        value: Literal,
    },
    In {
        path: Path,
        values: Vec<Literal>,
        negated: bool,
    },
    /// `is defined` / `is not defined`: present and not null.
    Defined {
        path: Path,
        defined: bool,
    },
    /// `is empty` / `is not empty` on an array.
    Empty {
        path: Path,
        empty: bool,
    },
    /// An array of scalars holds any (or all) of `values`; `=` on such an array is "holds".
    Holds {
        path: Path,
        values: Vec<Literal>,
        all: bool,
    },
    /// Some element of an array of objects satisfies `inner` (paths in `inner` are relative
    /// to the element).
    Element {
        path: Path,
        inner: Box<Cond>,
    },
    /// A custom-field value that is an object (or an array of objects) satisfies `inner`.
    Within {
        path: Path,
        inner: Box<Cond>,
    },
}

/// A condition that cannot be built: what and where (1-based character position).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveError {
    pub message: String,
    pub position: usize,
}

/// `var.<name>` parameters: each name with all its values.
pub type Variables<'a> = &'a [(String, Vec<String>)];

/// Where field names are looked up.
#[derive(Clone, Copy)]
enum Scope {
    Typed(&'static [Field]),
    /// Inside custom fields: any name, any JSON.
    Free,
}

struct Resolver<'a> {
    vars: Variables<'a>,
}

fn error<T>(name: &Name, message: String) -> Result<T, ResolveError> {
    Err(ResolveError {
        message,
        position: name.position,
    })
}

fn keys(prefix: &[String], name: &str) -> Vec<String> {
    let mut keys = prefix.to_vec();
    keys.push(name.to_string());
    keys
}

/// Normalizes a date-time literal to the stored form (`2024-01-02T03:04:05.000Z`). A date
/// alone means midnight UTC.
pub fn normalize_datetime(text: &str) -> Option<String> {
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(
            parsed
                .with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true),
        );
    }
    if is_iso_date(text) {
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let midnight = date.and_hms_opt(0, 0, 0)?.and_utc();
        return Some(midnight.to_rfc3339_opts(SecondsFormat::Millis, true));
    }
    None
}

impl Resolver<'_> {
    fn field_type(&self, scope: Scope, name: &Name) -> Result<FieldType, ResolveError> {
        match scope {
            Scope::Free => Ok(FieldType::Scalar(Kind::Any)),
            Scope::Typed(fields) => match schema::lookup(fields, &name.text) {
                Some(field) => Ok(field.ty),
                None => error(
                    name,
                    format!(
                        "Unknown field '{}'. The fields here are: {}.",
                        name.text,
                        schema::names(fields)
                    ),
                ),
            },
        }
    }

    fn variable(&self, name: &Name, var: &str) -> Result<&[String], ResolveError> {
        match self.vars.iter().find(|(n, _)| n == var) {
            Some((_, values)) => Ok(values),
            None => error(
                name,
                format!("The variable ':{var}' has no value: pass it as var.{var}=…"),
            ),
        }
    }

    /// A literal checked (or, from a variable, converted) for a field of `kind`.
    fn literal(&self, name: &Name, kind: Kind, literal: Literal) -> Result<Literal, ResolveError> {
        let mismatch = |wanted: &str| {
            error(
                name,
                format!("The field '{}' takes {wanted}, not {literal:?}.", name.text),
            )
        };
        match (kind, &literal) {
            (Kind::Any, _)
            | (Kind::Str, Literal::Str(_))
            | (Kind::Num, Literal::Num(_))
            | (Kind::Bool, Literal::Bool(_)) => Ok(literal),
            (Kind::Date, Literal::Str(s)) if is_iso_date(s) => Ok(literal),
            (Kind::DateTime, Literal::Str(s)) => match normalize_datetime(s) {
                Some(normalized) => Ok(Literal::Str(normalized)),
                None => mismatch("an ISO-8601 date-time string"),
            },
            (Kind::Str, _) => mismatch("a string"),
            (Kind::Num, _) => mismatch("a number"),
            (Kind::Bool, _) => mismatch("true or false"),
            (Kind::Date, _) => mismatch("a date string (YYYY-MM-DD)"),
            (Kind::DateTime, _) => mismatch("an ISO-8601 date-time string"),
        }
    }

    /// A variable's text as a literal of `kind`.
    fn literal_from_text(
        &self,
        name: &Name,
        kind: Kind,
        text: &str,
    ) -> Result<Literal, ResolveError> {
        let literal = match kind {
            Kind::Num => match text.parse::<serde_json::Number>() {
                Ok(number) => Literal::Num(number),
                Err(_) => {
                    return error(
                        name,
                        format!("The field '{}' takes a number, not '{text}'.", name.text),
                    )
                }
            },
            Kind::Bool => match text {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                _ => {
                    return error(
                        name,
                        format!(
                            "The field '{}' takes true or false, not '{text}'.",
                            name.text
                        ),
                    )
                }
            },
            _ => Literal::Str(text.to_string()),
        };
        self.literal(name, kind, literal)
    }

    fn operand(&self, name: &Name, kind: Kind, operand: &Operand) -> Result<Literal, ResolveError> {
        match operand {
            Operand::Lit(literal) => self.literal(name, kind, literal.clone()),
            Operand::Var(var) => match self.variable(name, var)? {
                [one] => self.literal_from_text(name, kind, one),
                values => error(
                    name,
                    format!(
                        "The variable ':{var}' has {} values where one is expected.",
                        values.len()
                    ),
                ),
            },
        }
    }

    fn list(
        &self,
        name: &Name,
        kind: Kind,
        list: &ListOperand,
    ) -> Result<Vec<Literal>, ResolveError> {
        match list {
            ListOperand::Var(var) => self
                .variable(name, var)?
                .iter()
                .map(|text| self.literal_from_text(name, kind, text))
                .collect(),
            ListOperand::Items(items) => {
                let mut values = Vec::new();
                for item in items {
                    match item {
                        Operand::Lit(literal) => {
                            values.push(self.literal(name, kind, literal.clone())?)
                        }
                        Operand::Var(var) => {
                            for text in self.variable(name, var)? {
                                values.push(self.literal_from_text(name, kind, text)?);
                            }
                        }
                    }
                }
                Ok(values)
            }
        }
    }

    fn resolve(&self, expr: &Expr, scope: Scope, prefix: &[String]) -> Result<Cond, ResolveError> {
        let all = |items: &[Expr]| {
            items
                .iter()
                .map(|e| self.resolve(e, scope, prefix))
                .collect::<Result<Vec<_>, _>>()
        };
        match expr {
            Expr::And(items) => Ok(Cond::And(all(items)?)),
            Expr::Or(items) => Ok(Cond::Or(all(items)?)),
            Expr::Not(inner) => Ok(Cond::Not(Box::new(self.resolve(inner, scope, prefix)?))),
            Expr::Nested { field, inner } => self.nested(scope, prefix, field, inner),
            Expr::Compare { field, op, value } => {
                let ty = self.field_type(scope, field)?;
                self.compare(ty, keys(prefix, &field.text), field, *op, value)
            }
            Expr::In {
                field,
                values,
                negated,
            } => match self.field_type(scope, field)? {
                FieldType::Scalar(kind) => Ok(Cond::In {
                    path: Path {
                        keys: keys(prefix, &field.text),
                        kind,
                    },
                    values: self.list(field, kind, values)?,
                    negated: *negated,
                }),
                _ => error(
                    field,
                    format!(
                        "'in' needs a field with a single value; '{}' is not one.",
                        field.text
                    ),
                ),
            },
            Expr::Contains { field, values, all } => match self.field_type(scope, field)? {
                FieldType::ScalarArray(kind) | FieldType::Scalar(kind @ Kind::Any) => {
                    Ok(Cond::Holds {
                        path: Path {
                            keys: keys(prefix, &field.text),
                            kind,
                        },
                        values: self.list(field, kind, values)?,
                        all: *all,
                    })
                }
                _ => error(
                    field,
                    format!(
                        "'contains' needs an array of values; '{}' is not one.",
                        field.text
                    ),
                ),
            },
            Expr::Is { field, test } => {
                let ty = self.field_type(scope, field)?;
                is_test(ty, keys(prefix, &field.text), field, *test)
            }
        }
    }

    /// `field(inner)`: an object's fields, an array's elements, or a custom object's.
    fn nested(
        &self,
        scope: Scope,
        prefix: &[String],
        field: &Name,
        inner: &Expr,
    ) -> Result<Cond, ResolveError> {
        let path_keys = keys(prefix, &field.text);
        let any = |keys| Path {
            keys,
            kind: Kind::Any,
        };
        match (scope, self.field_type(scope, field)?) {
            (Scope::Free, _) => Ok(Cond::Within {
                path: any(path_keys),
                inner: Box::new(self.resolve(inner, Scope::Free, &[])?),
            }),
            (_, FieldType::Object(fields)) => self.resolve(inner, Scope::Typed(fields), &path_keys),
            (_, FieldType::Free) => self.resolve(inner, Scope::Free, &path_keys),
            (_, FieldType::ObjectArray(fields)) => Ok(Cond::Element {
                path: any(path_keys),
                inner: Box::new(self.resolve(inner, Scope::Typed(fields), &[])?),
            }),
            (_, FieldType::Scalar(_) | FieldType::ScalarArray(_)) => error(
                field,
                format!(
                    "The field '{}' is not an object: it cannot be followed by '('.",
                    field.text
                ),
            ),
        }
    }

    /// `field op value`: a comparison of a value, or "holds" for `=` on an array.
    fn compare(
        &self,
        ty: FieldType,
        path_keys: Vec<String>,
        field: &Name,
        op: CmpOp,
        value: &Operand,
    ) -> Result<Cond, ResolveError> {
        match ty {
            FieldType::Scalar(kind) => {
                let value = self.operand(field, kind, value)?;
                let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
                if ordered && matches!(value, Literal::Bool(_)) {
                    return error(
                        field,
                        format!("'{}' cannot compare true or false by order.", op.sql()),
                    );
                }
                let path = Path {
                    keys: path_keys,
                    kind,
                };
                Ok(Cond::Compare { path, op, value })
            }
            FieldType::ScalarArray(kind) if op == CmpOp::Eq => Ok(Cond::Holds {
                path: Path {
                    keys: path_keys,
                    kind,
                },
                values: vec![self.operand(field, kind, value)?],
                all: false,
            }),
            FieldType::ScalarArray(_) => error(
                field,
                format!(
                    "The field '{}' is an array: use '=', 'contains any' or 'contains all'.",
                    field.text
                ),
            ),
            _ => error(
                field,
                format!(
                    "The field '{}' is an object: compare its fields with {}(…).",
                    field.text, field.text
                ),
            ),
        }
    }
}

/// `field is [not] defined` (any field) and `field is [not] empty` (arrays).
fn is_test(
    ty: FieldType,
    path_keys: Vec<String>,
    field: &Name,
    test: IsTest,
) -> Result<Cond, ResolveError> {
    let path = Path {
        keys: path_keys,
        kind: Kind::Any,
    };
    match (test, ty) {
        (IsTest::Defined | IsTest::NotDefined, _) => Ok(Cond::Defined {
            path,
            defined: test == IsTest::Defined,
        }),
        (
            IsTest::Empty | IsTest::NotEmpty,
            FieldType::ScalarArray(_) | FieldType::ObjectArray(_) | FieldType::Scalar(Kind::Any),
        ) => Ok(Cond::Empty {
            path,
            empty: test == IsTest::Empty,
        }),
        _ => error(
            field,
            format!(
                "'is empty' applies to arrays; '{}' is not one (use 'is defined').",
                field.text
            ),
        ),
    }
}

/// Resolves a parsed predicate against a resource's `fields`.
pub fn resolve(
    expr: &Expr,
    vars: Variables<'_>,
    fields: &'static [Field],
) -> Result<Cond, ResolveError> {
    Resolver { vars }.resolve(expr, Scope::Typed(fields), &[])
}

/// A sort key: a scalar field and its direction.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub path: Path,
    pub descending: bool,
}

/// Parses `path asc|desc`, where the path names a scalar field with dots
/// (`lastModifiedAt`, `customerGroup.id`, `custom.fields.tier`).
pub fn sort_key(text: &str, fields: &'static [Field]) -> Result<SortKey, String> {
    let mut parts = text.split_whitespace();
    let (Some(path), Some(direction), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "Invalid sort '{text}': expected '<field> asc' or '<field> desc'."
        ));
    };
    let descending = if direction.eq_ignore_ascii_case("desc") {
        true
    } else if direction.eq_ignore_ascii_case("asc") {
        false
    } else {
        return Err(format!(
            "Invalid sort direction '{direction}': expected 'asc' or 'desc'."
        ));
    };
    let mut scope = Scope::Typed(fields);
    let mut keys = Vec::new();
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let valid_name = !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            return Err(format!("Invalid sort field '{path}'."));
        }
        keys.push(segment.to_string());
        let ty = match scope {
            Scope::Free => FieldType::Scalar(Kind::Any),
            Scope::Typed(fields) => match schema::lookup(fields, segment) {
                Some(field) => field.ty,
                None => return Err(format!("Unknown sort field '{path}'.")),
            },
        };
        match (ty, last) {
            (FieldType::Scalar(kind), true) => {
                return Ok(SortKey {
                    path: Path { keys, kind },
                    descending,
                })
            }
            (FieldType::Object(fields), false) => scope = Scope::Typed(fields),
            (FieldType::Free, false) => scope = Scope::Free,
            (FieldType::Scalar(Kind::Any), false) => scope = Scope::Free,
            _ => {
                return Err(format!(
                    "Cannot sort by '{path}': it does not name a single value."
                ))
            }
        }
    }
    Err(format!("Invalid sort field '{path}'."))
}
