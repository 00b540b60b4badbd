//! `/{projectKey}/mcp`: the MCP endpoint (Streamable HTTP, stateless, one JSON answer per
//! request), and the OAuth metadata documents MCP clients look for. The protocol lives in
//! [`crate::mcp`]; this is its glue: it turns the Worker's request into an [`HttpCall`], checks
//! the bearer token like every endpoint, and runs each tool as an in-process call of the API's
//! own router with the caller's token — no request leaves the Worker and no rule is repeated:
//! a tool is refused exactly when its endpoint would be.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response, Url};

use super::super::context::Call;
use super::super::respond;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::mcp::{self, ApiCall, HttpCall, HttpReply, Resource, Server, Tool, ToolRunner};
use crate::store::bookmarks::{self, Bookmarks};
use crate::store::d1::Sessions;

/// `POST /{projectKey}/mcp` (other methods → 405 with `Allow: POST`).
pub async fn endpoint(mut call: Call) -> ApiResult<Response> {
    let origin = call.req.url()?.origin().ascii_serialization();
    let server = server(&call, &origin);
    let mut http = HttpCall {
        method: call.req.method().to_string(),
        headers: call.req.headers().entries().collect(),
        body: Vec::new(),
    };
    if let Some(reply) = mcp::screen(&http, &server) {
        return Ok(send(reply));
    }
    if let Err(rejection) = call.authenticate().await {
        return Ok(refused(&server, &rejection));
    }
    if call.grant().project_key != call.project.as_str() {
        let rejection = Rejection::from(ApiError::InsufficientScope {
            required: vec![format!("view_customers:{}", call.project.as_str())],
        });
        return Ok(refused(&server, &rejection));
    }
    http.body = match call.body().await {
        Ok(body) => body,
        Err(_) => return Ok(send(mcp::protocol::body_too_large(&server))),
    };
    let runner = InProcess {
        env: call.env.clone(),
        ctx: Rc::clone(&call.ctx),
        base: format!("{origin}/{}", call.project.as_str()),
        authorization: call.header("Authorization").unwrap_or_default(),
        session: Rc::clone(&call.session),
    };
    Ok(send(mcp::handle(&http, &server, &runner).await))
}

/// What this deployment serves to `call`'s project.
fn server(call: &Call, origin: &str) -> Server {
    let project = call.project.as_str();
    let mut server = Server::new("edge-customer-api", env!("CARGO_PKG_VERSION"));
    server.resources = Resource::SERVED.to_vec();
    server.max_body_bytes = super::super::context::MAX_BODY_BYTES;
    server.allowed_origins = allowed_origins(&call.env);
    server.resource_metadata = Some(format!(
        "{origin}/.well-known/oauth-protected-resource/{project}/mcp"
    ));
    server.challenge_scope = Some(format!("view_customers:{project}"));
    server
}

/// `MCP_ALLOWED_ORIGINS`: browser origins allowed to call the endpoint, space-separated
/// (none by default; clients that are not browsers send no `Origin`).
fn allowed_origins(env: &Env) -> Vec<String> {
    env.var("MCP_ALLOWED_ORIGINS")
        .map(|v| v.to_string())
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// A token refused before any JSON-RPC: 401 with the challenge, or the API's 403.
fn refused(server: &Server, rejection: &Rejection) -> Response {
    match rejection.status() {
        401 => send(mcp::unauthorized(server, &rejection.to_json().to_string())),
        _ => respond::error(rejection),
    }
}

/// The Worker's response for an MCP reply.
fn send(reply: HttpReply) -> Response {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        let _ = headers.append(name, value);
    }
    let response = match reply.body {
        Some(body) => Response::ok(body),
        None => Response::empty(),
    };
    response
        .expect("a string or empty body is always valid")
        .with_status(reply.status)
        .with_headers(headers)
}

/// Runs a tool's API call through the API's own router, in this Worker invocation. The D1
/// bookmarks travel as a client's would: each tool call brings the MCP request's latest ones
/// (those it brought, updated by every earlier call's answer), and its answer's become the
/// MCP request's, which answers with them (so a client that sends them back reads what its
/// tools wrote).
struct InProcess {
    env: Env,
    ctx: Rc<Context>,
    /// `{origin}/{projectKey}`: the call's path and query are appended.
    base: String,
    authorization: String,
    /// The MCP request's D1 sessions, whose bookmarks the calls carry on.
    session: Rc<Sessions>,
}

impl ToolRunner for InProcess {
    async fn run(&self, _tool: &Tool, call: &ApiCall) -> (u16, String) {
        let request = match self.request(call) {
            Ok(request) => request,
            Err(e) => return (500, internal_error(&e.to_string())),
        };
        let answer: Pin<Box<dyn Future<Output = Response>>> = Box::pin(super::handle(
            request,
            self.env.clone(),
            Rc::clone(&self.ctx),
        ));
        let mut response = answer.await;
        let answered = response.headers().get(bookmarks::HEADER).ok().flatten();
        self.session.wrote(&Bookmarks::parse(answered.as_deref()));
        let status = response.status_code();
        let body = response.text().await.unwrap_or_default();
        (status, body)
    }
}

impl InProcess {
    fn request(&self, call: &ApiCall) -> worker::Result<Request> {
        let headers = Headers::new();
        headers.set("Authorization", &self.authorization)?;
        if let Some(latest) = self.session.bookmarks().render() {
            headers.set(bookmarks::HEADER, &latest)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(call.method.as_str().to_string()));
        if let Some(body) = &call.body {
            headers.set("Content-Type", "application/json")?;
            init.with_body(Some(JsValue::from_str(&body.to_string())));
        }
        init.with_headers(headers);
        Request::new_with_init(&format!("{}{}", self.base, call.target()), &init)
    }
}

fn internal_error(message: &str) -> String {
    json!({"statusCode": 500, "message": message, "errors": [{"code": "General", "message": message}]})
        .to_string()
}

/// `GET /.well-known/oauth-protected-resource[/{projectKey}/mcp]`: the Protected Resource
/// Metadata (RFC 9728) naming this Worker as the authorization server of its MCP endpoint.
pub fn protected_resource(url: &Url, project: Option<&str>) -> ApiResult<Response> {
    let origin = url.origin().ascii_serialization();
    let mut document = json!({
        "resource": match project {
            Some(project) => format!("{origin}/{project}/mcp"),
            None => origin.clone(),
        },
        "authorization_servers": [origin],
        "bearer_methods_supported": ["header"],
        "resource_name": "edge-customer-api MCP",
    });
    if let Some(project) = project {
        document["scopes_supported"] = scopes(project);
    }
    Ok(respond::json(200, document.to_string()))
}

/// The scopes the served tools need.
fn scopes(project: &str) -> Value {
    let names = [
        "view_customers",
        "manage_customers",
        "view_customer_groups",
        "manage_customer_groups",
        "manage_project",
    ];
    names.iter().map(|n| format!("{n}:{project}")).collect()
}

/// `GET /.well-known/oauth-authorization-server`: the authorization server metadata
/// (RFC 8414) of this Worker's token endpoint (client credentials, password and refresh).
pub fn authorization_server(url: &Url) -> ApiResult<Response> {
    let origin = url.origin().ascii_serialization();
    let document = json!({
        "issuer": origin,
        "token_endpoint": format!("{origin}/oauth/token"),
        "introspection_endpoint": format!("{origin}/oauth/introspect"),
        "revocation_endpoint": format!("{origin}/oauth/token/revoke"),
        "grant_types_supported": ["client_credentials", "password", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "response_types_supported": [],
    });
    Ok(respond::json(200, document.to_string()))
}
