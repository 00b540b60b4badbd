//! Unit tests of the HTTP/JSON-RPC layer: every method and error code of both eras,
//! version negotiation, batches, notifications, the transport checks and result mapping.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde_json::{json, Value};

use super::*;
use crate::mcp::modern::{META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION};

/// Runs a future to completion on this thread. The fake API below never waits, so a
/// no-op waker is enough: no executor dependency.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// An API that answers every call with one fixed status and body, and records the calls.
struct FakeApi {
    status: u16,
    body: String,
    calls: RefCell<Vec<(&'static str, ApiCall)>>,
}

impl FakeApi {
    fn answering(status: u16, body: Value) -> Self {
        FakeApi {
            status,
            body: body.to_string(),
            calls: RefCell::new(Vec::new()),
        }
    }

    fn ok() -> Self {
        FakeApi::answering(200, json!({"id": "c-1", "version": 1}))
    }

    fn calls(&self) -> Vec<(&'static str, ApiCall)> {
        self.calls.borrow().clone()
    }
}

impl ToolRunner for FakeApi {
    async fn run(&self, tool: &Tool, call: &ApiCall) -> (u16, String) {
        let name = crate::mcp::tools::find(tool.name).unwrap().name;
        self.calls.borrow_mut().push((name, call.clone()));
        (self.status, self.body.clone())
    }
}

fn server() -> Server {
    let mut server = Server::new("edge-customer-api", "0.1.0");
    server.instructions = Some("Customers of one project.".into());
    server.resource_metadata =
        Some("https://h/.well-known/oauth-protected-resource/demo/mcp".into());
    server.challenge_scope = Some("view_customers:demo".into());
    server
}

fn send(call: HttpCall) -> HttpReply {
    block_on(handle(&call, &server(), &FakeApi::ok()))
}

fn send_to(call: HttpCall, server: &Server, api: &FakeApi) -> HttpReply {
    block_on(handle(&call, server, api))
}

fn body(reply: &HttpReply) -> Value {
    let text = reply.body.as_deref().expect("the reply has a body");
    serde_json::from_str(text).expect("the body is JSON")
}

fn request(id: Value, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// A legacy POST declaring `version` (as every request after `initialize` does).
fn legacy(version: &str, method: &str, params: Value) -> HttpCall {
    HttpCall::post(request(json!(1), method, params)).with_header("MCP-Protocol-Version", version)
}

fn error_code(reply: &HttpReply) -> i64 {
    body(reply)["error"]["code"]
        .as_i64()
        .expect("an error response")
}

fn get_by_id(arguments: Value) -> Value {
    json!({"name": "commercetools_customers_get_by_id", "arguments": arguments})
}

// ---------------------------------------------------------------------------------------
// Transport

#[test]
fn get_and_delete_are_method_not_allowed() {
    for method in ["GET", "DELETE", "PUT", "HEAD"] {
        let mut call = HttpCall::post("");
        call.method = method.into();
        let reply = send(call);
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("POST"));
        assert_eq!(reply.body, None);
    }
}

#[test]
fn a_foreign_origin_is_forbidden_and_no_origin_is_fine() {
    let ping = || HttpCall::post(request(json!(1), "ping", json!({})));
    let reply = send(ping().with_header("Origin", "https://evil.example"));
    assert_eq!(reply.status, 403);
    assert_eq!(body(&reply)["id"], Value::Null);
    assert_eq!(send(ping()).status, 200);
    let mut allowing = server();
    allowing.allowed_origins = vec!["https://shop.example".into()];
    let call = ping().with_header("origin", "https://SHOP.example");
    assert_eq!(send_to(call, &allowing, &FakeApi::ok()).status, 200);
}

#[test]
fn an_oversized_body_is_refused_before_parsing() {
    let mut small = server();
    small.max_body_bytes = 16;
    let reply = send_to(
        HttpCall::post(request(json!(1), "ping", json!({}))),
        &small,
        &FakeApi::ok(),
    );
    assert_eq!(reply.status, 413);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_REQUEST);
    assert_eq!(screen(&HttpCall::post("{}"), &small), None);
}

