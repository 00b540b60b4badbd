//! The answer of every query endpoint, for any resource's field schema and table: `GET` →
//! a paged query response (expanded if asked), `HEAD` → 200 if anything matches, else 404.
//! The caller has authorized the request; the store of an in-store path limits what is seen.
//! [`answer`] reads the query parameters; [`run`] answers a query a resource has adjusted.

use worker::Response;

use super::context::Call;
use super::{expand, respond};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::predicate::schema::Field;
use crate::domain::query::{self, Query};
use crate::store::d1::Db;
use crate::store::query_sql::{self, QueryTable};
use crate::store::{repository, scatter};

/// Answers the query of `call` over `table`, its predicates checked against `fields`.
pub async fn answer(
    call: &Call,
    fields: &'static [Field],
    table: &QueryTable,
    head: bool,
) -> ApiResult<Response> {
    run(call, &parse(call, fields)?, table, head).await
}

/// The query parameters of `call`, checked against `fields`.
pub fn parse(call: &Call, fields: &'static [Field]) -> ApiResult<Query> {
    Ok(query::from_params(&call.query_pairs()?, fields)?)
}

/// Answers `query` over `table`.
pub async fn run(
    call: &Call,
    query: &Query,
    table: &QueryTable,
    head: bool,
) -> ApiResult<Response> {
    if let Some(dbs) = scattered_over(call, table)? {
        return run_scattered(call, query, table, head, &dbs).await;
    }
    let db = call.db()?;
    if head {
        let statement =
            query_sql::exists(table, &call.project, call.store(), query.filter.as_ref())?;
        if repository::exists(&db, &statement).await? {
            return Ok(respond::json(200, String::new()));
        }
        return Err(ApiError::ResourceNotFound {
            message: "Nothing matches the query.".into(),
        }
        .into());
    }
    let compiled = query_sql::compile(table, &call.project, call.store(), query)?;
    let (docs, total) = repository::query(&db, &compiled).await?;
    let docs = if table.name == "business_units" {
        crate::http::handlers::business_units::with_inherited(call, docs).await?
    } else {
        docs
    };
    let docs = expand::page(call, docs).await?;
    Ok(respond::page(query.limit, query.offset, &docs, total))
}

/// The databases a query over `table` reads when customers are spread over shards: the
/// shards for customers, every database for messages; `None` for one database.
fn scattered_over(call: &Call, table: &QueryTable) -> ApiResult<Option<Vec<Db>>> {
    if !Db::is_sharded(&call.env)? {
        return Ok(None);
    }
    Ok(match table.name {
        "customers" => Some(call.session.customer_shards(&call.project)?),
        "messages" => Some(call.session.every()?),
        _ => None,
    })
}

/// [`run`] over several databases (`store::scatter`).
async fn run_scattered(
    call: &Call,
    query: &Query,
    table: &QueryTable,
    head: bool,
    dbs: &[Db],
) -> ApiResult<Response> {
    if head {
        let statement =
            query_sql::exists(table, &call.project, call.store(), query.filter.as_ref())?;
        if scatter::exists(dbs, &statement).await? {
            return Ok(respond::json(200, String::new()));
        }
        return Err(ApiError::ResourceNotFound {
            message: "Nothing matches the query.".into(),
        }
        .into());
    }
    let scattered = query_sql::compile_scattered(table, &call.project, call.store(), query)?;
    let place = (&*call.project, table.name);
    let page = (query.offset, query.limit);
    let (docs, total) = scatter::query(dbs, place, &scattered, page).await?;
    let docs = expand::page(call, docs).await?;
    Ok(respond::page(query.limit, query.offset, &docs, total))
}
