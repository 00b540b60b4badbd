//! The messages endpoints (`/{projectKey}/messages`, `…/messages/{id}`): the messages the
//! writes recorded, read-only — query (GET), HEAD by predicate, get and HEAD by id. Scope
//! `view_messages:{projectKey}` (implied by `manage_project`).

use worker::{Method, Response};

use crate::domain::auth::Scope;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::message::{in_creation_order, FIELDS};
use crate::http::context::Call;
use crate::http::{expand, query, respond};
use crate::store::d1::Db;
use crate::store::message_table::{by_id, QUERY_TABLE};
use crate::store::scatter;

async fn authorize(call: &mut Call) -> ApiResult<()> {
    let scope = Scope::new("view_messages", &call.project, None);
    call.authorize(&[scope]).await?;
    Ok(())
}

/// `GET /messages` → MessagePagedQueryResponse; `HEAD /messages?where=…` → 200 or 404.
pub async fn collection(mut call: Call) -> ApiResult<Response> {
    authorize(&mut call).await?;
    let head = call.req.method() == Method::Head;
    let mut query = query::parse(&call, FIELDS)?;
    in_creation_order(&mut query);
    query::run(&call, &query, &QUERY_TABLE, head).await
}

/// `GET /messages/{id}` → the message; `HEAD` → 200 or 404.
pub async fn single(mut call: Call, id: &str) -> ApiResult<Response> {
    #[derive(serde::Deserialize)]
    struct Row {
        doc: String,
    }
    authorize(&mut call).await?;
    let statement = by_id(&call.project, id);
    let row: Option<Row> = if Db::is_sharded(&call.env)? {
        scatter::first(&call.session.every()?, &statement).await?
    } else {
        call.db()?.first(&statement).await?
    };
    let doc = row.ok_or_else(|| ApiError::not_found_id(id))?.doc;
    Ok(respond::json(200, expand::single(&call, doc, false).await?))
}
