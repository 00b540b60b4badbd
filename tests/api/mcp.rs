//! The MCP endpoint (`/{projectKey}/mcp`): the official MCP clients (TypeScript v1 and v2)
//! list and call the tools; raw HTTP checks the transport rules, authorization, the OAuth
//! metadata documents and bad input (fact sheet `spec/mcp.md`).

use std::process::Command;

use edge_customer_api::mcp::{Resource, Server};
use serde_json::{json, Value};

use crate::support::{sharded, unique, unique_email, App, Reply, ADMIN, OTHER_ADMIN};

tests!(mcp;
    official_client_v1_calls_every_served_tool,
    official_client_v2_speaks_both_revisions,
    official_python_client_lists_and_calls,
    the_transport_rules_hold,
    tokens_are_checked_before_anything_else,
    tools_need_the_scopes_of_their_endpoints,
    bad_input_is_a_protocol_error_or_a_tool_error,
    oauth_metadata_documents_describe_the_worker,
    tool_calls_carry_the_d1_bookmarks,
);

const PATH: &str = "/demo/mcp";

/// The names of the tools the Worker must list: the seed's tools of the resources it serves.
fn served_tool_names() -> String {
    let mut server = Server::new("x", "0");
    server.resources = Resource::SERVED.to_vec();
    let names: Vec<&str> = server.tools().map(|tool| tool.name).collect();
    names.join(",")
}

fn run_client(app: &App, script: &str, done: &str) {
    run_with(app, "node", script, done);
}

fn run_with(app: &App, interpreter: &str, script: &str, done: &str) {
    let out = Command::new(interpreter)
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("EDGE_API_URL", &app.base_url)
        .env("MCP_TOKEN", app.token(ADMIN, None))
        .env("MCP_TOOLS", served_tool_names())
        .output()
        .expect("run node (did scripts/setup.sh install the npm packages?)");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains(done),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn official_client_v1_calls_every_served_tool(app: &App) {
    run_client(
        app,
        "tests/mcp/client-v1.mjs",
        "official MCP client (v1): ok",
    );
}

fn official_client_v2_speaks_both_revisions(app: &App) {
    run_client(
        app,
        "tests/mcp/client-v2.mjs",
        "official MCP client (v2): ok",
    );
}

/// The `mcp` package of PyPI, in the virtual environment scripts/setup.sh keeps.
fn official_python_client_lists_and_calls(app: &App) {
    let python = crate::sdk::python_sdk();
    run_with(
        app,
        &python,
        "tests/mcp/client.py",
        "official MCP client (Python): ok",
    );
}

/// A JSON-RPC POST with the headers a legacy client sends after `initialize` (revision
/// 2025-11-25, where argument errors are `isError` results).
fn rpc(app: &App, token: &str, body: &Value) -> Reply {
    rpc_raw(
        app,
        token,
        body.to_string().as_bytes(),
        &[("MCP-Protocol-Version", "2025-11-25")],
    )
}

fn rpc_raw(app: &App, token: &str, body: &[u8], extra: &[(&str, &str)]) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
    ];
    headers.extend_from_slice(extra);
    app.send("POST", PATH, &headers, Some(body))
}

