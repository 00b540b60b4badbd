//! The 2026-07-28 ("modern") profile: stateless requests that each carry their revision in
//! `params._meta`, mirrored into HTTP headers.
//!
//! For one request, in order:
//!
//! 1. An invalid message → `400` + −32600. A notification → `202` (this revision defines no
//!    header rules for notification POSTs). A client response → `400` + −32600 (a client
//!    MUST NOT send one in this revision).
//! 2. `params._meta` must name `io.modelcontextprotocol/protocolVersion` (a string) and
//!    `io.modelcontextprotocol/clientCapabilities` (an object) → else `400` + −32602.
//!    Exception: `server/discover` without `_meta` is answered, the revision then taken
//!    from the header (a lenient choice; see the module doc of [`super`]).
//! 3. `MCP-Protocol-Version` must equal that revision, `Mcp-Method` the method, and for
//!    `tools/call` (also `resources/read`, `prompts/get`) `Mcp-Name` the `name` (or `uri`),
//!    after decoding a `=?base64?…?=` value → else `400` + −32020 HeaderMismatch.
//! 4. The revision must be one this server serves statelessly → else `400` + −32022 with
//!    `data: {supported, requested}` listing every revision served.
//! 5. `server/discover`, `tools/list` and `tools/call` are served; any other method
//!    (`initialize` never gets here; `ping` was removed) → `404` + −32601.
//!
//! Every result carries `resultType: "complete"`. Errors from a served method (unknown tool,
//! bad cursor) are sent with `200`, as in the legacy era.

use base64::Engine;
use serde_json::{json, Value};

use super::jsonrpc::{self, Message, Request, RpcError};
use super::methods;
use super::protocol::PROTOCOL_VERSION_HEADER;
use super::protocol::{unauthorized, HttpCall, HttpReply, Server, ToolRunner};
use super::results::Outcome;
use super::version::{Version, SUPPORTED};

/// The `_meta` key naming a request's protocol revision.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// The `_meta` key carrying the client's capabilities.
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// The header mirroring the JSON-RPC method.
pub const METHOD_HEADER: &str = "mcp-method";
/// The header mirroring `params.name` (or `params.uri`).
pub const NAME_HEADER: &str = "mcp-name";

/// Methods whose `Mcp-Name` header is required.
const NAMED_METHODS: [&str; 3] = ["tools/call", "resources/read", "prompts/get"];

/// A refusal before dispatch: HTTP status and JSON-RPC error.
type Refusal = (u16, RpcError);

/// Answers one modern message.
pub async fn handle<R: ToolRunner>(
    call: &HttpCall,
    server: &Server,
    runner: &R,
    classified: Result<Message, jsonrpc::Invalid>,
) -> HttpReply {
    let request = match classified {
        Err(invalid) => return HttpReply::json(400, &invalid.response()),
        Ok(Message::Request(request)) => request,
        Ok(Message::Notification { .. }) => return HttpReply::empty(202),
        Ok(Message::Response) => {
            let why = "Invalid Request: a client sends no responses in protocol 2026-07-28";
            let error = RpcError::new(jsonrpc::INVALID_REQUEST, why);
            return HttpReply::error(400, &Value::Null, error);
        }
    };
    let version = match check(call, &request) {
        Ok(version) => version,
        Err((status, error)) => return HttpReply::error(status, &request.id, error),
    };
    dispatch(server, runner, &request, version).await
}

/// Steps 2 to 4 of the module doc: the revision the request is served in.
fn check(call: &HttpCall, request: &Request) -> Result<Version, Refusal> {
    let requested = requested_version(call, request)?;
    check_headers(call, request, &requested)?;
    match Version::parse(&requested).filter(|v| v.is_modern()) {
        Some(version) => Ok(version),
        None => Err((400, unsupported_version(&requested))),
    }
}

/// The revision named in `_meta` (with the client capabilities beside it).
fn requested_version(call: &HttpCall, request: &Request) -> Result<String, Refusal> {
    let meta = request.meta();
    let named = meta.and_then(|m| m.get(META_PROTOCOL_VERSION));
    let missing = |what: &str| {
        let message = format!("Invalid params: params._meta must carry {what}");
        Err((400, RpcError::new(jsonrpc::INVALID_PARAMS, message)))
    };
    match named {
        Some(Value::String(version)) => {
            let capabilities = meta.and_then(|m| m.get(META_CLIENT_CAPABILITIES));
            if !capabilities.is_some_and(Value::is_object) {
                return missing("io.modelcontextprotocol/clientCapabilities (an object)");
            }
            Ok(version.clone())
        }
        None if request.method == "server/discover" => Ok(call
            .header(PROTOCOL_VERSION_HEADER)
            .unwrap_or("")
            .to_string()),
        _ => missing("io.modelcontextprotocol/protocolVersion (a string)"),
    }
}

