//! Tool results (fact sheet §2.6): what the API answered, as a `CallToolResult`.
//!
//! - 2xx: the response body as one compact JSON text block and as `structuredContent`.
//! - 401: not a tool result. The token stopped being valid; the whole HTTP reply becomes a
//!   `401` with a `WWW-Authenticate` challenge (see [`Outcome::Unauthorized`]).
//! - Any other status, 403 included: `isError: true` with the commercetools error envelope
//!   as text and as `structuredContent`, so an agent can read `ConcurrentModification`,
//!   `DuplicateField` or `insufficient_scope` and act on it.
//!
//! `structuredContent` is sent from 2025-06-18 on (the revision that introduced it), and up
//! to 2025-11-25 only when the body is a JSON object (the field must be one there).

use serde_json::{json, Value};

use super::version::Version;

/// What one tool call comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A `CallToolResult` (success or `isError`).
    Result(Value),
    /// The API refused the bearer token (401). `body` is its error envelope.
    Unauthorized { body: String },
}

/// Maps the API's answer to a tool call's outcome.
pub fn from_api(version: Version, status: u16, body: &str) -> Outcome {
    if status == 401 {
        return Outcome::Unauthorized {
            body: body.to_string(),
        };
    }
    let failed = !(200..300).contains(&status);
    let parsed = serde_json::from_str::<Value>(body).ok();
    let text = match (&parsed, body.trim().is_empty()) {
        (Some(json), _) => json.to_string(),
        (None, true) => format!("The API answered HTTP {status} with an empty body."),
        (None, false) => body.to_string(),
    };
    let mut result = json!({
        "content": [{"type": "text", "text": text}],
        "isError": failed,
    });
    if let Some(json) = parsed {
        let allowed = json.is_object() || version.is_modern();
        if version.has_structured_content() && allowed {
            result["structuredContent"] = json;
        }
    }
    Outcome::Result(result)
}

/// A tool error for arguments that do not fit the tool's schema: one line per problem.
pub fn argument_error(tool: &str, problems: &[String]) -> Value {
    let text = format!(
        "Invalid arguments for tool {tool}:\n- {}",
        problems.join("\n- ")
    );
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(version: Version, status: u16, body: &str) -> Value {
        match from_api(version, status, body) {
            Outcome::Result(result) => result,
            other => panic!("a tool result, not {other:?}"),
        }
    }

    #[test]
    fn success_is_text_and_structured_content() {
        let body = r#"{"id": "c-1", "version": 1}"#;
        let ok = result(Version::V2025_11_25, 200, body);
        assert_eq!(ok["isError"], false);
        assert_eq!(ok["content"][0]["type"], "text");
        assert_eq!(ok["content"][0]["text"], r#"{"id":"c-1","version":1}"#);
        assert_eq!(ok["structuredContent"], json!({"id": "c-1", "version": 1}));
        let created = result(Version::V2025_06_18, 201, r#"{"customer":{}}"#);
        assert_eq!(created["isError"], false);
        assert!(created["structuredContent"]["customer"].is_object());
    }

    #[test]
    fn the_oldest_revision_gets_no_structured_content() {
        let ok = result(Version::V2025_03_26, 200, r#"{"id":"c-1"}"#);
        assert!(ok.get("structuredContent").is_none());
        assert_eq!(ok["content"][0]["text"], r#"{"id":"c-1"}"#);
    }

    #[test]
    fn non_objects_are_structured_only_in_the_modern_revision() {
        let legacy = result(Version::V2025_11_25, 200, "[1,2]");
        assert!(legacy.get("structuredContent").is_none());
        let modern = result(Version::V2026_07_28, 200, "[1,2]");
        assert_eq!(modern["structuredContent"], json!([1, 2]));
    }

    #[test]
    fn api_errors_carry_the_commercetools_envelope() {
        let envelope = json!({
            "statusCode": 409,
            "message": "Object c-1 has a different version than expected. Expected: 1 - Actual: 2.",
            "errors": [{"code": "ConcurrentModification", "currentVersion": 2}]
        });
        let failed = result(Version::V2025_11_25, 409, &envelope.to_string());
        assert_eq!(failed["isError"], true);
        assert_eq!(failed["structuredContent"], envelope);
        let text: Value = serde_json::from_str(failed["content"][0]["text"].as_str().unwrap())
            .expect("the text is the envelope as JSON");
        assert_eq!(text["errors"][0]["code"], "ConcurrentModification");
    }

    #[test]
    fn insufficient_scope_is_a_tool_error() {
        let envelope = r#"{"statusCode":403,"message":"Insufficient scope","errors":[{"code":"insufficient_scope"}]}"#;
        let failed = result(Version::V2025_11_25, 403, envelope);
        assert_eq!(failed["isError"], true);
        assert_eq!(failed["structuredContent"]["statusCode"], 403);
    }

    #[test]
    fn an_invalid_token_is_escalated() {
        let body = r#"{"statusCode":401,"errors":[{"code":"invalid_token"}]}"#;
        assert_eq!(
            from_api(Version::V2025_11_25, 401, body),
            Outcome::Unauthorized { body: body.into() }
        );
    }

    #[test]
    fn bodies_that_are_not_json_are_passed_as_text() {
        let failed = result(Version::V2025_11_25, 500, "boom");
        assert_eq!(failed["content"][0]["text"], "boom");
        assert!(failed.get("structuredContent").is_none());
        let empty = result(Version::V2025_11_25, 502, "");
        assert_eq!(
            empty["content"][0]["text"],
            "The API answered HTTP 502 with an empty body."
        );
    }

    #[test]
    fn argument_errors_list_every_problem() {
        let error = argument_error("t", &["a".into(), "b".into()]);
        assert_eq!(error["isError"], true);
        assert_eq!(
            error["content"][0]["text"],
            "Invalid arguments for tool t:\n- a\n- b"
        );
    }
}
