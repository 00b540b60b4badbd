//! D1: the one place that chooses which database a statement goes to, and runs statements
//! (built as plain data by `store::sql`, `store::table` and `store::query_sql`).

use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use super::sql::{Param, Statement};
use super::StoreError;

const BINDING: &str = "DB";

/// The database of one project.
pub struct Db(D1Database);

impl Db {
    /// The database holding `project`'s resources. There is one today; spreading a project
    /// over several databases starts here.
    pub fn for_project(env: &Env, _project: &str) -> Result<Db, StoreError> {
        Ok(Db(env.d1(BINDING)?))
    }

    /// Every database holding projects' resources (one today), for work over all projects
    /// such as the message retention.
    pub fn every(env: &Env) -> Result<Vec<Db>, StoreError> {
        Ok(vec![Db(env.d1(BINDING)?)])
    }

    /// The database of what belongs to no project (API clients, whose ids are unique over
    /// all projects).
    pub fn shared(env: &Env) -> Result<Db, StoreError> {
        Ok(Db(env.d1(BINDING)?))
    }

    fn prepare(&self, statement: &Statement) -> Result<D1PreparedStatement, StoreError> {
        let values: Vec<JsValue> = statement.params.iter().map(js).collect();
        Ok(self.0.prepare(&statement.sql).bind(&values)?)
    }

    /// The first row, if any.
    pub async fn first<T: DeserializeOwned>(
        &self,
        statement: &Statement,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.prepare(statement)?.first(None).await?)
    }

    /// Every row.
    pub async fn all<T: DeserializeOwned>(
        &self,
        statement: &Statement,
    ) -> Result<Vec<T>, StoreError> {
        Ok(self.prepare(statement)?.all().await?.results()?)
    }

    /// Runs a statement that writes; returns how many rows it changed.
    pub async fn run(&self, statement: &Statement) -> Result<usize, StoreError> {
        let result = self.prepare(statement)?.run().await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
    }

    /// The statements as one transaction: all of them, or none.
    pub async fn batch(&self, statements: &[Statement]) -> Result<Vec<D1Result>, StoreError> {
        let prepared = statements
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.0.batch(prepared).await?)
    }
}

/// A parameter as D1 binds it.
fn js(param: &Param) -> JsValue {
    match param {
        Param::Text(s) => JsValue::from_str(s),
        Param::Int(i) => JsValue::from_f64(*i as f64),
        Param::Real(f) => JsValue::from_f64(*f),
        Param::Null => JsValue::NULL,
    }
}
