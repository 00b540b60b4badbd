//! MCP over Streamable HTTP, stateless, as one pure function: an [`HttpCall`] in, an
//! [`HttpReply`] out, and a [`ToolRunner`] through which a `tools/call` reaches the API.
//!
//! Every POST that carries a request gets exactly one `application/json` response: no
//! sessions (`Mcp-Session-Id` is ignored and never issued), no SSE, `GET` and `DELETE` are
//! `405`. The order of checks follows fact sheet §5:
//!
//! 1. [`screen`]: a present `Origin` off the allow-list → `403`; not POST → `405`; a body
//!    over [`Server::max_body_bytes`] → `413`. (Authentication comes next, in the Worker.)
//! 2. Not JSON → `400` + −32700. An array → a 2025-03-26 batch (see [`handle`]).
//! 3. The era: a request with modern `_meta` (a protocol version) or with the
//!    `MCP-Protocol-Version: 2026-07-28` header is served by [`super::modern`]; anything
//!    else, and every `initialize`, by the legacy dispatcher below.
//!
//! Legacy rules: a notification or a client response → `202`, no body; an invalid message
//! → `400` + −32600; an `MCP-Protocol-Version` header that is not a handshake revision →
//! `400` + −32600 (never checked on `initialize`; absent means 2025-03-26); errors answering
//! a valid request are sent with `200`.

use std::future::Future;

use serde_json::Value;

use super::args::ApiCall;
use super::jsonrpc::{self, Message, Request, RpcError, INVALID_REQUEST};
use super::methods;
use super::modern;
use super::results::Outcome;
use super::tools::{Resource, Tool, TOOLS};
use super::version::Version;

/// The header naming the protocol revision of a request.
pub const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";
/// Default for [`Server::max_body_bytes`]: the API's own 512 KiB body limit plus room for the
/// JSON-RPC envelope around tool arguments.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most messages one 2025-03-26 batch may hold: each may run an API operation.
pub const MAX_BATCH_MESSAGES: usize = 32;

