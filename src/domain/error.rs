//! Every error the API can answer with, and its commercetools envelope
//! `{statusCode, message, errors:[{code, message, …}]}`.
//!
//! One [`ApiError`] is one entry of `errors`; a [`Rejection`] is a whole error response (one or
//! more errors sharing one HTTP status). Client mistakes are 4xx; `General` (500) is a bug.

use serde_json::{json, Map, Value};

/// One error object of the commercetools error envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400: the body is not JSON, or a value has the wrong JSON shape (wrong type, missing
    /// required field, unknown enum value). `detail` names the field: `"email: Missing required value"`.
    InvalidJsonInput { detail: String },
    /// 400: a well-formed request that is invalid as a whole (e.g. a bad query parameter).
    InvalidInput { message: String },
    /// 400: a value of the right type that breaks a rule (pattern, range, format).
    InvalidField {
        field: String,
        invalid_value: Value,
        message: Option<String>,
    },
    /// 400: a value the request must carry is missing.
    RequiredField { field: String },
    /// 400: a unique value is already taken.
    DuplicateField {
        field: String,
        duplicate_value: Value,
        message: Option<String>,
    },
    /// 400: the request is well-formed but cannot be carried out.
    InvalidOperation { message: String },
    /// 400: a resource other resources refer to cannot be deleted.
    ReferenceExists {
        type_id: String,
        referenced_by: Option<String>,
    },
    /// 400: a create beyond the number of resources of a type a project may hold.
    MaxResourceLimitExceeded { type_id: String, limit: usize },
    /// 400: a reference in the body points at nothing.
    ReferencedResourceNotFound {
        type_id: String,
        id: Option<String>,
        key: Option<String>,
    },
    /// 400: sign-in with an unknown email, a wrong password, or a customer that cannot sign in
    /// there (one answer for all, so nobody learns which emails exist).
    InvalidCredentials,
    /// 400: a password change whose current password does not match.
    InvalidCurrentPassword,
    /// 400: a password-reset token past its expiry.
    ExpiredCustomerPasswordToken,
    /// 400: an email-verification token past its expiry.
    ExpiredCustomerEmailToken,
    /// 404.
    ResourceNotFound { message: String },
    /// 405, with the methods the path does accept.
    MethodNotAllowed { allowed: Vec<&'static str> },
    /// 409: the expected version is not the current one.
    ConcurrentModification { expected: u64, current: Option<u64> },
    /// 409: another request is writing the same unique value right now.
    LockedField { field: String },
    /// 409: the search index is off or still being built.
    SearchNotReady { message: String },
    /// 413: the body exceeds the documented limit (bytes).
    PayloadTooLarge { limit: usize },
    /// 401 on API routes: missing, unknown or expired bearer token.
    InvalidToken { message: String },
    /// 401 `Unauthorized`: the token may not see what the request asks for (an expansion of
    /// customers on `/me/business-units`).
    Unauthorized { message: String },
    /// 403: the token lacks every one of `required`.
    InsufficientScope { required: Vec<String> },
    /// 403: a store-limited token writing beyond its stores (see `auth::StoreReach`).
    OutsideStore { message: String },
    /// 403: an associate acting in a business unit without the permission the action needs
    /// (`associate` is the customer id, `business_unit` the unit's key).
    AssociateMissingPermission {
        associate: String,
        business_unit: String,
        action: String,
        permissions: Vec<String>,
    },
    /// 403: a customer-only endpoint (`/me`) called with a token that names no customer (one
    /// not issued by the password flow).
    NoCustomerInToken,
    /// 400: a sign-up from an anonymous session that already signed up a customer.
    AnonymousIdAlreadyInUse,
    /// 401 on the authorization server: bad client credentials.
    InvalidClient,
    /// 400 on the authorization server: a requested scope the client may not have.
    InvalidScope { message: String },
    /// 400 on the authorization server.
    UnsupportedGrantType { grant_type: String },
    /// 400 on the authorization server: a missing or malformed parameter.
    InvalidRequest { message: String },
    /// 400 on the authorization server: an unknown, expired or revoked refresh token.
    InvalidGrant { message: String },
    /// 400 on the authorization server: the password flow's username or password is wrong.
    InvalidCustomerAccountCredentials,
    /// 429: too many failed sign-ins; try again after this many seconds.
    TooManyRequests { retry_after_seconds: u64 },
    /// 500: a bug or an infrastructure failure; the message is safe to show.
    General { message: String },
    /// 503: the write cannot be carried out now (customer writes while the customer
    /// databases are re-balanced); try again later.
    ServiceUnavailable { message: String },
}

