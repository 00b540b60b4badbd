//! Building responses: JSON bodies, query pages and the commercetools error envelope.

use worker::{Headers, Response};

use crate::domain::error::{ApiError, Rejection};

/// A response with a JSON body given as text (stored representations are sent as they are).
pub fn json(status: u16, body: String) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    Response::ok(body)
        .expect("a string body is always valid")
        .with_status(status)
        .with_headers(headers)
}

/// The error envelope, with the headers some errors call for (`Allow`, `WWW-Authenticate`).
pub fn error(rejection: &Rejection) -> Response {
    let mut response = json(rejection.status(), rejection.to_json().to_string());
    let headers = response.headers_mut();
    let _ = match rejection.first() {
        Some(ApiError::MethodNotAllowed { allowed }) => headers.set("Allow", &allowed.join(", ")),
        Some(ApiError::TooManyRequests {
            retry_after_seconds,
        }) => headers.set("Retry-After", &retry_after_seconds.to_string()),
        Some(ApiError::InvalidToken { .. }) => {
            headers.set("WWW-Authenticate", "Bearer error=\"invalid_token\"")
        }
        _ => Ok(()),
    };
    response
}

/// A paged query response: `{limit, offset, count, total?, results}` with the representations
/// as stored.
pub fn page(limit: u32, offset: u32, docs: &[String], total: Option<u64>) -> Response {
    let total = total.map(|t| format!(",\"total\":{t}")).unwrap_or_default();
    json(
        200,
        format!(
            "{{\"limit\":{limit},\"offset\":{offset},\"count\":{}{total},\"results\":[{}]}}",
            docs.len(),
            docs.join(",")
        ),
    )
}
