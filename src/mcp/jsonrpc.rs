//! JSON-RPC 2.0 as MCP uses it: classifying one incoming message, and building result and
//! error responses.
//!
//! MCP narrows JSON-RPC: a request id is a string or an integer and never `null`; a
//! notification has no `id` member at all; `params`, when present, is an object.

use serde_json::{json, Map, Value};

/// Invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// Not a valid JSON-RPC message (or a batch where batches are not allowed).
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist (in this era).
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Malformed or unacceptable params: unknown tool, bad cursor, missing `_meta`.
pub const INVALID_PARAMS: i64 = -32602;
/// A bug on this side.
pub const INTERNAL_ERROR: i64 = -32603;
/// 2026-07-28: the HTTP headers do not mirror the body, or a required one is missing.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: the requested protocol version is not served; `data` lists the served ones.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A JSON-RPC error object `{code, message, data?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The whole error response; `id` is `Value::Null` when the request id is unknown.
    pub fn response(&self, id: &Value) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({ "jsonrpc": "2.0", "id": id, "error": error })
    }
}

/// A successful response carrying `result`.
pub fn result_response(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A request: something that must get exactly one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// A string or an integer, echoed exactly (`0` is a real id).
    pub id: Value,
    pub method: String,
    /// `Value::Null` when absent.
    pub params: Value,
}

impl Request {
    /// The params as an object; absent or `null` params read as `{}`.
    pub fn params_object(&self) -> Result<Map<String, Value>, RpcError> {
        match &self.params {
            Value::Null => Ok(Map::new()),
            Value::Object(map) => Ok(map.clone()),
            _ => Err(RpcError::new(INVALID_PARAMS, "params must be an object")),
        }
    }

    /// `params._meta`, if it is an object.
    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.params.get("_meta").and_then(Value::as_object)
    }
}

/// One incoming message, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request(Request),
    /// No `id` member: never answered.
    Notification {
        method: String,
    },
    /// A client's answer to a server request. This server sends none, so it is acknowledged
    /// and dropped.
    Response,
}

impl Message {
    /// The method of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(request) => Some(&request.method),
            Message::Notification { method } => Some(method),
            Message::Response => None,
        }
    }
}

/// A message that is not valid JSON-RPC: why, and the id to answer with (`null` if the id
/// itself could not be read). Answered with −32600 Invalid Request.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub id: Value,
    pub why: &'static str,
}

impl Invalid {
    /// The −32600 error object.
    pub fn error(&self) -> RpcError {
        RpcError::new(INVALID_REQUEST, format!("Invalid Request: {}", self.why))
    }

    /// The whole error response.
    pub fn response(&self) -> Value {
        self.error().response(&self.id)
    }
}

/// Classifies one JSON value as a request, a notification or a response.
pub fn classify(value: &Value) -> Result<Message, Invalid> {
    let invalid = |id, why| Invalid { id, why };
    let Some(object) = value.as_object() else {
        return Err(invalid(Value::Null, "a message must be a JSON object"));
    };
    let id = object.get("id");
    let readable_id = match id {
        Some(id) if is_valid_id(id) => id.clone(),
        _ => Value::Null,
    };
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(invalid(readable_id, "jsonrpc must be \"2.0\""));
    }
    if let Some(method) = object.get("method") {
        let Some(method) = method.as_str() else {
            return Err(invalid(readable_id, "method must be a string"));
        };
        return match id {
            None => Ok(Message::Notification {
                method: method.to_string(),
            }),
            Some(id) if is_valid_id(id) => Ok(Message::Request(Request {
                id: id.clone(),
                method: method.to_string(),
                params: object.get("params").cloned().unwrap_or(Value::Null),
            })),
            Some(_) => Err(invalid(Value::Null, "id must be a string or an integer")),
        };
    }
    let answers = object.contains_key("result") || object.contains_key("error");
    if answers && id.is_some() {
        return Ok(Message::Response);
    }
    Err(invalid(
        readable_id,
        "a message needs a method, or a result or error",
    ))
}

/// A string or an integer (not `null`, not a fraction, not a boolean).
fn is_valid_id(id: &Value) -> bool {
    match id {
        Value::String(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(value: Value) -> i64 {
        classify(&value).unwrap_err().error().code
    }

    #[test]
    fn requests_notifications_and_responses_are_told_apart() {
        let request = classify(&json!({"jsonrpc":"2.0","id":0,"method":"ping"})).unwrap();
        assert_eq!(
            request,
            Message::Request(Request {
                id: json!(0),
                method: "ping".into(),
                params: Value::Null
            })
        );
        let note = classify(&json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
        assert_eq!(
            note.unwrap(),
            Message::Notification {
                method: "notifications/initialized".into()
            }
        );
        let answer = classify(&json!({"jsonrpc":"2.0","id":"s1","result":{}})).unwrap();
        assert_eq!(answer, Message::Response);
    }

    #[test]
    fn malformed_envelopes_are_invalid_requests() {
        assert_eq!(code_of(json!([])), INVALID_REQUEST);
        assert_eq!(code_of(json!("ping")), INVALID_REQUEST);
        assert_eq!(code_of(json!({"id":1,"method":"ping"})), INVALID_REQUEST);
        assert_eq!(
            code_of(json!({"jsonrpc":"1.0","id":1,"method":"ping"})),
            INVALID_REQUEST
        );
        assert_eq!(
            code_of(json!({"jsonrpc":"2.0","id":1,"method":7})),
            INVALID_REQUEST
        );
        assert_eq!(code_of(json!({"jsonrpc":"2.0","id":1})), INVALID_REQUEST);
    }

    #[test]
    fn null_fractional_and_boolean_ids_are_refused() {
        for id in [json!(null), json!(1.5), json!(true), json!({"a":1})] {
            let invalid = classify(&json!({"jsonrpc":"2.0","id":id,"method":"ping"})).unwrap_err();
            assert_eq!(invalid.error().code, INVALID_REQUEST);
            assert_eq!(invalid.id, Value::Null);
        }
        let big = classify(&json!({"jsonrpc":"2.0","id":u64::MAX,"method":"ping"}));
        assert!(matches!(big, Ok(Message::Request(_))));
    }

    #[test]
    fn a_readable_id_is_echoed_on_an_invalid_request() {
        let invalid = classify(&json!({"jsonrpc":"2.1","id":"x","method":"ping"})).unwrap_err();
        assert_eq!(invalid.id, json!("x"));
    }

    #[test]
    fn params_must_be_an_object() {
        let mut request = Request {
            id: json!(1),
            method: "tools/list".into(),
            params: json!([1]),
        };
        assert_eq!(request.params_object().unwrap_err().code, INVALID_PARAMS);
        request.params = Value::Null;
        assert!(request.params_object().unwrap().is_empty());
    }

    #[test]
    fn error_responses_carry_code_message_and_data() {
        let error = RpcError::new(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version")
            .with_data(json!({"requested":"1900-01-01"}));
        let response = error.response(&json!(3));
        assert_eq!(response["id"], 3);
        assert_eq!(response["error"]["code"], -32022);
        assert_eq!(response["error"]["data"]["requested"], "1900-01-01");
        assert!(response.get("result").is_none());
    }
}