fn call_tool(app: &App, token: &str, name: &str, arguments: Value) -> Value {
    let reply = rpc(
        app,
        token,
        &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": format!("commercetools_customers_{name}"), "arguments": arguments}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["result"].clone()
}

fn the_transport_rules_hold(app: &App) {
    let token = app.token(ADMIN, None);
    let init = rpc(
        app,
        &token,
        &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
    );
    assert_eq!(init.status, 200, "{}", init.text);
    assert_eq!(init.json["id"], 0);
    assert_eq!(init.json["result"]["protocolVersion"], "2025-06-18");
    assert!(init.header("Mcp-Session-Id").is_none());
    // A notification: 202 and no body.
    let note = rpc(
        app,
        &token,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    );
    assert_eq!((note.status, note.text.as_str()), (202, ""));
    let ping = rpc(
        app,
        &token,
        &json!({"jsonrpc": "2.0", "id": "p", "method": "ping"}),
    );
    assert_eq!(
        ping.json,
        json!({"jsonrpc": "2.0", "id": "p", "result": {}})
    );
    // GET and DELETE are 405 with Allow: POST.
    for method in ["GET", "DELETE"] {
        let bearer = format!("Bearer {token}");
        let reply = app.send(method, PATH, &[("Authorization", &bearer)], None);
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("Allow"), Some("POST"));
    }
    // An unknown protocol version header is 400; an Origin not allowed is 403.
    let reply = rpc_raw(
        app,
        &token,
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        &[("MCP-Protocol-Version", "1999-01-01")],
    );
    assert_eq!(reply.status, 400, "{}", reply.text);
    let reply = rpc_raw(
        app,
        &token,
        br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(reply.status, 403, "{}", reply.text);
    let discover = rpc_raw(
        app,
        &token,
        br#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#,
        &[
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "server/discover"),
        ],
    );
    assert_eq!(discover.status, 200, "{}", discover.text);
    assert!(discover.json["result"]["supportedVersions"]
        .as_array()
        .unwrap()
        .contains(&json!("2026-07-28")));
}

fn tokens_are_checked_before_anything_else(app: &App) {
    let ping = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    for token in ["", "not-a-token"] {
        let reply = rpc_raw(app, token, ping, &[]);
        assert_eq!(reply.status, 401, "{}", reply.text);
        let challenge = reply.header("WWW-Authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer ")
                && challenge.contains("/.well-known/oauth-protected-resource/demo/mcp"),
            "{challenge}"
        );
    }
    let other = app.token(OTHER_ADMIN, None);
    let reply = rpc_raw(app, &other, ping, &[]);
    assert_eq!(reply.status, 403, "{}", reply.text);
    let reply = app.send("POST", "/other/mcp", &[], Some(ping));
    assert_eq!(reply.status, 401);
}

fn tools_need_the_scopes_of_their_endpoints(app: &App) {
    let viewer = app.token(ADMIN, Some("view_customers:demo"));
    let customer = app.create_customer(&json!({"email": unique_email("mcps"), "password": "x"}));
    let id = customer["id"].as_str().unwrap();
    let read = call_tool(app, &viewer, "get_by_id", json!({"ID": id}));
    assert_eq!(read["isError"], false, "{read}");
    let write = call_tool(
        app,
        &viewer,
        "delete_by_id",
        json!({"ID": id, "version": 1}),
    );
    assert_eq!(write["isError"], true, "{write}");
    assert_eq!(
        write["structuredContent"]["errors"][0]["code"],
        "insufficient_scope"
    );
    let store = app.token(ADMIN, Some("manage_customers:demo:store-a"));
    let listed = call_tool(app, &store, "list_customers", json!({}));
    assert_eq!(listed["isError"], true, "{listed}");
    // The customer is still there.
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin())
            .status,
        200
    );
}

fn bad_input_is_a_protocol_error_or_a_tool_error(app: &App) {
    let token = app.token(ADMIN, None);
    let reply = rpc_raw(app, &token, b"{not json", &[]);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["error"]["code"], -32700);
    let reply = rpc(
        app,
        &token,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "nope"}),
    );
    assert_eq!(reply.json["error"]["code"], -32601, "{}", reply.text);
    let reply = rpc(app, &token, &json!({"id": 1, "method": "ping"}));
    assert_eq!(reply.json["error"]["code"], -32600, "{}", reply.text);
    let reply = rpc(
        app,
        &token,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "no_such_tool", "arguments": {}}}),
    );
    assert_eq!(reply.json["error"]["code"], -32602, "{}", reply.text);
    // Wrong argument types and missing arguments are tool errors; nothing is written.
    let email = unique_email("mcpbad");
    let result = call_tool(app, &token, "create_customers", json!({"email": 42}));
    assert_eq!(result["isError"], true, "{result}");
    let result = call_tool(
        app,
        &token,
        "create_customers",
        json!({"email": email, "password": ["x"]}),
    );
    assert_eq!(result["isError"], true, "{result}");
    let result = call_tool(
        app,
        &token,
        "create_customers",
        json!({"email": email, "stray": 1}),
    );
    assert_eq!(result["isError"], true, "{result}");
    let found = app.get(
        &format!(
            "/demo/customers?where={}",
            crate::support::encode(&format!("email = \"{email}\""))
        ),
        app.admin(),
    );
    assert_eq!(found.json["count"], 0, "{}", found.text);
    // A body over the limit is 413.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(600 * 1024)
    );
    let reply = rpc_raw(app, &token, huge.as_bytes(), &[]);
    assert_eq!(reply.status, 413);
}

