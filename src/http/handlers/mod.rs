//! Request handling: match the route, check the method, build the request context, hand over
//! to the resource's handler, and turn every failure into the commercetools error envelope.

mod api_clients;
mod as_associate;
pub(crate) mod business_units;
mod credentials;
mod customers;
mod emporix;
mod in_store;
mod mcp;
mod me;
mod messages;
mod oauth;
mod rebalance;
mod resources;
mod search;

use std::rc::Rc;

use worker::{Context, Cors, Env, Method, Request, Response};

use super::context::Call;
use super::respond;
use super::route::{match_path, Route};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::correlation_id;
use crate::store::bookmarks::{self as bookmark, Bookmarks};
use crate::store::d1::{Sessions, UNCONSTRAINED};
use crate::store::platform::CryptoRandom;

fn no_endpoint(path: &str) -> crate::domain::error::Rejection {
    ApiError::ResourceNotFound {
        message: format!("No endpoint matches the path '{path}'."),
    }
    .into()
}

/// A path no endpoint serves, though one like it could exist for some project: a request
/// that brings a token has it checked first (401 if it is bad, so a client learns that), then
/// 404. Without an `Authorization` header it is 404 at once.
async fn unknown_path(mut call: Call, path: &str) -> ApiResult<Response> {
    if call.header("Authorization").is_some() {
        call.authenticate().await?;
    }
    Err(no_endpoint(path))
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
            Method::Patch,
        ])
        .with_allowed_headers([
            "Authorization",
            "Content-Type",
            "X-Correlation-ID",
            "saas-token",
            "session-id",
            bookmark::HEADER,
        ])
        .with_exposed_headers(["X-Correlation-ID", bookmark::HEADER])
        .with_max_age(86_400)
}

/// Answers one request. Never fails: errors become their envelope (a 500 is a bug).
pub async fn handle(req: Request, env: Env, ctx: Rc<Context>) -> Response {
    let method = req.method();
    let given = req.headers().get("X-Correlation-ID").ok().flatten();
    let brought = req.headers().get(bookmark::HEADER).ok().flatten();
    let brought = Bookmarks::parse(brought.as_deref());
    let session = Rc::new(Sessions::new(&env, brought, UNCONSTRAINED));
    let correlation_id = correlation_id(given.as_deref(), &mut CryptoRandom);
    let response = if method == Method::Options {
        // A CORS preflight: answered for every path, without authentication.
        Response::empty()
            .expect("an empty response is always valid")
            .with_status(204)
    } else {
        match dispatch(req, (env, ctx, Rc::clone(&session))).await {
            Ok(response) => response,
            Err(rejection) => respond::error(&rejection),
        }
    };
    let mut response = if method == Method::Head {
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
    let _ = response
        .headers_mut()
        .set("X-Correlation-ID", &correlation_id);
    if let Some(bookmark) = session.bookmarks().render() {
        let _ = response.headers_mut().set(bookmark::HEADER, &bookmark);
    }
    let status = response.status_code();
    response.with_cors(&cors()).unwrap_or_else(|e| {
        worker::console_error!("CORS headers: {e}");
        Response::empty()
            .expect("an empty response is always valid")
            .with_status(status)
    })
}

async fn dispatch(req: Request, platform: (Env, Rc<Context>, Rc<Sessions>)) -> ApiResult<Response> {
    let url = req.url()?;
    let Some(route) = match_path(url.path()) else {
        if url.path().starts_with("/oauth/") {
            return Err(no_endpoint(url.path()));
        }
        return unknown_path(Call::new(req, platform, String::new(), None)?, url.path()).await;
    };
    let route = match route {
        // The Emporix dialect answers every failure (405 included) in its own shapes.
        Route::Emporix(route) => return Ok(emporix::handle(req, platform, route).await),
        route => route,
    };
    let method = req.method();
    // The MCP endpoint answers other methods itself (after its Origin check, as MCP asks).
    let checks_method = !matches!(route, Route::Mcp { .. });
    if checks_method && !route.allowed_methods().contains(&method.as_ref()) {
        return Err(ApiError::MethodNotAllowed {
            allowed: route.allowed_methods().to_vec(),
        }
        .into());
    }
    if matches!(route, Route::Rebalance) {
        return rebalance::step(&req, &platform.0).await;
    }
    let call = |project: String, store: Option<String>| Call::new(req, platform, project, store);
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
        Route::Me {
            project,
            store,
            endpoint,
        } => me::handle(call(project, store)?, endpoint).await,
        Route::Mcp { project } => mcp::endpoint(call(project, None)?).await,
        Route::Project { project } => search::project(call(project, None)?).await,
        Route::CustomerSearch { project } => search::customers(call(project, None)?).await,
        Route::CustomerSearchStatus { project } => {
            search::customers_indexing_status(call(project, None)?).await
        }
        Route::BusinessUnitSearch { project } => search::business_units(call(project, None)?).await,
        Route::BusinessUnitSearchStatus { project } => {
            search::business_units_indexing_status(call(project, None)?).await
        }
        Route::ProtectedResource { project } => mcp::protected_resource(&url, project.as_deref()),
        Route::AuthorizationServer => mcp::authorization_server(&url),
        Route::Messages { project } => messages::collection(call(project, None)?).await,
        Route::Message { project, id } => messages::single(call(project, None)?, &id).await,
        Route::Resources { project, segment } => {
            match resources::dispatch(call(project, None)?, &segment, None).await {
                Ok(answer) => answer,
                Err(call) => unknown_path(call, url.path()).await,
            }
        }
        Route::BusinessUnitAssociate {
            project,
            target,
            customer,
        } => business_units::associate(call(project, None)?, &target, &customer).await,
        Route::InStoreUnits {
            project,
            store,
            target,
        } => in_store::handle(call(project, Some(store))?, target.as_ref()).await,
        Route::InStoreUnitAssociate {
            project,
            store,
            target,
            customer,
        } => in_store::associate(call(project, Some(store))?, &target, &customer).await,
        Route::AsAssociate {
            project,
            associate,
            target,
        } => {
            let actor = as_associate::Actor::Associate(&associate);
            as_associate::handle(call(project, None)?, actor, target.as_ref()).await
        }
        Route::InUnitSignUp { project, unit } => {
            as_associate::sign_up_associate(call(project, None)?, &unit).await
        }
        Route::MyUnits { project, target } => {
            let actor = as_associate::Actor::Me;
            as_associate::handle(call(project, None)?, actor, target.as_ref()).await
        }
        Route::Resource {
            project,
            segment,
            target,
        } => match resources::dispatch(call(project, None)?, &segment, Some(&target)).await {
            Ok(answer) => answer,
            Err(call) => unknown_path(call, url.path()).await,
        },
        Route::Emporix(_) | Route::Rebalance => unreachable!("answered above"),
    }
}