#[test]
fn a_body_that_is_not_json_is_a_parse_error() {
    for text in ["", "{", "ping", "{\"jsonrpc\":\"2.0\",}"] {
        let reply = send(HttpCall::post(text));
        assert_eq!(reply.status, 400, "{text:?}");
        assert_eq!(error_code(&reply), jsonrpc::PARSE_ERROR);
        assert_eq!(body(&reply)["id"], Value::Null);
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

#[test]
fn deeply_nested_json_is_a_parse_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let reply = send(HttpCall::post(deep));
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::PARSE_ERROR);
}

#[test]
fn invalid_messages_are_invalid_requests() {
    let cases = [
        json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
        json!({"id": 1, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": 1}),
        json!("ping"),
        json!(42),
    ];
    for message in cases {
        let reply = send(HttpCall::post(message.to_string()));
        assert_eq!(reply.status, 400, "{message}");
        assert_eq!(error_code(&reply), jsonrpc::INVALID_REQUEST, "{message}");
    }
}

#[test]
fn session_ids_are_ignored_and_never_issued() {
    let call = legacy("2025-11-25", "ping", json!({})).with_header("Mcp-Session-Id", "abc");
    let reply = send(call);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("mcp-session-id"), None);
}

// ---------------------------------------------------------------------------------------
// Legacy lifecycle

fn initialize(requested: &str) -> Value {
    let params = json!({"protocolVersion": requested, "capabilities": {},
                        "clientInfo": {"name": "probe", "version": "0.0.1"}});
    let reply = send(HttpCall::post(request(json!(0), "initialize", params)));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("mcp-session-id"), None);
    body(&reply)
}

#[test]
fn initialize_echoes_each_handshake_revision() {
    for version in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        let response = initialize(version);
        assert_eq!(response["id"], 0, "id 0 is a real id");
        assert_eq!(response["result"]["protocolVersion"], version);
    }
}

#[test]
fn initialize_offers_the_newest_handshake_revision_otherwise() {
    for version in ["2024-11-05", "2026-07-28", "1900-01-01"] {
        let response = initialize(version);
        assert_eq!(
            response["result"]["protocolVersion"], "2025-11-25",
            "{version}"
        );
    }
}

#[test]
fn initialize_describes_the_server() {
    let result = initialize("2025-11-25")["result"].clone();
    assert_eq!(
        result["capabilities"],
        json!({"tools": {"listChanged": false}})
    );
    assert_eq!(
        result["serverInfo"],
        json!({"name": "edge-customer-api", "version": "0.1.0"})
    );
    assert_eq!(result["instructions"], "Customers of one project.");
}

#[test]
fn initialize_never_checks_the_version_header() {
    let params = json!({"protocolVersion": "2025-06-18", "capabilities": {}});
    for header in ["1999-01-01", "2026-07-28"] {
        let call = HttpCall::post(request(json!(0), "initialize", params.clone()))
            .with_header("MCP-Protocol-Version", header);
        let reply = send(call);
        assert_eq!(reply.status, 200, "{header}");
        assert_eq!(body(&reply)["result"]["protocolVersion"], "2025-06-18");
    }
}

#[test]
fn initialize_needs_a_protocol_version() {
    let reply = send(HttpCall::post(request(json!(0), "initialize", json!({}))));
    assert_eq!(reply.status, 200);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
}

#[test]
fn notifications_and_client_responses_get_202_without_a_body() {
    let messages = [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
               "params": {"requestId": 1}}),
        json!({"jsonrpc": "2.0", "method": "notifications/unknown"}),
        json!({"jsonrpc": "2.0", "id": 5, "result": {}}),
        json!({"jsonrpc": "2.0", "id": 5, "error": {"code": 1, "message": "x"}}),
    ];
    for message in messages {
        let call =
            HttpCall::post(message.to_string()).with_header("MCP-Protocol-Version", "2025-11-25");
        let reply = send(call);
        assert_eq!((reply.status, &reply.body), (202, &None), "{message}");
    }
}

#[test]
fn ping_answers_an_empty_result_with_the_same_id() {
    for id in [json!(0), json!("req-7"), json!(9_007_199_254_740_993u64)] {
        let call = HttpCall::post(request(id.clone(), "ping", json!({})));
        let response = body(&send(call));
        assert_eq!(response, json!({"jsonrpc": "2.0", "id": id, "result": {}}));
    }
}

