//! The OAuth2 flows as plain functions: issuing access and refresh tokens for a client, a
//! customer (password flow) or an anonymous session, refreshing, and introspection.
//!
//! Token values are 32 random bytes (base64url); only their SHA-256 is stored, in KV. A refresh
//! token lives `refreshTokenValiditySeconds` of *inactivity*: each use restarts its clock.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{AccessGrant, ApiClient, Scope, Scopes};
use super::error::ApiError;
use super::ids::{new_token, Random};

/// Who a token is for, beyond its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Client credentials: the client itself.
    Client,
    /// Password flow: the customer with this id (`customer_id:{id}` scope).
    Customer(String),
    /// Anonymous session with this id (`anonymous_id:{id}` scope).
    Anonymous(String),
}

/// What a refresh token stands for; stored in KV under the SHA-256 of the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshGrant {
    pub client_id: String,
    pub project_key: String,
    pub scopes: Scopes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// When the session began (a password reset voids customer sessions begun before it).
    pub issued_at_ms: i64,
    /// When it lapses unless used again.
    pub expires_at_ms: i64,
    pub access_ttl_seconds: u64,
    pub refresh_ttl_seconds: u64,
}

/// A new access token, and a refresh token for customer and anonymous sessions.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub access: AccessGrant,
    pub refresh: Option<(String, RefreshGrant)>,
}

impl Issued {
    /// TokenResponse, or RefreshTokenResponse when there is a refresh token.
    pub fn response(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "expires_in": (self.access.expires_at_ms - self.access.issued_at_ms) / 1000,
            "scope": self.access.scopes.joined(),
            "token_type": "Bearer",
        });
        if let Some((refresh_token, _)) = &self.refresh {
            body["refresh_token"] = refresh_token.clone().into();
        }
        body
    }
}

/// The scopes a token carries: the granted ones and its subject's.
fn with_subject(granted: Vec<String>, subject: &Subject) -> Scopes {
    let mut scopes = Scopes::parse_all(granted);
    match subject {
        Subject::Client => {}
        Subject::Customer(id) => scopes.push(Scope::new("customer_id", id, None)),
        Subject::Anonymous(id) => scopes.push(Scope::new("anonymous_id", id, None)),
    }
    scopes
}

/// Issues tokens for `client` with the granted `scopes` (already checked against the client).
pub fn issue(
    client: &ApiClient,
    scopes: Vec<String>,
    subject: Subject,
    now_ms: i64,
    rng: &mut dyn Random,
) -> Issued {
    let scopes = with_subject(scopes, &subject);
    let (customer_id, anonymous_id) = match &subject {
        Subject::Client => (None, None),
        Subject::Customer(id) => (Some(id.clone()), None),
        Subject::Anonymous(id) => (None, Some(id.clone())),
    };
    let access_ttl = client.access_token_ttl();
    let access = AccessGrant {
        client_id: client.client_id.clone(),
        project_key: client.project_key.clone(),
        scopes: scopes.clone(),
        expires_at_ms: now_ms.saturating_add((access_ttl as i64) * 1000),
        issued_at_ms: now_ms,
        customer_id: customer_id.clone(),
        anonymous_id: anonymous_id.clone(),
    };
    let refresh = (subject != Subject::Client).then(|| {
        let refresh_ttl = client.refresh_token_ttl();
        let grant = RefreshGrant {
            client_id: client.client_id.clone(),
            project_key: client.project_key.clone(),
            scopes,
            customer_id,
            anonymous_id,
            issued_at_ms: now_ms,
            expires_at_ms: now_ms.saturating_add((refresh_ttl as i64) * 1000),
            access_ttl_seconds: access_ttl,
            refresh_ttl_seconds: refresh_ttl,
        };
        (new_token(rng), grant)
    });
    Issued {
        access_token: new_token(rng),
        access,
        refresh,
    }
}

/// `invalid_grant` for a refresh token that cannot be used.
pub fn invalid_grant() -> ApiError {
    ApiError::InvalidGrant {
        message: "The refresh token was not found. It may have expired.".into(),
    }
}

/// A new access token from a refresh token of `client_id`; the refresh token's inactivity
/// clock restarts. No new refresh token is issued (as commercetools).
pub fn refresh(
    grant: &RefreshGrant,
    client_id: &str,
    now_ms: i64,
    rng: &mut dyn Random,
) -> Result<Issued, ApiError> {
    if grant.client_id != client_id || now_ms >= grant.expires_at_ms {
        return Err(invalid_grant());
    }
    let access = AccessGrant {
        client_id: grant.client_id.clone(),
        project_key: grant.project_key.clone(),
        scopes: grant.scopes.clone(),
        expires_at_ms: now_ms.saturating_add((grant.access_ttl_seconds as i64) * 1000),
        issued_at_ms: now_ms,
        customer_id: grant.customer_id.clone(),
        anonymous_id: grant.anonymous_id.clone(),
    };
    let renewed = RefreshGrant {
        expires_at_ms: now_ms.saturating_add((grant.refresh_ttl_seconds as i64) * 1000),
        ..grant.clone()
    };
    Ok(Issued {
        access_token: new_token(rng),
        access,
        refresh: Some((String::new(), renewed)),
    })
}