fn oauth_metadata_documents_describe_the_worker(app: &App) {
    let reply = app.send(
        "GET",
        "/.well-known/oauth-protected-resource/demo/mcp",
        &[],
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["resource"], app.url("/demo/mcp"));
    assert_eq!(reply.json["authorization_servers"], json!([app.base_url]));
    let root = app.send("GET", "/.well-known/oauth-protected-resource", &[], None);
    assert_eq!(root.json["resource"], app.base_url.as_str());
    let server = app.send("GET", "/.well-known/oauth-authorization-server", &[], None);
    assert_eq!(server.status, 200);
    assert_eq!(server.json["token_endpoint"], app.url("/oauth/token"));
    // The token endpoint it names issues a token the MCP endpoint accepts.
    let token = app.token(ADMIN, Some("view_customers:demo"));
    let reply = rpc(
        app,
        &token,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    );
    assert_eq!(reply.status, 200);
}

/// The D1 bookmarks (`x-d1-bookmark`) travel through the MCP endpoint as through the API: a
/// tool's write answers the MCP request with the bookmarks of what it wrote (with customers
/// over several databases, naming the customer's shard), and an MCP request that brings them
/// back reads the write and answers with bookmarks again.
fn tool_calls_carry_the_d1_bookmarks(app: &App) {
    let token = app.token(ADMIN, None);
    let key = unique("mcpbm");
    let customer =
        app.create_customer(&json!({"email": unique_email("mcpbm"), "key": key, "password": "x"}));
    let id = customer["id"].as_str().unwrap().to_string();
    let update = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "commercetools_customers_update_customers_by_key",
                   "arguments": {"key": key, "version": 1,
                                 "actions": [{"action": "setFirstName", "firstName": "Mo"}]}}});
    let written = rpc(app, &token, &update);
    assert_eq!(written.status, 200, "{}", written.text);
    assert_eq!(written.json["result"]["isError"], false, "{}", written.text);
    let bookmark = written
        .header("x-d1-bookmark")
        .expect("a tool's write answers with its bookmarks")
        .to_string();
    assert_eq!(bookmark.contains("CUSTOMERS_"), sharded(), "{bookmark}");
    let read = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "commercetools_customers_get_by_id", "arguments": {"ID": id}}});
    for brought in [bookmark.as_str(), "not a bookmark;"] {
        let reply = rpc_raw(
            app,
            &token,
            read.to_string().as_bytes(),
            &[
                ("MCP-Protocol-Version", "2025-11-25"),
                ("x-d1-bookmark", brought),
            ],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        let result = &reply.json["result"];
        assert_eq!(result["isError"], false, "{}", reply.text);
        assert_eq!(
            result["structuredContent"]["firstName"], "Mo",
            "{}",
            reply.text
        );
        let answered = reply
            .header("x-d1-bookmark")
            .expect("a read answers with bookmarks");
        if brought == bookmark && sharded() {
            let shard = bookmark
                .split(',')
                .find_map(|e| e.split_once('='))
                .unwrap()
                .0;
            assert!(answered.contains(&format!("{shard}=")), "{answered}");
        }
    }
}