#[test]
fn the_version_header_is_checked_after_initialize() {
    for version in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        assert_eq!(
            send(legacy(version, "ping", json!({}))).status,
            200,
            "{version}"
        );
    }
    for version in ["2024-11-05", "2025-11-25 ", "latest"] {
        let reply = send(legacy(version, "tools/list", json!({})));
        assert_eq!(reply.status, 400, "{version}");
        assert_eq!(error_code(&reply), jsonrpc::INVALID_REQUEST);
        assert_eq!(body(&reply)["id"], 1, "the id is echoed");
    }
    let reply = send(HttpCall::post(request(json!(1), "ping", json!({}))));
    assert_eq!(reply.status, 200, "no header means 2025-03-26");
}

#[test]
fn unknown_methods_are_method_not_found_with_200() {
    for method in [
        "resources/list",
        "prompts/list",
        "tools/unknown",
        "server/discover",
    ] {
        let reply = send(legacy("2025-11-25", method, json!({})));
        assert_eq!(reply.status, 200, "{method}");
        assert_eq!(error_code(&reply), jsonrpc::METHOD_NOT_FOUND, "{method}");
    }
}

#[test]
fn params_that_are_not_an_object_are_invalid_params() {
    let reply = send(legacy("2025-11-25", "tools/list", json!([1, 2])));
    assert_eq!(reply.status, 200);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
}

// ---------------------------------------------------------------------------------------
// tools/list

fn listed(reply: &HttpReply) -> Vec<Value> {
    body(reply)["result"]["tools"].as_array().unwrap().clone()
}

#[test]
fn tools_list_lists_every_tool_on_one_page() {
    let reply = send(legacy("2025-11-25", "tools/list", json!({})));
    let result = body(&reply)["result"].clone();
    let tools = listed(&reply);
    assert_eq!(tools.len(), 45);
    assert!(result.get("nextCursor").is_none());
    assert!(
        result.get("resultType").is_none(),
        "legacy results have no resultType"
    );
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert!(tool["description"].is_string());
    }
    assert_eq!(
        tools[0]["name"],
        "commercetools_customers_create_associate_roles"
    );
}

#[test]
fn a_cursor_this_server_never_issued_is_invalid_params() {
    let reply = send(legacy("2025-11-25", "tools/list", json!({"cursor": "abc"})));
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
    let reply = send(legacy("2025-11-25", "tools/list", json!({"cursor": null})));
    assert_eq!(listed(&reply).len(), 45);
}

#[test]
fn the_resource_filter_hides_and_refuses_tools() {
    let mut customers_only = server();
    customers_only.resources = vec![Resource::Customers, Resource::CustomerGroups];
    let api = FakeApi::ok();
    let reply = send_to(
        legacy("2025-11-25", "tools/list", json!({})),
        &customers_only,
        &api,
    );
    let tools = listed(&reply);
    assert_eq!(tools.len(), 23);
    assert!(tools.iter().all(|t| {
        let name = t["name"].as_str().unwrap();
        !name.contains("business_units")
            && !name.contains("associate_roles")
            && !name.contains("search")
    }));
    let call = json!({"name": "commercetools_customers_list_business_units"});
    let reply = send_to(
        legacy("2025-11-25", "tools/call", call),
        &customers_only,
        &api,
    );
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
    assert!(api.calls().is_empty());
}

// ---------------------------------------------------------------------------------------
// tools/call (legacy)

#[test]
fn tools_call_runs_the_api_operation() {
    let api = FakeApi::ok();
    let call = legacy("2025-11-25", "tools/call", get_by_id(json!({"ID": "c-1"})));
    let reply = send_to(call, &server(), &api);
    assert_eq!(reply.status, 200);
    let result = body(&reply)["result"].clone();
    assert_eq!(result["isError"], false);
    assert_eq!(
        result["structuredContent"],
        json!({"id": "c-1", "version": 1})
    );
    assert_eq!(result["content"][0]["text"], r#"{"id":"c-1","version":1}"#);
    let calls = api.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "commercetools_customers_get_by_id");
    assert_eq!(calls[0].1.path, "/customers/c-1");
}