/// The response of a refreshed token: TokenResponse (no refresh token).
pub fn refreshed_response(issued: &Issued) -> Value {
    Issued {
        refresh: None,
        ..issued.clone()
    }
    .response()
}

/// Whether `client` may open anonymous sessions (`create_anonymous_token:{projectKey}`).
pub fn check_anonymous_allowed(client: &ApiClient) -> Result<(), ApiError> {
    let wanted = Scope::new("create_anonymous_token", &client.project_key, None);
    let allowed = client
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .any(|held| held.implies(&wanted));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::InvalidScope {
            message: format!(
                "The client needs the scope create_anonymous_token:{} to create anonymous tokens.",
                client.project_key
            ),
        })
    }
}

/// Longest anonymous id (of a session, or named by a CustomerDraft).
pub const MAX_ANONYMOUS_ID_LEN: usize = 256;

/// Checks a given `anonymous_id`: 1 to 256 characters of `[A-Za-z0-9._-]` (it becomes part of
/// a space-separated scope string, so it may hold neither spaces nor colons).
pub fn check_anonymous_id(id: &str) -> Result<(), ApiError> {
    let ok = (1..=MAX_ANONYMOUS_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(ApiError::InvalidRequest {
            message: "anonymous_id must be 1 to 256 characters of [A-Za-z0-9._-].".into(),
        });
    }
    Ok(())
}

/// An in-store password flow needs a client with a scope for that store (or for the whole
/// project): a client of one store cannot sign in the customers of another.
pub fn check_store_allowed(client: &ApiClient, store: &str) -> Result<(), ApiError> {
    let allowed = client
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .any(|s| s.store.as_deref().is_none_or(|own| own == store));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::InvalidScope {
            message: format!("The client has no scope for the store '{store}'."),
        })
    }
}

/// What introspection and the session check need to know of an access or refresh token.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts<'a> {
    pub scopes: &'a Scopes,
    pub client_id: &'a str,
    pub project: &'a str,
    pub expires_at_ms: i64,
    pub customer_id: Option<&'a str>,
    pub issued_at_ms: i64,
}

impl AccessGrant {
    pub fn facts(&self) -> TokenFacts<'_> {
        TokenFacts {
            scopes: &self.scopes,
            client_id: &self.client_id,
            project: &self.project_key,
            expires_at_ms: self.expires_at_ms,
            customer_id: self.customer_id.as_deref(),
            issued_at_ms: self.issued_at_ms,
        }
    }
}

impl RefreshGrant {
    pub fn facts(&self) -> TokenFacts<'_> {
        TokenFacts {
            scopes: &self.scopes,
            client_id: &self.client_id,
            project: &self.project_key,
            expires_at_ms: self.expires_at_ms,
            customer_id: self.customer_id.as_deref(),
            issued_at_ms: self.issued_at_ms,
        }
    }
}