/// The headers must mirror the body (−32020 otherwise).
fn check_headers(call: &HttpCall, request: &Request, version: &str) -> Result<(), Refusal> {
    let mismatch = |what: String| {
        let error = RpcError::new(jsonrpc::HEADER_MISMATCH, format!("Header mismatch: {what}"));
        Err((400, error))
    };
    let mirrored = [
        ("MCP-Protocol-Version", PROTOCOL_VERSION_HEADER, version),
        ("Mcp-Method", METHOD_HEADER, request.method.as_str()),
    ];
    for (label, name, body) in mirrored {
        match call.header(name) {
            None => return mismatch(format!("the {label} header is missing")),
            Some(header) if header != body => {
                return mismatch(format!(
                    "{label} header value '{header}' does not match body value '{body}'"
                ))
            }
            Some(_) => {}
        }
    }
    if !NAMED_METHODS.contains(&request.method.as_str()) {
        return Ok(());
    }
    let body_name = ["name", "uri"]
        .iter()
        .find_map(|key| request.params.get(*key).and_then(Value::as_str));
    match (call.header(NAME_HEADER).map(decode_header_value), body_name) {
        (None, _) => mismatch("the Mcp-Name header is missing".to_string()),
        (Some(None), _) => mismatch("the Mcp-Name header value is malformed".to_string()),
        (Some(Some(header)), Some(body)) if header != body => mismatch(format!(
            "Mcp-Name header value '{header}' does not match body value '{body}'"
        )),
        _ => Ok(()),
    }
}

/// A mirrored header value: plain visible ASCII (with space and tab), or
/// `=?base64?{UTF-8 in base64}?=`. `None` if malformed.
pub fn decode_header_value(value: &str) -> Option<String> {
    let plain = |c: char| c == '\t' || (' '..='~').contains(&c);
    if !value.chars().all(plain) {
        return None;
    }
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(value.to_string());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// −32022 with every revision served and the one requested.
fn unsupported_version(requested: &str) -> RpcError {
    let supported: Vec<&str> = SUPPORTED.iter().map(|v| v.as_str()).collect();
    RpcError::new(
        jsonrpc::UNSUPPORTED_PROTOCOL_VERSION,
        format!("Unsupported protocol version '{requested}'"),
    )
    .with_data(json!({ "supported": supported, "requested": requested }))
}

/// Step 5: serves the request.
async fn dispatch<R: ToolRunner>(
    server: &Server,
    runner: &R,
    request: &Request,
    version: Version,
) -> HttpReply {
    let id = &request.id;
    let params = match request.params_object() {
        Ok(params) => params,
        Err(error) => return HttpReply::error(400, id, error),
    };
    let result = match request.method.as_str() {
        "server/discover" => Ok(methods::discover(server)),
        "tools/list" => methods::list_tools(server, &params, version),
        "tools/call" => match methods::call_tool(server, runner, &params, version).await {
            Ok(Outcome::Result(result)) => Ok(result),
            Ok(Outcome::Unauthorized { body }) => return unauthorized(server, &body),
            Err(error) => Err(error),
        },
        other => {
            let message = format!("Method not found: {other}");
            let error = RpcError::new(jsonrpc::METHOD_NOT_FOUND, message);
            return HttpReply::error(404, id, error);
        }
    };
    match result {
        Ok(mut result) => {
            result["resultType"] = json!("complete");
            HttpReply::json(200, &jsonrpc::result_response(id, result))
        }
        Err(error) => HttpReply::error(200, id, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_header_values_pass_through() {
        assert_eq!(
            decode_header_value("tools/call").as_deref(),
            Some("tools/call")
        );
        assert_eq!(decode_header_value("a b\tc").as_deref(), Some("a b\tc"));
    }

    #[test]
    fn base64_sentinel_values_are_decoded() {
        let decoded = decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=");
        assert_eq!(decoded.as_deref(), Some("Hello, 世界"));
    }

    #[test]
    fn malformed_header_values_are_refused() {
        assert_eq!(decode_header_value("=?base64?***?="), None);
        assert_eq!(decode_header_value("caf\u{e9}"), None);
        assert_eq!(decode_header_value("a\nb"), None);
        assert_eq!(decode_header_value("=?base64?/w==?="), None, "not UTF-8");
    }
}