#[test]
fn the_oldest_revision_gets_text_only() {
    let call = HttpCall::post(request(
        json!(1),
        "tools/call",
        get_by_id(json!({"ID": "c-1"})),
    ));
    let result = body(&send(call))["result"].clone();
    assert!(result.get("structuredContent").is_none());
    assert_eq!(result["isError"], false);
}

#[test]
fn an_unknown_tool_is_invalid_params_in_every_revision() {
    for version in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        let params = json!({"name": "commercetools_customers_get_by_email", "arguments": {}});
        let reply = send(legacy(version, "tools/call", params));
        assert_eq!(reply.status, 200);
        assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS, "{version}");
    }
}

#[test]
fn malformed_tools_call_params_are_invalid_params() {
    let cases = [
        json!({}),
        json!({"name": 7}),
        json!({"name": "commercetools_customers_get_by_id", "arguments": [1]}),
        json!({"name": "commercetools_customers_get_by_id", "arguments": "ID=1"}),
    ];
    for params in cases {
        let reply = send(legacy("2025-11-25", "tools/call", params.clone()));
        assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS, "{params}");
    }
}

#[test]
fn bad_arguments_are_tool_errors_from_2025_11_25() {
    let api = FakeApi::ok();
    let call = legacy("2025-11-25", "tools/call", get_by_id(json!({"ID": 5})));
    let result = body(&send_to(call, &server(), &api))["result"].clone();
    assert_eq!(result["isError"], true);
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Argument 'ID' must be a string"), "{text}");
    assert!(api.calls().is_empty(), "nothing reaches the API");
}

#[test]
fn bad_arguments_are_invalid_params_before_2025_11_25() {
    let api = FakeApi::ok();
    for version in ["2025-06-18", "2025-03-26"] {
        let call = legacy(version, "tools/call", get_by_id(json!({})));
        let response = body(&send_to(call, &server(), &api));
        assert_eq!(
            response["error"]["code"],
            jsonrpc::INVALID_PARAMS,
            "{version}"
        );
        assert_eq!(
            response["error"]["data"]["errors"][0],
            "Missing required argument 'ID' (a string)."
        );
    }
    assert!(api.calls().is_empty());
}

#[test]
fn api_failures_are_tool_errors_carrying_the_envelope() {
    let envelope = json!({"statusCode": 409, "message": "Version mismatch",
        "errors": [{"code": "ConcurrentModification", "currentVersion": 3}]});
    let api = FakeApi::answering(409, envelope.clone());
    let arguments = json!({"ID": "c-1", "version": 2, "actions": []});
    let params = json!({"name": "commercetools_customers_update_customers_by_id",
                        "arguments": arguments});
    let reply = send_to(legacy("2025-11-25", "tools/call", params), &server(), &api);
    assert_eq!(reply.status, 200);
    let result = body(&reply)["result"].clone();
    assert_eq!(result["isError"], true);
    assert_eq!(result["structuredContent"], envelope);
    assert_eq!(
        api.calls()[0].1.body,
        Some(json!({"actions": [], "version": 2}))
    );
}

#[test]
fn insufficient_scope_is_a_tool_error_not_a_challenge() {
    let envelope = json!({"statusCode": 403, "message": "Insufficient scope",
        "errors": [{"code": "insufficient_scope"}]});
    let api = FakeApi::answering(403, envelope);
    let call = legacy("2025-06-18", "tools/call", get_by_id(json!({"ID": "c-1"})));
    let reply = send_to(call, &server(), &api);
    assert_eq!(reply.status, 200);
    assert_eq!(body(&reply)["result"]["isError"], true);
}

#[test]
fn an_invalid_token_during_a_call_is_a_401_challenge() {
    let envelope = json!({"statusCode": 401, "errors": [{"code": "invalid_token"}]});
    let api = FakeApi::answering(401, envelope.clone());
    let call = legacy("2025-11-25", "tools/call", get_by_id(json!({"ID": "c-1"})));
    let reply = send_to(call, &server(), &api);
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            "Bearer resource_metadata=\"https://h/.well-known/oauth-protected-resource/demo/mcp\", \
             scope=\"view_customers:demo\""
        )
    );
    assert_eq!(body(&reply), envelope);
}

#[test]
fn the_challenge_needs_no_configuration() {
    let reply = unauthorized(&Server::new("s", "1"), "{}");
    assert_eq!(
        (reply.status, reply.header("WWW-Authenticate")),
        (401, Some("Bearer"))
    );
}

