//! Request handling: match the route, check the method, build the request context, hand over
//! to the resource's handler, and turn every failure into the commercetools error envelope.

mod api_clients;
mod credentials;
mod customers;
mod mcp;
mod oauth;
mod resources;
mod search;

use std::rc::Rc;

use worker::{Context, Cors, Env, Method, Request, Response};

use super::context::Call;
use super::respond;
use super::route::{match_path, Route};
use crate::domain::error::{ApiError, ApiResult};

fn no_endpoint(path: &str) -> crate::domain::error::Rejection {
    ApiError::ResourceNotFound {
        message: format!("No endpoint matches the path '{path}'."),
    }
    .into()
}

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
pub async fn handle(req: Request, env: Env, ctx: Rc<Context>) -> Response {
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

async fn dispatch(req: Request, env: Env, ctx: Rc<Context>) -> ApiResult<Response> {
    let url = req.url()?;
    let route = match_path(url.path()).ok_or_else(|| no_endpoint(url.path()))?;
    let method = req.method();
    // The MCP endpoint answers other methods itself (after its Origin check, as MCP asks).
    let checks_method = !matches!(route, Route::Mcp { .. });
    if checks_method && !route.allowed_methods().contains(&method.as_ref()) {
        return Err(ApiError::MethodNotAllowed {
            allowed: route.allowed_methods().to_vec(),
        }
        .into());
    }
    let call = |project: String, store: Option<String>| Call::new(req, env, ctx, project, store);
    match route {
        Route::Token => oauth::token(call(String::new(), None)?).await,
        Route::Revoke => oauth::revoke(call(String::new(), None)?).await,
        Route::Introspect => oauth::introspect(call(String::new(), None)?).await,
        Route::CustomerToken { project, store } => {
            oauth::customer_token(call(project, store)?).await
        }
        Route::AnonymousToken { project } => oauth::anonymous_token(call(project, None)?).await,
        Route::ApiClients { project } => api_clients::collection(call(project, None)?).await,
        Route::ApiClient { project, id } => api_clients::single(call(project, None)?, &id).await,
        Route::Customers { project, store } => customers::collection(call(project, store)?).await,
        Route::Customer {
            project,
            store,
            target,
        } => customers::single(call(project, store)?, &target).await,
        Route::Credentials {
            project,
            store,
            endpoint,
        } => credentials::handle(call(project, store)?, endpoint).await,
        Route::Mcp { project } => mcp::endpoint(call(project, None)?).await,
        Route::Project { project } => search::project(call(project, None)?).await,
        Route::CustomerSearch { project } => search::customers(call(project, None)?).await,
        Route::CustomerSearchStatus { project } => {
            search::customers_indexing_status(call(project, None)?).await
        }
        Route::ProtectedResource { project } => mcp::protected_resource(&url, project.as_deref()),
        Route::AuthorizationServer => mcp::authorization_server(&url),
        Route::Resources { project, segment } => {
            let not_found = no_endpoint(url.path());
            resources::dispatch(call(project, None)?, &segment, None)
                .await
                .unwrap_or(Err(not_found))
        }
        Route::Resource {
            project,
            segment,
            target,
        } => {
            let not_found = no_endpoint(url.path());
            resources::dispatch(call(project, None)?, &segment, Some(&target))
                .await
                .unwrap_or(Err(not_found))
        }
    }
}
