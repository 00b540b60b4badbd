//! Request handling: match the route, check the method, authenticate, hand over to the
//! resource's handler, and turn every failure into the commercetools error envelope.

mod api_clients;
mod credentials;
mod customers;
mod oauth;

use worker::{Context, Cors, Env, Method, Request, Response};

use super::respond;
use super::route::{match_path, Route};
use crate::domain::auth::{self, AccessGrant, Scope};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::validate;
use crate::store::api_clients as api_clients_store;
use crate::store::platform::request_now;
use crate::store::tokens;

/// Largest request body accepted (bytes). Our documented limit: it keeps every customer
/// document well inside D1's 1 MB row limit. Larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// Browsers may call the API from any origin (storefronts), as they may call commercetools.
fn cors() -> Cors {
    Cors::new()
        .with_origins(["*"])
        .with_methods([
            Method::Get,
            Method::Head,
            Method::Post,
            Method::Delete,
            Method::Options,
        ])
        .with_allowed_headers(["Authorization", "Content-Type", "X-Correlation-ID"])
        .with_max_age(86_400)
}

/// Answers one request. Never fails: errors become their envelope (a 500 is a bug).
pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let method = req.method();
    let response = if method == Method::Options {
        // A CORS preflight: answered for every path, without authentication.
        Response::empty()
            .expect("an empty response is always valid")
            .with_status(204)
    } else {
        match dispatch(req, env, ctx).await {
            Ok(response) => response,
            Err(rejection) => respond::error(&rejection),
        }
    };
    let response = if method == Method::Head {
        // HEAD answers with the status and headers only.
        let status = response.status_code();
        let headers = response.headers().clone();
        Response::empty()
            .expect("an empty response is always valid")
            .with_status(status)
            .with_headers(headers)
    } else {
        response
    };
    let status = response.status_code();
    response.with_cors(&cors()).unwrap_or_else(|e| {
        worker::console_error!("CORS headers: {e}");
        Response::empty()
            .expect("an empty response is always valid")
            .with_status(status)
    })
}

async fn dispatch(req: Request, env: Env, ctx: Context) -> ApiResult<Response> {
    let url = req.url().map_err(|e| respond::internal("request URL", e))?;
    let route = match_path(url.path()).ok_or_else(|| ApiError::ResourceNotFound {
        message: format!("No endpoint matches the path '{}'.", url.path()),
    })?;
    let method = req.method();
    if !route.allowed_methods().contains(&method.as_ref()) {
        return Err(ApiError::MethodNotAllowed {
            allowed: route.allowed_methods().to_vec(),
        }
        .into());
    }
    match route {
        Route::Token => oauth::token(req, &env).await,
        Route::Revoke => oauth::revoke(req, &env).await,
        Route::Introspect => oauth::introspect(req, &env).await,
        Route::CustomerToken { project, store } => {
            check_store_key(store.as_deref())?;
            oauth::customer_token(req, &env, &project, store.as_deref()).await
        }
        Route::AnonymousToken { project } => oauth::anonymous_token(req, &env, &project).await,
        Route::ApiClients { project } => api_clients::collection(req, &env, &project).await,
        Route::ApiClient { project, id } => api_clients::single(req, &env, &project, &id).await,
        Route::Customers { project, store } => {
            customers::collection(req, &env, &ctx, &project, store.as_deref()).await
        }
        Route::Customer {
            project,
            store,
            target,
        } => customers::single(req, &env, &project, store.as_deref(), &target).await,
        Route::Credentials {
            project,
            store,
            endpoint,
        } => credentials::handle(req, &env, &project, store.as_deref(), endpoint).await,
    }
}

/// A store key that cannot exist names no store: 404.
fn check_store_key(store: Option<&str>) -> ApiResult<()> {
    match store {
        Some(key) if !validate::is_valid_key(key) => Err(ApiError::ResourceNotFound {
            message: format!("The Store with key '{key}' was not found."),
        }
        .into()),
        _ => Ok(()),
    }
}

/// The grant behind the request's bearer token, if it holds one of `required`. A customer's
/// token (password flow) also needs its session to stand (no password reset since), and every
/// token its client to stand (not deleted).
async fn authorize(req: &Request, env: &Env, required: &[Scope]) -> ApiResult<AccessGrant> {
    let header = req.headers().get("Authorization").ok().flatten();
    let token = auth::bearer(header.as_deref()).ok_or_else(auth::missing_token)?;
    let grant = tokens::load(env, token)
        .await
        .map_err(|e| respond::internal("token lookup", e))?
        .ok_or_else(auth::invalid_token)?
        .check_live(request_now(req, env))?;
    let live = oauth::session_is_live(
        env,
        &grant.project_key,
        grant.customer_id.as_deref(),
        grant.issued_at_ms,
    )
    .await?;
    if !live || !api_clients_store::is_live(env, &grant.client_id, request_now(req, env)).await? {
        return Err(auth::invalid_token().into());
    }
    grant.authorize(required)?;
    Ok(grant)
}

/// The grant of a customer-writing request (`manage_customers`, of the store for in-store
/// endpoints) and its JSON body as `T`: authentication comes before the body is looked at.
async fn manage_customers<T: serde::de::DeserializeOwned>(
    req: &mut Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<(AccessGrant, T)> {
    let grant = authorize(
        req,
        env,
        &auth::customer_scopes(auth::Access::Manage, project, store),
    )
    .await?;
    let body = crate::domain::json::parse(&read_body(req).await?)?;
    Ok((grant, body))
}

/// The request body, refused with 413 beyond [`MAX_BODY_BYTES`].
async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    let too_large = || ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(too_large().into());
    }
    let body = req
        .bytes()
        .await
        .map_err(|e| respond::internal("request body", e))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large().into());
    }
    Ok(body)
}