// ---------------------------------------------------------------------------------------
// Batches (2025-03-26 only)

fn batch(messages: Value, header: Option<&str>) -> HttpCall {
    let call = HttpCall::post(messages.to_string());
    match header {
        Some(version) => call.with_header("MCP-Protocol-Version", version),
        None => call,
    }
}

#[test]
fn a_batch_is_answered_per_request_in_order() {
    let messages = json!([
        {"jsonrpc": "2.0", "id": "a", "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "b", "method": "tools/call",
         "params": get_by_id(json!({"ID": "c-1"}))},
        {"jsonrpc": "2.0", "id": "c", "method": "nope"},
        {"jsonrpc": "2.0", "id": null, "method": "ping"},
    ]);
    for header in [None, Some("2025-03-26")] {
        let reply = send(batch(messages.clone(), header));
        assert_eq!(reply.status, 200);
        let responses = body(&reply);
        let ids: Vec<&Value> = responses
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["id"])
            .collect();
        assert_eq!(ids, [&json!("a"), &json!("b"), &json!("c"), &Value::Null]);
        assert_eq!(responses[1]["result"]["isError"], false);
        assert!(responses[1]["result"].get("structuredContent").is_none());
        assert_eq!(responses[2]["error"]["code"], jsonrpc::METHOD_NOT_FOUND);
        assert_eq!(responses[3]["error"]["code"], jsonrpc::INVALID_REQUEST);
    }
}

#[test]
fn a_batch_of_notifications_gets_202() {
    let messages = json!([
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "result": {}},
    ]);
    let reply = send(batch(messages, None));
    assert_eq!((reply.status, reply.body), (202, None));
}

#[test]
fn batches_are_refused_after_2025_03_26() {
    let messages = json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]);
    for version in ["2025-06-18", "2025-11-25", "2026-07-28", "2099-01-01"] {
        let reply = send(batch(messages.clone(), Some(version)));
        assert_eq!(reply.status, 400, "{version}");
        assert_eq!(error_code(&reply), jsonrpc::INVALID_REQUEST);
    }
}

#[test]
fn empty_and_oversized_batches_are_refused() {
    assert_eq!(send(batch(json!([]), None)).status, 400);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let many = Value::Array(vec![ping; MAX_BATCH_MESSAGES + 1]);
    let reply = send(batch(many, None));
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_REQUEST);
}

#[test]
fn initialize_may_not_be_batched() {
    let messages = json!([{"jsonrpc": "2.0", "id": 0, "method": "initialize",
                           "params": {"protocolVersion": "2025-03-26"}}]);
    let responses = body(&send(batch(messages, None)));
    assert_eq!(responses[0]["error"]["code"], jsonrpc::INVALID_REQUEST);
}

#[test]
fn an_invalid_token_in_a_batch_fails_the_whole_batch() {
    let api = FakeApi::answering(401, json!({"statusCode": 401}));
    let messages = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": get_by_id(json!({"ID": "c-1"}))},
    ]);
    let reply = send_to(batch(messages, None), &server(), &api);
    assert_eq!(reply.status, 401);
    assert!(reply.header("www-authenticate").is_some());
}

// ---------------------------------------------------------------------------------------
// 2026-07-28

fn modern_meta() -> Value {
    json!({
        META_PROTOCOL_VERSION: "2026-07-28",
        META_CLIENT_CAPABILITIES: {},
        "io.modelcontextprotocol/clientInfo": {"name": "probe", "version": "2.4.0"},
    })
}

/// A fully conforming modern request.
fn modern(method: &str, mut params: Value) -> HttpCall {
    params["_meta"] = modern_meta();
    let name = params["name"].as_str().map(str::to_string);
    let call = HttpCall::post(request(json!(1), method, params))
        .with_header("MCP-Protocol-Version", "2026-07-28")
        .with_header("Mcp-Method", method);
    match name {
        Some(name) => call.with_header("Mcp-Name", &name),
        None => call,
    }
}

fn without_header(mut call: HttpCall, name: &str) -> HttpCall {
    call.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    call
}

fn replace_header(call: HttpCall, name: &str, value: &str) -> HttpCall {
    without_header(call, name).with_header(name, value)
}

