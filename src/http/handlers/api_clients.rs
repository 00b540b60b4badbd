//! The api-clients resource: `GET`/`HEAD`/`POST /{projectKey}/api-clients` and
//! `GET`/`HEAD`/`DELETE /{projectKey}/api-clients/{id}` (scope `manage_api_clients`, or
//! `view_api_clients` to read).

use worker::{Method, Response};

use crate::domain::api_clients::{self, ApiClientDraft};
use crate::domain::auth::Scope;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::query::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
use crate::http::context::Call;
use crate::http::respond;
use crate::store::api_clients as repository;
use crate::store::d1::Db;
use crate::store::platform::CryptoRandom;

fn scopes(project: &str, manage: bool) -> Vec<Scope> {
    let name = if manage {
        "manage_api_clients"
    } else {
        "view_api_clients"
    };
    vec![Scope::new(name, project, None)]
}

fn not_found(id: &str) -> Rejection {
    ApiError::not_found_id(id).into()
}

/// `limit` (0..500, default 20) and `offset` (0..10000); other query parameters are refused:
/// this resource does not take predicates or sorts.
fn paging(call: &Call) -> ApiResult<(u32, u32)> {
    let (mut limit, mut offset) = (DEFAULT_LIMIT, 0);
    for (name, value) in call.query_pairs()? {
        let bounded = |max: u32| {
            value.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| ApiError::InvalidInput {
                message: format!("The query parameter '{name}' must be an integer between 0 and {max}, not '{value}'."),
            })
        };
        match name.as_ref() {
            "limit" => limit = bounded(MAX_LIMIT)?,
            "offset" => offset = bounded(MAX_OFFSET)?,
            "withTotal" | "expand" => {}
            other => {
                return Err(ApiError::InvalidInput {
                    message: format!(
                        "The query parameter '{other}' is not supported on api-clients."
                    ),
                }
                .into())
            }
        }
    }
    Ok((limit, offset))
}

pub async fn collection(mut call: Call) -> ApiResult<Response> {
    let db = Db::shared(&call.env)?;
    if call.req.method() == Method::Post {
        call.authorize(&scopes(&call.project, true)).await?;
        let draft: ApiClientDraft = call.json().await?;
        let (record, secret) =
            api_clients::create(draft, &call.project, call.now_ms, &mut CryptoRandom)
                .map_err(Rejection)?;
        repository::insert(&db, &record).await?;
        return Ok(respond::json(
            201,
            record.to_json(Some(&secret)).to_string(),
        ));
    }
    call.authorize(&scopes(&call.project, false)).await?;
    let (limit, offset) = paging(&call)?;
    let (records, total) = repository::page(&db, &call.project, limit, offset).await?;
    let body = api_clients::page(&records, limit as usize, offset as usize, total as usize);
    Ok(respond::json(200, body.to_string()))
}

pub async fn single(mut call: Call, id: &str) -> ApiResult<Response> {
    let db = Db::shared(&call.env)?;
    if call.req.method() == Method::Delete {
        call.authorize(&scopes(&call.project, true)).await?;
        let deleted = repository::delete(&db, &call.project, id).await?;
        let record = deleted.ok_or_else(|| not_found(id))?;
        return Ok(respond::json(200, record.to_json(None).to_string()));
    }
    call.authorize(&scopes(&call.project, false)).await?;
    let record = repository::by_id(&db, id)
        .await?
        .filter(|r| r.project == *call.project)
        .ok_or_else(|| not_found(id))?;
    Ok(respond::json(200, record.to_json(None).to_string()))
}
