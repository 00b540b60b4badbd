//! SQL statements as plain data: text with `?` placeholders and the values bound to them, in
//! order. Built by pure code (natively testable); only `store::d1` runs them.

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
    Real(f64),
    Null,
}

impl Param {
    pub fn text(value: &str) -> Param {
        Param::Text(value.to_string())
    }

    pub fn opt_text(value: Option<&str>) -> Param {
        value.map_or(Param::Null, Param::text)
    }

    /// A count or version (exact up to 2^53 as D1 binds numbers as doubles).
    pub fn uint(value: u64) -> Param {
        Param::Int(i64::try_from(value).unwrap_or(i64::MAX))
    }

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

impl Statement {
    pub fn new(sql: impl Into<String>, params: Vec<Param>) -> Statement {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}
