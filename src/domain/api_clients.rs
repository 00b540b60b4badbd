//! The api-clients resource: API clients made through the API (beside the bootstrap clients of
//! the configuration). The secret is shown once, at creation, and stored as its SHA-256.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::auth::{ApiClient, Scope, MAX_REFRESH_TTL_SECONDS, MAX_TTL_SECONDS, MIN_TTL_SECONDS};
use super::error::ApiError;
use super::ids::{alphanumeric, new_token, sha256_hex, Random};
use super::time::iso_millis;

/// Shortest access-token life an API client may ask for (commercetools' bound).
pub const MIN_ACCESS_TOKEN_VALIDITY_SECONDS: u64 = 3_600;
/// Longest time before deletion an API client may ask for (our bound: a century).
pub const MAX_DELETE_DAYS: u32 = 36_500;

/// ApiClientDraft.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClientDraft {
    pub name: String,
    /// Space-separated scopes.
    pub scope: String,
    #[serde(default)]
    pub delete_days_after_creation: Option<u32>,
    #[serde(default)]
    pub access_token_validity_seconds: Option<u64>,
    #[serde(default)]
    pub refresh_token_validity_seconds: Option<u64>,
}

/// An API client as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClientRecord {
    pub id: String,
    pub project: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub secret_sha256: String,
    pub created_at_ms: i64,
    pub delete_at_ms: Option<i64>,
    pub access_token_validity_seconds: Option<u64>,
    pub refresh_token_validity_seconds: Option<u64>,
}

impl ApiClientRecord {
    /// The client for authentication, while it is not past its deletion date.
    pub fn client(&self, now_ms: i64) -> Option<ApiClient> {
        if self.delete_at_ms.is_some_and(|at| now_ms >= at) {
            return None;
        }
        Some(ApiClient {
            client_id: self.id.clone(),
            secret_sha256: self.secret_sha256.clone(),
            project_key: self.project.clone(),
            scopes: self.scopes.clone(),
            access_token_validity_seconds: self.access_token_validity_seconds,
            refresh_token_validity_seconds: self.refresh_token_validity_seconds,
        })
    }

    /// The ApiClient representation; `secret` only in the answer to its creation.
    pub fn to_json(&self, secret: Option<&str>) -> Value {
        let mut body = Map::new();
        body.insert("id".into(), self.id.clone().into());
        body.insert("name".into(), self.name.clone().into());
        body.insert("scope".into(), self.scopes.join(" ").into());
        body.insert("createdAt".into(), iso_millis(self.created_at_ms).into());
        if let Some(at) = self.delete_at_ms {
            body.insert("deleteAt".into(), iso_millis(at).into());
        }
        if let Some(secret) = secret {
            body.insert("secret".into(), secret.into());
        }
        if let Some(seconds) = self.access_token_validity_seconds {
            body.insert("accessTokenValiditySeconds".into(), seconds.into());
        }
        if let Some(seconds) = self.refresh_token_validity_seconds {
            body.insert("refreshTokenValiditySeconds".into(), seconds.into());
        }
        Value::Object(body)
    }
}

fn invalid(field: &str, value: Value, message: String) -> ApiError {
    ApiError::InvalidField {
        field: field.into(),
        invalid_value: value,
        message: Some(message),
    }
}

/// Validates a draft and makes the client; returns it with its secret (shown once).
pub fn create(
    draft: ApiClientDraft,
    project: &str,
    now_ms: i64,
    rng: &mut dyn Random,
) -> Result<(ApiClientRecord, String), Vec<ApiError>> {
    let name = draft.name.trim().to_string();
    let scopes: Vec<String> = draft.scope.split_whitespace().map(str::to_string).collect();
    let errors = check(&draft, &name, &scopes, project);
    if !errors.is_empty() {
        return Err(errors);
    }
    let secret = new_token(rng);
    let record = ApiClientRecord {
        id: alphanumeric(rng, 24),
        project: project.to_string(),
        name,
        scopes,
        secret_sha256: sha256_hex(&secret),
        created_at_ms: now_ms,
        delete_at_ms: draft
            .delete_days_after_creation
            .map(|days| now_ms + i64::from(days) * 86_400_000),
        access_token_validity_seconds: draft.access_token_validity_seconds,
        refresh_token_validity_seconds: draft.refresh_token_validity_seconds,
    };
    Ok((record, secret))
}