impl ApiError {
    /// 404 for a resource looked up by id.
    pub fn not_found_id(id: &str) -> Self {
        ApiError::ResourceNotFound {
            message: format!("The Resource with ID '{id}' was not found."),
        }
    }

    /// 404 for a resource looked up by key.
    pub fn not_found_key(key: &str) -> Self {
        ApiError::ResourceNotFound {
            message: format!("The Resource with key '{key}' was not found."),
        }
    }

    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            InvalidJsonInput { .. }
            | InvalidInput { .. }
            | InvalidField { .. }
            | RequiredField { .. }
            | DuplicateField { .. }
            | InvalidOperation { .. }
            | ReferenceExists { .. }
            | MaxResourceLimitExceeded { .. }
            | ReferencedResourceNotFound { .. }
            | InvalidCredentials
            | InvalidCurrentPassword
            | AnonymousIdAlreadyInUse
            | ExpiredCustomerPasswordToken
            | ExpiredCustomerEmailToken
            | InvalidScope { .. }
            | UnsupportedGrantType { .. }
            | InvalidRequest { .. }
            | InvalidGrant { .. }
            | InvalidCustomerAccountCredentials => 400,
            InvalidToken { .. } | InvalidClient | Unauthorized { .. } => 401,
            InsufficientScope { .. }
            | OutsideStore { .. }
            | NoCustomerInToken
            | AssociateMissingPermission { .. } => 403,
            ResourceNotFound { .. } => 404,
            MethodNotAllowed { .. } => 405,
            ConcurrentModification { .. } | LockedField { .. } | SearchNotReady { .. } => 409,
            PayloadTooLarge { .. } => 413,
            TooManyRequests { .. } => 429,
            General { .. } => 500,
            ServiceUnavailable { .. } => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidJsonInput { .. } => "InvalidJsonInput",
            InvalidInput { .. } => "InvalidInput",
            InvalidField { .. } => "InvalidField",
            RequiredField { .. } => "RequiredField",
            DuplicateField { .. } => "DuplicateField",
            InvalidOperation { .. } => "InvalidOperation",
            ReferencedResourceNotFound { .. } => "ReferencedResourceNotFound",
            ReferenceExists { .. } => "ReferenceExists",
            MaxResourceLimitExceeded { .. } => "MaxResourceLimitExceeded",
            InvalidCredentials => "InvalidCredentials",
            InvalidCurrentPassword => "InvalidCurrentPassword",
            ExpiredCustomerPasswordToken => "ExpiredCustomerPasswordToken",
            ExpiredCustomerEmailToken => "ExpiredCustomerEmailToken",
            ResourceNotFound { .. } => "ResourceNotFound",
            MethodNotAllowed { .. } => "MethodNotAllowed",
            ConcurrentModification { .. } => "ConcurrentModification",
            AssociateMissingPermission { .. } => "AssociateMissingPermission",
            LockedField { .. } => "LockedField",
            SearchNotReady { .. } => "SearchNotReady",
            PayloadTooLarge { .. } => "ContentTooLarge",
            InvalidToken { .. } => "invalid_token",
            Unauthorized { .. } => "Unauthorized",
            InsufficientScope { .. } | OutsideStore { .. } | NoCustomerInToken => {
                "insufficient_scope"
            }
            AnonymousIdAlreadyInUse => "AnonymousIdAlreadyInUse",
            InvalidClient => "invalid_client",
            InvalidScope { .. } => "invalid_scope",
            UnsupportedGrantType { .. } => "unsupported_grant_type",
            InvalidRequest { .. } => "invalid_request",
            InvalidGrant { .. } => "invalid_grant",
            InvalidCustomerAccountCredentials => "invalid_customer_account_credentials",
            TooManyRequests { .. } => "TooManyRequests",
            General { .. } => "General",
            ServiceUnavailable { .. } => "ServiceUnavailable",
        }
    }

    /// True for OAuth-style errors, whose envelope also carries `error` / `error_description`.
    pub fn is_auth_error(&self) -> bool {
        use ApiError::*;
        matches!(
            self,
            InvalidToken { .. }
                | InsufficientScope { .. }
                | OutsideStore { .. }
                | NoCustomerInToken
                | InvalidClient
                | InvalidScope { .. }
                | UnsupportedGrantType { .. }
                | InvalidRequest { .. }
                | InvalidGrant { .. }
                | InvalidCustomerAccountCredentials
        )
    }

    pub fn message(&self) -> String {
        use ApiError::*;
        match self {
            InvalidJsonInput { .. } => "Request body does not contain valid JSON.".into(),
            InvalidInput { message }
            | InvalidOperation { message }
            | SearchNotReady { message }
            | ResourceNotFound { message }
            | InvalidToken { message }
            | Unauthorized { message }
            | OutsideStore { message }
            | InvalidScope { message }
            | InvalidRequest { message }
            | InvalidGrant { message }
            | ServiceUnavailable { message }
            | General { message } => message.clone(),
            InvalidCustomerAccountCredentials => {
                "Customer account with the given credentials not found.".into()
            }
            AssociateMissingPermission {
                associate,
                business_unit,
                action,
                permissions,
            } => format!(
                "Associate '{associate}' has no rights to {action} in business-unit '{business_unit}'. Needs '{}'.",
                permissions.join("', '")
            ),
            TooManyRequests {
                retry_after_seconds,
            } => format!(
                "Too many failed sign-in attempts. Try again in {retry_after_seconds} seconds."
            ),
            InvalidField {
                field,
                invalid_value,
                message,
            } => message.clone().unwrap_or_else(|| {
                format!(
                    "The value {} is not valid for field {field}.",
                    display_value(invalid_value)
                )
            }),
            RequiredField { field } => format!("A value is required for field {field}."),
            DuplicateField {
                field,
                duplicate_value,
                message,
            } => message.clone().unwrap_or_else(|| {
                format!(
                    "A duplicate value {} exists for field {field}.",
                    display_value(duplicate_value)
                )
            }),
            ReferencedResourceNotFound { type_id, id, key } => {
                let what = match (id, key) {
                    (Some(id), _) => format!("ID '{id}'"),
                    (None, Some(key)) => format!("key '{key}'"),
                    (None, None) => "no identifier".into(),
                };
                format!("The referenced object of type '{type_id}' with {what} was not found.")
            }
            ReferenceExists {
                type_id,
                referenced_by,
            } => format!(
                "Can not delete a {type_id} while it is referenced by at least one {}.",
                referenced_by.as_deref().unwrap_or("resource")
            ),
            MaxResourceLimitExceeded { type_id, limit } => format!(
                "You have exceeded the limit of {limit} resources of type {type_id}."
            ),
            InvalidCredentials => "Account with the given credentials not found.".into(),
            InvalidCurrentPassword => "The given current password does not match.".into(),
            AnonymousIdAlreadyInUse => "The given anonymous ID is already in use.".into(),
            NoCustomerInToken => "This endpoint requires an access token issued for a customer \
                (the password flow, scope customer_id:{id})."
                .into(),
            ExpiredCustomerPasswordToken => "The given password token has expired.".into(),
            ExpiredCustomerEmailToken => "The given email token has expired.".into(),
            MethodNotAllowed { allowed } => format!(
                "Method not allowed on this resource. Allowed: {}.",
                allowed.join(", ")
            ),
            ConcurrentModification { expected, current } => match current {
                Some(current) => format!(
                    "Object has a different version than expected. Expected: {expected} - Actual: {current}."
                ),
                None => "Version mismatch. Concurrent modification.".into(),
            },
            LockedField { field } => {
                format!("'{field}' is locked by another request. Please try again later.")
            }
            PayloadTooLarge { limit } => {
                format!("The request body exceeds the limit of {limit} bytes.")
            }
            InsufficientScope { required } => format!(
                "Insufficient scope. One of the following scopes is missing: {}",
                required.join(", ")
            ),
            InvalidClient => {
                "Please provide valid client credentials using HTTP Basic Authentication.".into()
            }
            UnsupportedGrantType { grant_type } => {
                format!("Invalid grant type '{grant_type}'.")
            }
        }
    }

    /// The error object: `{code, message, …extra fields}`.
    pub fn to_json(&self) -> Value {
        use ApiError::*;
        let mut obj = Map::new();
        obj.insert("code".into(), self.code().into());
        obj.insert("message".into(), self.message().into());
        match self {
            InvalidJsonInput { detail } => {
                obj.insert("detailedErrorMessage".into(), detail.clone().into());
            }
            InvalidField {
                field,
                invalid_value,
                ..
            } => {
                obj.insert("field".into(), field.clone().into());
                obj.insert("invalidValue".into(), invalid_value.clone());
            }
            RequiredField { field } | LockedField { field } => {
                obj.insert("field".into(), field.clone().into());
            }
            DuplicateField {
                field,
                duplicate_value,
                ..
            } => {
                obj.insert("field".into(), field.clone().into());
                obj.insert("duplicateValue".into(), duplicate_value.clone());
            }
            ReferencedResourceNotFound { type_id, id, key } => {
                obj.insert("typeId".into(), type_id.clone().into());
                if let Some(id) = id {
                    obj.insert("id".into(), id.clone().into());
                }
                if let Some(key) = key {
                    obj.insert("key".into(), key.clone().into());
                }
            }
            MaxResourceLimitExceeded { type_id, .. } => {
                obj.insert("exceededResource".into(), type_id.clone().into());
            }
            ReferenceExists {
                referenced_by: Some(by),
                ..
            } => {
                obj.insert("referencedBy".into(), by.clone().into());
            }
            ConcurrentModification {
                current: Some(current),
                ..
            } => {
                obj.insert("currentVersion".into(), (*current).into());
            }
            AssociateMissingPermission {
                associate,
                business_unit,
                permissions,
                ..
            } => {
                obj.insert(
                    "associate".into(),
                    json!({"typeId": "customer", "id": associate}),
                );
                obj.insert(
                    "businessUnit".into(),
                    json!({"typeId": "business-unit", "key": business_unit}),
                );
                obj.insert("permissions".into(), json!(permissions));
            }
            _ => {}
        }
        Value::Object(obj)
    }
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

