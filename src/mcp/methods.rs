//! The MCP methods this server answers, shared by both eras: `initialize` (legacy only),
//! `server/discover` (2026-07-28 only), `tools/list` and `tools/call`.
//!
//! Each returns the `result` object or a JSON-RPC error; the era's dispatcher wraps it.

use serde_json::{json, Map, Value};

use super::args;
use super::jsonrpc::{RpcError, INVALID_PARAMS};
use super::protocol::{Server, ToolRunner};
use super::results::{self, Outcome};
use super::tools::Tool;
use super::version::{Version, SUPPORTED};

/// What a stateless server can offer: tools, and no `listChanged` pushes.
fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}})
}

/// `Implementation {name, version}`.
fn server_info(server: &Server) -> Value {
    json!({"name": server.name, "version": server.version})
}

/// `initialize`: echoes the requested revision if it is a handshake revision this server
/// speaks, else offers the newest one (the client disconnects if it cannot use it).
pub fn initialize(server: &Server, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::new(
                INVALID_PARAMS,
                "initialize needs params.protocolVersion (a string)",
            )
        })?;
    let version = Version::parse(requested)
        .filter(|v| !v.is_modern())
        .unwrap_or(Version::LATEST_LEGACY);
    let mut result = json!({
        "protocolVersion": version.as_str(),
        "capabilities": capabilities(),
        "serverInfo": server_info(server),
    });
    if let Some(instructions) = &server.instructions {
        result["instructions"] = json!(instructions);
    }
    Ok(result)
}

/// `server/discover` (2026-07-28): every revision served, the capabilities and who we are.
pub fn discover(server: &Server) -> Value {
    let versions: Vec<&str> = SUPPORTED.iter().map(|v| v.as_str()).collect();
    let mut result = json!({
        "supportedVersions": versions,
        "capabilities": capabilities(),
        "_meta": {"io.modelcontextprotocol/serverInfo": server_info(server)},
        "ttlMs": server.list_ttl_ms,
        "cacheScope": "public",
    });
    if let Some(instructions) = &server.instructions {
        result["instructions"] = json!(instructions);
    }
    result
}

/// `tools/list`: every served tool on one page, so any cursor is one this server never
/// issued (−32602). From 2026-07-28 the list also says how long it may be cached; it does
/// not depend on the caller, hence `"public"`.
pub fn list_tools(
    server: &Server,
    params: &Map<String, Value>,
    version: Version,
) -> Result<Value, RpcError> {
    if params.get("cursor").is_some_and(|c| !c.is_null()) {
        return Err(RpcError::new(
            INVALID_PARAMS,
            "Invalid cursor: this server lists every tool on one page",
        ));
    }
    let tools: Vec<Value> = server.tools().map(Tool::to_json).collect();
    let mut result = json!({ "tools": tools });
    if version.is_modern() {
        result["ttlMs"] = json!(server.list_ttl_ms);
        result["cacheScope"] = json!("public");
    }
    Ok(result)
}

/// `tools/call`: finds the tool, checks the arguments, runs the API operation and maps its
/// answer. An unknown tool or malformed params are −32602; bad arguments are a tool error
/// from 2025-11-25 on and −32602 before (each revision's rule).
pub async fn call_tool<R: ToolRunner>(
    server: &Server,
    runner: &R,
    params: &Map<String, Value>,
    version: Version,
) -> Result<Outcome, RpcError> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::new(INVALID_PARAMS, "tools/call needs params.name (a string)"))?;
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments.clone(),
        Some(_) => {
            let message = "tools/call params.arguments must be an object";
            return Err(RpcError::new(INVALID_PARAMS, message));
        }
    };
    let tool = server
        .tool(name)
        .ok_or_else(|| RpcError::new(INVALID_PARAMS, format!("Unknown tool: {name}")))?;
    let call = match args::build(tool, &arguments) {
        Ok(call) => call,
        Err(problems) if version.argument_errors_are_tool_errors() => {
            return Ok(Outcome::Result(results::argument_error(name, &problems)));
        }
        Err(problems) => {
            let message = format!("Invalid arguments for tool {name}: {}", problems.join(" "));
            let data = json!({ "errors": problems });
            return Err(RpcError::new(INVALID_PARAMS, message).with_data(data));
        }
    };
    let (status, body) = runner.run(tool, &call).await;
    Ok(results::from_api(version, status, &body))
}
