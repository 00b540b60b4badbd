//! The api-clients resource: `GET`/`HEAD`/`POST /{projectKey}/api-clients` and
//! `GET`/`HEAD`/`DELETE /{projectKey}/api-clients/{id}` (scope `manage_api_clients`, or
//! `view_api_clients` to read).

use worker::{Env, Method, Request, Response};

use super::{authorize, read_body};
use crate::domain::api_clients::{self, ApiClientDraft};
use crate::domain::auth::Scope;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::json;
use crate::domain::query::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
use crate::http::respond;
use crate::store::platform::{request_now, CryptoRandom};
use crate::store::{api_clients as repository, customers};

fn scopes(project: &str, manage: bool) -> Vec<Scope> {
    let name = if manage {
        "manage_api_clients"
    } else {
        "view_api_clients"
    };
    vec![Scope::new(name, project, None)]
}

fn failure(e: impl std::fmt::Display) -> Rejection {
    respond::internal("api clients", e)
}

fn not_found(id: &str) -> Rejection {
    ApiError::not_found_id(id).into()
}

/// `limit` (0..500, default 20) and `offset` (0..10000); other query parameters are refused:
/// this resource does not take predicates or sorts.
fn paging(req: &Request) -> ApiResult<(u32, u32)> {
    let url = req.url().map_err(failure)?;
    let (mut limit, mut offset) = (DEFAULT_LIMIT, 0);
    for (name, value) in url.query_pairs() {
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

pub async fn collection(mut req: Request, env: &Env, project: &str) -> ApiResult<Response> {
    let db = customers::database(env).map_err(failure)?;
    if req.method() == Method::Post {
        authorize(&req, env, &scopes(project, true)).await?;
        let draft: ApiClientDraft = json::parse(&read_body(&mut req).await?)?;
        let (record, secret) =
            api_clients::create(draft, project, request_now(&req, env), &mut CryptoRandom)
                .map_err(Rejection)?;
        repository::insert(&db, &record).await.map_err(failure)?;
        return Ok(respond::json(
            201,
            record.to_json(Some(&secret)).to_string(),
        ));
    }
    authorize(&req, env, &scopes(project, false)).await?;
    let (limit, offset) = paging(&req)?;
    let (records, total) = repository::page(&db, project, limit, offset)
        .await
        .map_err(failure)?;
    let body = api_clients::page(&records, limit as usize, offset as usize, total as usize);
    Ok(respond::json(200, body.to_string()))
}

pub async fn single(req: Request, env: &Env, project: &str, id: &str) -> ApiResult<Response> {
    let db = customers::database(env).map_err(failure)?;
    if req.method() == Method::Delete {
        authorize(&req, env, &scopes(project, true)).await?;
        let deleted = repository::delete(&db, project, id)
            .await
            .map_err(failure)?;
        let record = deleted.ok_or_else(|| not_found(id))?;
        return Ok(respond::json(200, record.to_json(None).to_string()));
    }
    authorize(&req, env, &scopes(project, false)).await?;
    let record = repository::by_id(&db, id)
        .await
        .map_err(failure)?
        .filter(|r| r.project == project)
        .ok_or_else(|| not_found(id))?;
    Ok(respond::json(200, record.to_json(None).to_string()))
}