/// Every rule the draft breaks: the name, the scopes (of this project, no subject scopes),
/// the token lifetimes and the deletion date within their bounds.
fn check(draft: &ApiClientDraft, name: &str, scopes: &[String], project: &str) -> Vec<ApiError> {
    let mut errors = Vec::new();
    if name.is_empty() || name.len() > 256 {
        errors.push(invalid(
            "name",
            draft.name.clone().into(),
            "The name must be 1 to 256 characters.".into(),
        ));
    }
    if scopes.is_empty() {
        errors.push(ApiError::RequiredField {
            field: "scope".into(),
        });
    }
    for scope in scopes {
        let ok = Scope::parse(scope).is_some_and(|s| {
            s.project == project && !matches!(s.name.as_str(), "customer_id" | "anonymous_id")
        });
        if !ok {
            errors.push(invalid(
                "scope",
                scope.clone().into(),
                format!("'{scope}' is not a scope of project '{project}'."),
            ));
        }
    }
    let bounds = [
        (
            "accessTokenValiditySeconds",
            draft.access_token_validity_seconds,
            MIN_ACCESS_TOKEN_VALIDITY_SECONDS,
            MAX_TTL_SECONDS,
        ),
        (
            "refreshTokenValiditySeconds",
            draft.refresh_token_validity_seconds,
            MIN_TTL_SECONDS,
            MAX_REFRESH_TTL_SECONDS,
        ),
        (
            "deleteDaysAfterCreation",
            draft.delete_days_after_creation.map(u64::from),
            1,
            u64::from(MAX_DELETE_DAYS),
        ),
    ];
    for (field, value, min, max) in bounds {
        if let Some(v) = value.filter(|v| !(min..=max).contains(v)) {
            errors.push(invalid(
                field,
                v.into(),
                format!("{field} must be between {min} and {max}."),
            ));
        }
    }
    errors
}

/// The paged list of API clients.
pub fn page(records: &[ApiClientRecord], limit: usize, offset: usize, total: usize) -> Value {
    let results: Vec<Value> = records.iter().map(|r| r.to_json(None)).collect();
    json!({"limit": limit, "offset": offset, "count": results.len(), "total": total, "results": results})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CountingRandom;

    fn draft(value: Value) -> ApiClientDraft {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn creates_a_client_with_a_secret_shown_once() {
        let (record, secret) = create(
            draft(json!({"name": "shop", "scope": "manage_customers:p view_customers:p", "deleteDaysAfterCreation": 2, "accessTokenValiditySeconds": 3600})),
            "p",
            1_000,
            &mut CountingRandom(0),
        )
        .unwrap();
        assert_eq!(record.id.len(), 24);
        assert_eq!(secret.len(), 43);
        assert_eq!(record.secret_sha256, sha256_hex(&secret));
        assert_eq!(record.delete_at_ms, Some(1_000 + 2 * 86_400_000));
        let shown = record.to_json(Some(&secret));
        assert_eq!(shown["secret"], secret.as_str());
        assert_eq!(shown["scope"], "manage_customers:p view_customers:p");
        assert!(record.to_json(None).get("secret").is_none());
        let client = record.client(1_000).unwrap();
        assert!(client.secret_matches(&secret));
        assert_eq!(client.access_token_ttl(), 3600);
        assert!(
            record.client(1_000 + 2 * 86_400_000).is_none(),
            "past its deletion date"
        );
    }

    #[test]
    fn drafts_are_checked() {
        let errors = create(
            draft(json!({"name": " ", "scope": "manage_customers:other customer_id:x", "accessTokenValiditySeconds": 60, "refreshTokenValiditySeconds": 1, "deleteDaysAfterCreation": 0})),
            "p",
            0,
            &mut CountingRandom(0),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:?}");
        let errors = create(
            draft(json!({"name": "x", "scope": ""})),
            "p",
            0,
            &mut CountingRandom(0),
        )
        .unwrap_err();
        assert_eq!(
            errors,
            vec![ApiError::RequiredField {
                field: "scope".into()
            }]
        );
    }
}