/// One HTTP request to the MCP endpoint, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// `"POST"`, `"GET"`, … as the client sent it.
    pub method: String,
    /// Name/value pairs; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpCall {
    /// A POST with `body` and no headers.
    pub fn post(body: impl Into<Vec<u8>>) -> Self {
        HttpCall {
            method: "POST".to_string(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The same call with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The HTTP answer: status, headers, and a body (`None` for 202 and 405).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpReply {
    /// A reply without a body.
    pub fn empty(status: u16) -> Self {
        HttpReply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A JSON reply.
    pub fn json(status: u16, body: &Value) -> Self {
        HttpReply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(body.to_string()),
        }
    }

    /// A JSON-RPC error reply.
    pub fn error(status: u16, id: &Value, error: RpcError) -> Self {
        HttpReply::json(status, &error.response(id))
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How a tool call reaches the API: the Worker runs `call` in-process against
/// `/{projectKey}` with the caller's token and returns the HTTP status and body. `tool` says
/// which scopes the operation needs ([`Tool::scopes`]).
///
/// Futures in a Worker are not `Send`, so none is required here.
pub trait ToolRunner {
    fn run(&self, tool: &Tool, call: &ApiCall) -> impl Future<Output = (u16, String)>;
}

/// What this endpoint serves. Built by the Worker per request (the challenge URL and scope
/// depend on the request's origin and project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `serverInfo.name`.
    pub name: String,
    /// `serverInfo.version`.
    pub version: String,
    /// Optional `instructions` for the model.
    pub instructions: Option<String>,
    /// The resources whose tools are listed and callable; others are unknown tools.
    pub resources: Vec<Resource>,
    /// Exact `Origin` values accepted (e.g. `https://shop.example`); a request without an
    /// `Origin` header is always accepted (non-browser clients send none).
    pub allowed_origins: Vec<String>,
    /// Whether to serve the 2026-07-28 profile. When false, a modern request is refused as
    /// a legacy server would (`400` + −32600), and clients fall back to `initialize`.
    pub modern: bool,
    /// Largest POST body accepted, in bytes.
    pub max_body_bytes: usize,
    /// `ttlMs` of `tools/list` and `server/discover` results (2026-07-28).
    pub list_ttl_ms: u64,
    /// The Protected Resource Metadata URL for `WWW-Authenticate` on a 401.
    pub resource_metadata: Option<String>,
    /// The `scope` named in the 401 challenge, e.g. `view_customers:demo`.
    pub challenge_scope: Option<String>,
}

impl Server {
    /// A server of every tool, modern profile on, no origins allowed, default limits.
    pub fn new(name: &str, version: &str) -> Self {
        Server {
            name: name.to_string(),
            version: version.to_string(),
            instructions: None,
            resources: Resource::ALL.to_vec(),
            allowed_origins: Vec::new(),
            modern: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            list_ttl_ms: 300_000,
            resource_metadata: None,
            challenge_scope: None,
        }
    }

    /// The served tools, in catalogue order.
    pub fn tools(&self) -> impl Iterator<Item = &'static Tool> + '_ {
        TOOLS
            .iter()
            .filter(|tool| self.resources.contains(&tool.resource))
    }

    /// The served tool named `name`.
    pub fn tool(&self, name: &str) -> Option<&'static Tool> {
        self.tools().find(|tool| tool.name == name)
    }

    /// The `WWW-Authenticate` value of a 401: `Bearer resource_metadata="…", scope="…"`.
    pub fn challenge(&self) -> String {
        let quoted = |v: &str| v.replace(['"', '\\'], "");
        let mut parts = Vec::new();
        if let Some(url) = &self.resource_metadata {
            parts.push(format!("resource_metadata=\"{}\"", quoted(url)));
        }
        if let Some(scope) = &self.challenge_scope {
            parts.push(format!("scope=\"{}\"", quoted(scope)));
        }
        match parts.is_empty() {
            true => "Bearer".to_string(),
            false => format!("Bearer {}", parts.join(", ")),
        }
    }
}

/// The `401` for a missing, invalid or expired token: `WWW-Authenticate` (MUST since
/// 2025-06-18) and the API's error envelope as the body. The Worker answers with it before
/// dispatch; [`handle`] answers with it when the API refuses the token during a tool call.
pub fn unauthorized(server: &Server, api_body: &str) -> HttpReply {
    HttpReply {
        status: 401,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("WWW-Authenticate".into(), server.challenge()),
        ],
        body: Some(api_body.to_string()),
    }
}

/// The transport checks that need no body parsing: `Origin`, method, body size. `None`
/// means the request may go on (to authentication, then [`handle`]).
pub fn screen(call: &HttpCall, server: &Server) -> Option<HttpReply> {
    if let Some(origin) = call.header("origin") {
        let allowed = server.allowed_origins.iter();
        if !allowed.clone().any(|o| o.eq_ignore_ascii_case(origin)) {
            let error = RpcError::new(INVALID_REQUEST, "Forbidden: Origin not allowed");
            return Some(HttpReply::error(403, &Value::Null, error));
        }
    }
    if call.method != "POST" {
        let mut reply = HttpReply::empty(405);
        reply.headers.push(("Allow".into(), "POST".into()));
        return Some(reply);
    }
    if call.body.len() > server.max_body_bytes {
        return Some(body_too_large(server));
    }
    None
}

/// The `413` for a body over [`Server::max_body_bytes`] (also when only its declared length
/// says so, before it is read).
pub fn body_too_large(server: &Server) -> HttpReply {
    let limit = server.max_body_bytes;
    let error = RpcError::new(INVALID_REQUEST, format!("Body exceeds {limit} bytes"));
    HttpReply::error(413, &Value::Null, error)
}

/// Answers one HTTP request to the MCP endpoint. The caller has authenticated it.
pub async fn handle<R: ToolRunner>(call: &HttpCall, server: &Server, runner: &R) -> HttpReply {
    if let Some(reply) = screen(call, server) {
        return reply;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&call.body) else {
        let error = RpcError::new(jsonrpc::PARSE_ERROR, "Parse error: the body is not JSON");
        return HttpReply::error(400, &Value::Null, error);
    };
    match body {
        Value::Array(messages) => batch(call, server, runner, &messages).await,
        message => {
            let classified = jsonrpc::classify(&message);
            if server.modern && selects_modern(call, &message) {
                return modern::handle(call, server, runner, classified).await;
            }
            legacy(call, server, runner, classified).await
        }
    }
}

/// Whether a single message is for the 2026-07-28 profile: never `initialize`; otherwise
/// when it carries modern `_meta` (a protocol version) or declares a modern revision in the
/// `MCP-Protocol-Version` header.
fn selects_modern(call: &HttpCall, message: &Value) -> bool {
    if message.get("method").and_then(Value::as_str) == Some("initialize") {
        return false;
    }
    let has_meta = message
        .pointer("/params/_meta")
        .and_then(|meta| meta.get(modern::META_PROTOCOL_VERSION))
        .is_some();
    let header = call
        .header(PROTOCOL_VERSION_HEADER)
        .and_then(Version::parse);
    has_meta || header.is_some_and(Version::is_modern)
}

/// One legacy message.
async fn legacy<R: ToolRunner>(
    call: &HttpCall,
    server: &Server,
    runner: &R,
    classified: Result<Message, jsonrpc::Invalid>,
) -> HttpReply {
    let request = match classified {
        Err(invalid) => return HttpReply::json(400, &invalid.response()),
        Ok(Message::Request(request)) => request,
        Ok(_) => return HttpReply::empty(202),
    };
    let version = match legacy_version(call, &request) {
        Ok(version) => version,
        Err(error) => return HttpReply::error(400, &request.id, error),
    };
    match legacy_request(server, runner, &request, version).await {
        Answered::Json(response) => HttpReply::json(200, &response),
        Answered::Unauthorized(body) => unauthorized(server, &body),
    }
}

/// The revision a legacy request is served in: the header's, or 2025-03-26 without one.
/// `initialize` is never checked (it arrives without the header and negotiates itself).
fn legacy_version(call: &HttpCall, request: &Request) -> Result<Version, RpcError> {
    let Some(text) = call.header(PROTOCOL_VERSION_HEADER) else {
        return Ok(Version::ASSUMED_WITHOUT_HEADER);
    };
    match Version::parse(text).filter(|v| !v.is_modern()) {
        Some(version) => Ok(version),
        None if request.method == "initialize" => Ok(Version::ASSUMED_WITHOUT_HEADER),
        None => Err(RpcError::new(
            INVALID_REQUEST,
            format!(
                "Unsupported MCP-Protocol-Version '{text}'; supported: 2025-11-25, 2025-06-18, \
                 2025-03-26"
            ),
        )),
    }
}

/// A request's answer: a JSON-RPC response, or the API refusing the token.
enum Answered {
    Json(Value),
    Unauthorized(String),
}

/// Dispatches one legacy request.
async fn legacy_request<R: ToolRunner>(
    server: &Server,
    runner: &R,
    request: &Request,
    version: Version,
) -> Answered {
    let id = &request.id;
    let params = match request.params_object() {
        Ok(params) => params,
        Err(error) => return Answered::Json(error.response(id)),
    };
    let result = match request.method.as_str() {
        "initialize" => methods::initialize(server, &params),
        "ping" => Ok(serde_json::json!({})),
        "tools/list" => methods::list_tools(server, &params, version),
        "tools/call" => match methods::call_tool(server, runner, &params, version).await {
            Ok(Outcome::Result(result)) => Ok(result),
            Ok(Outcome::Unauthorized { body }) => return Answered::Unauthorized(body),
            Err(error) => Err(error),
        },
        other => Err(RpcError::new(
            jsonrpc::METHOD_NOT_FOUND,
            format!("Method not found: {other}"),
        )),
    };
    Answered::Json(match result {
        Ok(result) => jsonrpc::result_response(id, result),
        Err(error) => error.response(id),
    })
}

/// A JSON-RPC batch: allowed only when the request declares 2025-03-26 or no revision. Each
/// request is answered in order; notifications and responses are not; `initialize` may not
/// be batched. All notifications → `202`.
async fn batch<R: ToolRunner>(
    call: &HttpCall,
    server: &Server,
    runner: &R,
    messages: &[Value],
) -> HttpReply {
    let declared = call.header(PROTOCOL_VERSION_HEADER);
    let allowed = declared.is_none_or(|v| Version::parse(v).is_some_and(Version::allows_batches));
    let refusal = match (allowed, messages.len()) {
        (false, _) => Some("batches are allowed only in protocol version 2025-03-26".to_string()),
        (true, 0) => Some("an empty batch".to_string()),
        (true, n) if n > MAX_BATCH_MESSAGES => Some(format!(
            "a batch holds at most {MAX_BATCH_MESSAGES} messages"
        )),
        _ => None,
    };
    if let Some(why) = refusal {
        let error = RpcError::new(INVALID_REQUEST, format!("Invalid Request: {why}"));
        return HttpReply::error(400, &Value::Null, error);
    }
    let mut responses = Vec::new();
    for message in messages {
        let request = match jsonrpc::classify(message) {
            Err(invalid) => {
                responses.push(invalid.response());
                continue;
            }
            Ok(Message::Request(request)) => request,
            Ok(_) => continue,
        };
        if request.method == "initialize" {
            let error = RpcError::new(INVALID_REQUEST, "initialize must not be part of a batch");
            responses.push(error.response(&request.id));
            continue;
        }
        match legacy_request(server, runner, &request, Version::V2025_03_26).await {
            Answered::Json(response) => responses.push(response),
            Answered::Unauthorized(body) => return unauthorized(server, &body),
        }
    }
    match responses.is_empty() {
        true => HttpReply::empty(202),
        false => HttpReply::json(200, &Value::Array(responses)),
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