/// What introspection reveals about a token to `caller`: `{active, scope, exp, client_id}` for
/// a live token of the caller (or of any client, for a caller holding
/// `introspect_oauth_tokens:{projectKey}`), `{active: false}` for anything else.
pub fn introspection(token: Option<TokenFacts<'_>>, caller: &ApiClient, now_ms: i64) -> Value {
    let inactive = json!({"active": false});
    let Some(TokenFacts {
        scopes,
        client_id,
        project,
        expires_at_ms,
        ..
    }) = token
    else {
        return inactive;
    };
    if now_ms >= expires_at_ms {
        return inactive;
    }
    let wanted = Scope::new("introspect_oauth_tokens", project, None);
    let may_see = client_id == caller.client_id
        || caller
            .scopes
            .iter()
            .filter_map(|s| Scope::parse(s))
            .any(|held| held.implies(&wanted));
    if !may_see {
        return inactive;
    }
    json!({
        "active": true,
        "scope": scopes.joined(),
        "exp": expires_at_ms / 1000,
        "client_id": client_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::auth::grant_scopes;
    use crate::domain::ids::{sha256_hex, CountingRandom};

    fn client(scopes: &[&str]) -> ApiClient {
        ApiClient {
            client_id: "c1".into(),
            secret_sha256: sha256_hex("s"),
            project_key: "p".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            access_token_validity_seconds: Some(3600),
            refresh_token_validity_seconds: Some(86_400),
        }
    }

    #[test]
    fn client_credentials_have_no_refresh_token() {
        let c = client(&["manage_customers:p"]);
        let issued = issue(
            &c,
            c.scopes.clone(),
            Subject::Client,
            1_000,
            &mut CountingRandom(0),
        );
        let body = issued.response();
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "manage_customers:p");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body.get("refresh_token").is_none());
        assert_eq!(issued.access.issued_at_ms, 1_000);
    }

    #[test]
    fn password_flow_tokens_name_the_customer_and_can_be_refreshed() {
        let c = client(&["manage_my_profile:p"]);
        let issued = issue(
            &c,
            c.scopes.clone(),
            Subject::Customer("cust-1".into()),
            0,
            &mut CountingRandom(0),
        );
        assert_eq!(
            issued.access.scopes,
            vec!["manage_my_profile:p", "customer_id:cust-1"]
        );
        assert_eq!(issued.access.customer_id.as_deref(), Some("cust-1"));
        let body = issued.response();
        assert_eq!(body["scope"], "manage_my_profile:p customer_id:cust-1");
        let (refresh_token, grant) = issued.refresh.clone().unwrap();
        assert_eq!(body["refresh_token"], refresh_token.as_str());
        assert_ne!(refresh_token, issued.access_token);
        assert_eq!(grant.expires_at_ms, 86_400_000);
        // Refreshing: same scopes and subject, a new access token, the inactivity clock restarts.
        let refreshed = refresh(&grant, "c1", 50_000_000, &mut CountingRandom(9)).unwrap();
        assert_eq!(refreshed.access.scopes, grant.scopes);
        assert_eq!(refreshed.access.customer_id.as_deref(), Some("cust-1"));
        assert_eq!(refreshed.access.expires_at_ms, 50_000_000 + 3_600_000);
        let renewed = refreshed.refresh.clone().unwrap().1;
        assert_eq!(renewed.expires_at_ms, 50_000_000 + 86_400_000);
        assert_eq!(
            renewed.issued_at_ms, 0,
            "the session still began at sign-in"
        );
        assert!(refreshed_response(&refreshed)
            .get("refresh_token")
            .is_none());
        // Another client, or a lapsed token: invalid_grant.
        assert!(matches!(
            refresh(&grant, "c2", 1, &mut CountingRandom(0)),
            Err(ApiError::InvalidGrant { .. })
        ));
        assert!(matches!(
            refresh(&grant, "c1", 86_400_000, &mut CountingRandom(0)),
            Err(ApiError::InvalidGrant { .. })
        ));
    }

    #[test]
    fn anonymous_tokens_need_their_scope() {
        assert!(check_anonymous_allowed(&client(&["create_anonymous_token:p"])).is_ok());
        assert!(check_anonymous_allowed(&client(&["manage_project:p"])).is_ok());
        assert!(check_anonymous_allowed(&client(&["manage_customers:p"])).is_err());
        let c = client(&["create_anonymous_token:p", "view_customers:p"]);
        let issued = issue(
            &c,
            grant_scopes(&c, Some("view_customers:p")).unwrap(),
            Subject::Anonymous("a-1".into()),
            0,
            &mut CountingRandom(0),
        );
        assert_eq!(
            issued.access.scopes,
            vec!["view_customers:p", "anonymous_id:a-1"]
        );
        assert!(issued.refresh.is_some());
        assert!(check_anonymous_id("").is_err());
        assert!(check_anonymous_id("x manage_project:p").is_err());
        assert!(check_anonymous_id("session-1.a_b").is_ok());
        assert!(check_anonymous_id(&"x".repeat(257)).is_err());
    }

    #[test]
    fn in_store_password_flow_needs_a_scope_of_the_store() {
        assert!(check_store_allowed(&client(&["manage_my_profile:p"]), "s1").is_ok());
        assert!(check_store_allowed(&client(&["manage_my_profile:p:s1"]), "s1").is_ok());
        assert!(check_store_allowed(&client(&["manage_my_profile:p:s1"]), "s2").is_err());
    }

    #[test]
    fn subject_scopes_cannot_be_requested() {
        let c = client(&["manage_project:p"]);
        assert!(grant_scopes(&c, Some("customer_id:someone")).is_err());
        assert!(grant_scopes(&c, Some("anonymous_id:someone")).is_err());
        assert!(grant_scopes(&c, Some("manage_api_clients:p")).is_err());
    }

    #[test]
    fn introspection_shows_live_tokens_to_their_client() {
        let owner = client(&["manage_customers:p"]);
        let scopes = Scopes::parse_all(["manage_customers:p"]);
        let live = Some(TokenFacts {
            scopes: &scopes,
            client_id: "c1",
            project: "p",
            expires_at_ms: 10_000,
            customer_id: None,
            issued_at_ms: 0,
        });
        let seen = introspection(live, &owner, 5_000);
        assert_eq!(
            seen,
            json!({"active": true, "scope": "manage_customers:p", "exp": 10, "client_id": "c1"})
        );
        assert_eq!(
            introspection(live, &owner, 10_000),
            json!({"active": false})
        );
        assert_eq!(introspection(None, &owner, 0), json!({"active": false}));
        let stranger = ApiClient {
            client_id: "c2".into(),
            ..client(&["manage_customers:p"])
        };
        assert_eq!(
            introspection(live, &stranger, 5_000),
            json!({"active": false})
        );
        let inspector = ApiClient {
            client_id: "c3".into(),
            ..client(&["introspect_oauth_tokens:p"])
        };
        assert_eq!(introspection(live, &inspector, 5_000)["active"], true);
    }
}