#[test]
fn server_discover_describes_the_server() {
    let reply = send(modern("server/discover", json!({})));
    assert_eq!(reply.status, 200);
    let result = body(&reply)["result"].clone();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["supportedVersions"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    );
    assert_eq!(result["capabilities"]["tools"]["listChanged"], false);
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "edge-customer-api"
    );
    assert_eq!(result["ttlMs"], 300_000);
    assert_eq!(result["cacheScope"], "public");
    assert_eq!(result["instructions"], "Customers of one project.");
}

#[test]
fn server_discover_is_answered_without_meta() {
    let call = HttpCall::post(request(
        json!("server-discover-probe-1"),
        "server/discover",
        json!({}),
    ))
    .with_header("MCP-Protocol-Version", "2026-07-28")
    .with_header("Mcp-Method", "server/discover");
    let reply = send(call);
    assert_eq!(reply.status, 200);
    assert_eq!(body(&reply)["id"], "server-discover-probe-1");
}

#[test]
fn modern_tools_list_says_how_long_to_cache() {
    let reply = send(modern("tools/list", json!({})));
    let result = body(&reply)["result"].clone();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["tools"].as_array().unwrap().len(), 45);
    assert_eq!(result["ttlMs"], 300_000);
    assert_eq!(result["cacheScope"], "public");
}

#[test]
fn modern_tools_call_runs_the_api_operation() {
    let api = FakeApi::ok();
    let reply = send_to(
        modern("tools/call", get_by_id(json!({"ID": "c-1"}))),
        &server(),
        &api,
    );
    assert_eq!(reply.status, 200);
    let result = body(&reply)["result"].clone();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["isError"], false);
    assert_eq!(result["structuredContent"]["id"], "c-1");
    assert_eq!(api.calls()[0].1.path, "/customers/c-1");
}

#[test]
fn modern_argument_errors_are_tool_errors() {
    let reply = send(modern("tools/call", get_by_id(json!({"ID": ".."}))));
    let result = body(&reply)["result"].clone();
    assert_eq!(result["isError"], true);
    assert_eq!(result["resultType"], "complete");
}

#[test]
fn a_base64_mcp_name_is_decoded_before_comparing() {
    let call = modern("tools/call", get_by_id(json!({"ID": "c-1"})));
    let encoded = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "commercetools_customers_get_by_id",
    );
    let call = replace_header(call, "Mcp-Name", &format!("=?base64?{encoded}?="));
    assert_eq!(send(call).status, 200);
}

#[test]
fn missing_meta_is_invalid_params_with_400() {
    let without_meta = HttpCall::post(request(json!(1), "tools/list", json!({})))
        .with_header("MCP-Protocol-Version", "2026-07-28")
        .with_header("Mcp-Method", "tools/list");
    let reply = send(without_meta);
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);

    let mut params = json!({});
    params["_meta"] = json!({META_PROTOCOL_VERSION: "2026-07-28"});
    let no_capabilities = HttpCall::post(request(json!(1), "tools/list", params))
        .with_header("MCP-Protocol-Version", "2026-07-28")
        .with_header("Mcp-Method", "tools/list");
    let reply = send(no_capabilities);
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
}

#[test]
fn headers_that_do_not_mirror_the_body_are_header_mismatches() {
    let call = || modern("tools/call", get_by_id(json!({"ID": "c-1"})));
    let cases = [
        without_header(call(), "MCP-Protocol-Version"),
        replace_header(call(), "MCP-Protocol-Version", "2025-11-25"),
        without_header(call(), "Mcp-Method"),
        replace_header(call(), "Mcp-Method", "tools/list"),
        without_header(call(), "Mcp-Name"),
        replace_header(call(), "Mcp-Name", "commercetools_customers_delete_by_id"),
        replace_header(call(), "Mcp-Name", "=?base64?%%%?="),
    ];
    for (i, case) in cases.into_iter().enumerate() {
        let api = FakeApi::ok();
        let reply = send_to(case, &server(), &api);
        assert_eq!(reply.status, 400, "case {i}");
        assert_eq!(error_code(&reply), jsonrpc::HEADER_MISMATCH, "case {i}");
        assert_eq!(body(&reply)["id"], 1, "case {i}");
        assert!(api.calls().is_empty(), "case {i}");
    }
}