/// A whole error response: one or more errors sharing the status of the first.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection(pub Vec<ApiError>);

impl Rejection {
    pub fn status(&self) -> u16 {
        self.0.first().map_or(500, ApiError::status)
    }

    pub fn first(&self) -> Option<&ApiError> {
        self.0.first()
    }

    /// The commercetools envelope; OAuth errors also carry `error` and `error_description`.
    pub fn to_json(&self) -> Value {
        let message = self.0.first().map(ApiError::message).unwrap_or_default();
        let mut body = json!({
            "statusCode": self.status(),
            "message": message,
            "errors": self.0.iter().map(ApiError::to_json).collect::<Vec<_>>(),
        });
        if let Some(first) = self.0.first().filter(|e| e.is_auth_error()) {
            body["error"] = first.code().into();
            body["error_description"] = message.into();
        }
        body
    }
}

impl From<ApiError> for Rejection {
    fn from(error: ApiError) -> Self {
        Rejection(vec![error])
    }
}

impl From<Vec<ApiError>> for Rejection {
    fn from(errors: Vec<ApiError>) -> Self {
        Rejection(errors)
    }
}

pub type ApiResult<T> = Result<T, Rejection>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_conflict_envelope_carries_current_version() {
        let body = Rejection::from(ApiError::ConcurrentModification {
            expected: 1,
            current: Some(3),
        })
        .to_json();
        assert_eq!(body["statusCode"], 409);
        assert_eq!(body["errors"][0]["code"], "ConcurrentModification");
        assert_eq!(body["errors"][0]["currentVersion"], 3);
        assert_eq!(body["message"], body["errors"][0]["message"]);
        assert!(body.get("error").is_none());
    }

    #[test]
    fn a_paused_write_is_503_in_the_usual_envelope() {
        let body = Rejection::from(ApiError::ServiceUnavailable {
            message: "paused".into(),
        })
        .to_json();
        assert_eq!(body["statusCode"], 503);
        assert_eq!(body["message"], "paused");
        assert_eq!(body["errors"][0]["code"], "ServiceUnavailable");
        assert_eq!(body["errors"][0]["message"], "paused");
    }

    #[test]
    fn reference_exists_names_the_referrer_when_known() {
        let known = Rejection::from(ApiError::ReferenceExists {
            type_id: "customer-group".into(),
            referenced_by: Some("customer".into()),
        })
        .to_json();
        assert_eq!(known["statusCode"], 400);
        assert_eq!(known["errors"][0]["referencedBy"], "customer");
        assert_eq!(
            known["message"],
            "Can not delete a customer-group while it is referenced by at least one customer."
        );
        let unknown = Rejection::from(ApiError::ReferenceExists {
            type_id: "type".into(),
            referenced_by: None,
        })
        .to_json();
        assert!(unknown["errors"][0].get("referencedBy").is_none());
        assert!(unknown["message"]
            .as_str()
            .unwrap()
            .ends_with("one resource."));
    }

    #[test]
    fn auth_errors_carry_oauth_fields() {
        let body = Rejection::from(ApiError::InsufficientScope {
            required: vec!["view_customers:p".into()],
        })
        .to_json();
        assert_eq!(body["statusCode"], 403);
        assert_eq!(body["error"], "insufficient_scope");
        assert_eq!(body["errors"][0]["code"], "insufficient_scope");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("view_customers:p"));
    }

    #[test]
    fn duplicate_field_names_field_and_value() {
        let body = Rejection::from(ApiError::DuplicateField {
            field: "email".into(),
            duplicate_value: "a@b.c".into(),
            message: None,
        })
        .to_json();
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][0]["duplicateValue"], "a@b.c");
    }
}
