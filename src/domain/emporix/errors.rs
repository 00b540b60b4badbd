//! Emporix's two error shapes: the service's `{status, type, message, details?}` and the API
//! gateway's `{fault: {faultstring, detail: {errorcode}}}` for a missing, invalid or expired
//! bearer token. Every failure of the shared customer code arrives as a commercetools
//! envelope (a [`Rejection`], or a writer's reply) and is translated here, once.

use serde_json::{json, Value};

use crate::domain::error::Rejection;

/// Why an Emporix request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The gateway's 401: no, an unknown, or (`expired`) an expired bearer token.
    Fault { expired: bool },
    /// A service error.
    Service {
        status: u16,
        kind: String,
        message: String,
        details: Vec<Value>,
    },
    /// A commercetools error envelope, translated when rendered (see [`Failure::render`]).
    Envelope { status: u16, body: Value },
}

impl Failure {
    pub fn service(status: u16, kind: &str, message: &str) -> Failure {
        Failure::Service {
            status,
            kind: kind.into(),
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn bad_request(message: &str) -> Failure {
        Failure::service(400, "bad_request", message)
    }

    pub fn not_found(message: &str) -> Failure {
        Failure::service(404, "resource_not_found", message)
    }

    /// 403 for a token without the Emporix scope an endpoint needs.
    pub fn missing_scope(scope: &str) -> Failure {
        Failure::Service {
            status: 403,
            kind: "Forbidden".into(),
            message: "User not authorized.".into(),
            details: vec![
                json!({"type": "missing_scope", "message": format!("missing scope: {scope}")}),
            ],
        }
    }

    pub fn invalid_token() -> Failure {
        Failure::Fault { expired: false }
    }

    pub fn status(&self) -> u16 {
        match self {
            Failure::Fault { .. } => 401,
            Failure::Service { status, .. } | Failure::Envelope { status, .. } => *status,
        }
    }

    /// The status and body Emporix answers with; `tenant` names the tenant in messages.
    pub fn render(&self, tenant: &str) -> (u16, Value) {
        match self {
            Failure::Fault { expired: false } => (
                401,
                fault("Invalid access token", "oauth.v2.InvalidAccessToken"),
            ),
            Failure::Fault { expired: true } => (
                401,
                fault(
                    "Access Token expired",
                    "keymanagement.service.access_token_expired",
                ),
            ),
            Failure::Service {
                status,
                kind,
                message,
                details,
            } => (*status, service_body(*status, kind, message, details)),
            Failure::Envelope { status, body } => translate(*status, body, tenant).render(tenant),
        }
    }
}

impl From<Rejection> for Failure {
    fn from(rejection: Rejection) -> Self {
        Failure::Envelope {
            status: rejection.status(),
            body: rejection.to_json(),
        }
    }
}

impl From<crate::domain::error::ApiError> for Failure {
    fn from(error: crate::domain::error::ApiError) -> Self {
        Rejection(vec![error]).into()
    }
}

fn fault(faultstring: &str, errorcode: &str) -> Value {
    json!({"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}})
}

fn service_body(status: u16, kind: &str, message: &str, details: &[Value]) -> Value {
    let mut body = json!({"status": status, "type": kind, "message": message});
    if !details.is_empty() {
        body["details"] = Value::Array(details.to_vec());
    }
    body
}

/// One commercetools error object as an Emporix detail: `{field?, type, message}`.
fn detail(error: &Value) -> Value {
    let code = error["code"].as_str().unwrap_or("error");
    let mut message = error["message"].as_str().unwrap_or_default().to_string();
    let mut field = error["field"].as_str().map(str::to_string);
    if let Some(detailed) = error["detailedErrorMessage"].as_str() {
        // `addresses[0] -> country: Missing required value`
        match detailed.split_once(": ") {
            Some((path, what)) if !path.is_empty() => {
                field = Some(path.to_string());
                message = what.to_string();
            }
            _ => message = detailed.to_string(),
        }
    }
    let mut d = json!({"type": snake(code), "message": message});
    if let Some(field) = field {
        d["field"] = field.into();
    }
    d
}

/// `InvalidJsonInput` → `invalid_json_input`.
fn snake(code: &str) -> String {
    let mut out = String::new();
    for (i, c) in code.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A commercetools envelope as the Emporix error it stands for.
fn translate(status: u16, body: &Value, tenant: &str) -> Failure {
    let first = &body["errors"][0];
    let code = first["code"].as_str().unwrap_or_default();
    let details: Vec<Value> = body["errors"]
        .as_array()
        .map(|errors| errors.iter().map(detail).collect())
        .unwrap_or_default();
    let service = |status: u16, kind: &str, message: String| Failure::Service {
        status,
        kind: kind.into(),
        message,
        details: details.clone(),
    };
    match code {
        "invalid_token" => Failure::invalid_token(),
        "DuplicateField" if first["field"] == "email" => service(
            409,
            "conflict_resource",
            format!(
                "Duplicate account '{}' for tenant '{tenant}'.",
                first["duplicateValue"].as_str().unwrap_or_default()
            ),
        ),
        "DuplicateField" | "LockedField" => service(409, "conflict_resource", message(body)),
        "ConcurrentModification" => service(409, "conflict", message(body)),
        "InvalidCredentials" | "invalid_customer_account_credentials" => {
            service(401, "unauthorized", "Invalid credentials.".into())
        }
        "insufficient_scope" => service(403, "Forbidden", "User not authorized.".into()),
        "ResourceNotFound" => service(404, "resource_not_found", message(body)),
        "MethodNotAllowed" => service(405, "method_not_allowed", message(body)),
        "ContentTooLarge" => service(413, "payload_too_large", message(body)),
        "TooManyRequests" => service(429, "too_many_requests", message(body)),
        "InvalidJsonInput" => service(
            400,
            "bad_request",
            "Request was syntactically incorrect.".into(),
        ),
        _ if status >= 500 => service(500, "internal_server_error", message(body)),
        _ => service(status, "bad_request", message(body)),
    }
}

fn message(body: &Value) -> String {
    body["message"].as_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::ApiError;

    fn rendered(error: ApiError) -> (u16, Value) {
        Failure::from(error).render("demo")
    }

    #[test]
    fn bad_tokens_get_the_gateway_fault() {
        let (status, body) = rendered(crate::domain::auth::invalid_token());
        assert_eq!(status, 401);
        assert_eq!(
            body["fault"]["detail"]["errorcode"],
            "oauth.v2.InvalidAccessToken"
        );
        let (_, body) = Failure::Fault { expired: true }.render("demo");
        assert_eq!(body["fault"]["faultstring"], "Access Token expired");
    }

    #[test]
    fn field_errors_name_the_field() {
        let (status, body) = rendered(ApiError::InvalidJsonInput {
            detail: "address -> country: Missing required value".into(),
        });
        assert_eq!(status, 400);
        assert_eq!(body["type"], "bad_request");
        assert_eq!(body["status"], 400);
        assert_eq!(body["details"][0]["field"], "address -> country");
        assert_eq!(body["details"][0]["type"], "invalid_json_input");
        let (_, body) = rendered(ApiError::InvalidField {
            field: "locale".into(),
            invalid_value: "x".into(),
            message: None,
        });
        assert_eq!(body["details"][0]["field"], "locale");
    }

    #[test]
    fn duplicates_and_conflicts_are_409() {
        let (status, body) = rendered(ApiError::DuplicateField {
            field: "email".into(),
            duplicate_value: "a@b.c".into(),
            message: None,
        });
        assert_eq!(status, 409);
        assert_eq!(body["type"], "conflict_resource");
        assert_eq!(
            body["message"],
            "Duplicate account 'a@b.c' for tenant 'demo'."
        );
        let (status, body) = rendered(ApiError::ConcurrentModification {
            expected: 1,
            current: Some(2),
        });
        assert_eq!((status, body["type"].as_str()), (409, Some("conflict")));
    }

    #[test]
    fn the_rest_keeps_its_status() {
        assert_eq!(rendered(ApiError::InvalidCredentials).0, 401);
        assert_eq!(
            rendered(ApiError::not_found_id("x")).1["type"],
            "resource_not_found"
        );
        assert_eq!(rendered(ApiError::PayloadTooLarge { limit: 1 }).0, 413);
        let (status, body) = rendered(ApiError::General {
            message: "boom".into(),
        });
        assert_eq!(
            (status, body["type"].as_str()),
            (500, Some("internal_server_error"))
        );
        let (status, body) = Failure::missing_scope("customer.customer_manage_own").render("t");
        assert_eq!((status, body["type"].as_str()), (403, Some("Forbidden")));
        assert!(body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("customer.customer_manage_own"));
    }
}