#[test]
fn an_unsupported_modern_version_lists_the_supported_ones() {
    let mut params = json!({});
    params["_meta"] = modern_meta();
    params["_meta"][META_PROTOCOL_VERSION] = json!("2027-01-01");
    let call = HttpCall::post(request(json!(4), "tools/list", params))
        .with_header("MCP-Protocol-Version", "2027-01-01")
        .with_header("Mcp-Method", "tools/list");
    let reply = send(call);
    assert_eq!(reply.status, 400);
    let error = body(&reply)["error"].clone();
    assert_eq!(error["code"], jsonrpc::UNSUPPORTED_PROTOCOL_VERSION);
    assert_eq!(error["data"]["requested"], "2027-01-01");
    assert_eq!(error["data"]["supported"][0], "2026-07-28");
}

#[test]
fn unknown_and_removed_methods_are_404() {
    for method in [
        "ping",
        "resources/list",
        "notifications/initialized!",
        "tasks/get",
    ] {
        let reply = send(modern(method, json!({})));
        assert_eq!(reply.status, 404, "{method}");
        assert_eq!(error_code(&reply), jsonrpc::METHOD_NOT_FOUND);
    }
}

#[test]
fn initialize_stays_legacy_whatever_the_header() {
    let params = json!({"protocolVersion": "2025-11-25", "capabilities": {}});
    let call = HttpCall::post(request(json!(0), "initialize", params))
        .with_header("MCP-Protocol-Version", "2026-07-28")
        .with_header("Mcp-Method", "initialize");
    let response = body(&send(call));
    assert_eq!(response["result"]["protocolVersion"], "2025-11-25");
}

#[test]
fn modern_notifications_get_202() {
    let call =
        HttpCall::post(json!({"jsonrpc": "2.0", "method": "notifications/cancelled"}).to_string())
            .with_header("MCP-Protocol-Version", "2026-07-28");
    let reply = send(call);
    assert_eq!((reply.status, reply.body), (202, None));
}

#[test]
fn modern_unknown_tools_are_invalid_params() {
    let params = json!({"name": "nope", "arguments": {}});
    let reply = send(modern("tools/call", params));
    assert_eq!(reply.status, 200);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
}

#[test]
fn modern_meta_without_a_header_is_a_header_mismatch() {
    let call = without_header(modern("tools/list", json!({})), "MCP-Protocol-Version");
    let reply = send(call);
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::HEADER_MISMATCH);
}

#[test]
fn modern_meta_selects_the_modern_profile_whatever_the_header() {
    let call = replace_header(
        modern("tools/list", json!({})),
        "MCP-Protocol-Version",
        "2025-11-25",
    );
    let reply = send(call);
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::HEADER_MISMATCH);
}

#[test]
fn a_modern_header_without_meta_is_invalid_params() {
    let call = HttpCall::post(request(
        json!(1),
        "tools/call",
        get_by_id(json!({"ID": "c-1"})),
    ))
    .with_header("MCP-Protocol-Version", "2026-07-28")
    .with_header("Mcp-Method", "tools/call")
    .with_header("Mcp-Name", "commercetools_customers_get_by_id");
    let reply = send(call);
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_PARAMS);
}

#[test]
fn an_invalid_token_during_a_modern_call_is_a_401() {
    let api = FakeApi::answering(401, json!({"statusCode": 401}));
    let reply = send_to(
        modern("tools/call", get_by_id(json!({"ID": "c-1"}))),
        &server(),
        &api,
    );
    assert_eq!(reply.status, 401);
}

#[test]
fn with_the_modern_profile_off_a_probe_gets_a_legacy_refusal() {
    let mut legacy_only = server();
    legacy_only.modern = false;
    let reply = send_to(
        modern("server/discover", json!({})),
        &legacy_only,
        &FakeApi::ok(),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply), jsonrpc::INVALID_REQUEST, "never -32022");
    let initialize = HttpCall::post(request(
        json!(0),
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}}),
    ));
    let reply = send_to(initialize, &legacy_only, &FakeApi::ok());
    assert_eq!(body(&reply)["result"]["protocolVersion"], "2025-11-25");
}
