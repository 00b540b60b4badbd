//! Emporix tokens are the OAuth tokens of the commercetools dialect (`domain::oauth`: hashed
//! in KV, with a TTL), issued with Emporix's lifetimes and answered in Emporix's bodies. An
//! anonymous token is an anonymous session whose id is the Emporix `sessionId`; the customer
//! token a login issues keeps that session id (so a guest session survives the sign-in), and
//! carries the `/me` scopes of the anonymous token it was issued with.

use serde_json::{json, Value};

use crate::domain::auth::{AccessGrant, ApiClient};
use crate::domain::ids::Random;
use crate::domain::oauth::{self, Issued, Subject};

/// Anonymous tokens: an hour, refreshable for a day (Emporix's documented examples).
pub const ANONYMOUS_ACCESS_SECONDS: u64 = 3_599;
pub const ANONYMOUS_REFRESH_SECONDS: u64 = 86_399;
/// Customer tokens: 30 days, refreshable for a day of inactivity.
pub const CUSTOMER_ACCESS_SECONDS: u64 = 2_591_999;
pub const CUSTOMER_REFRESH_SECONDS: u64 = 86_399;

/// A new anonymous session of `client` with id `session_id`.
pub fn anonymous(
    client: &ApiClient,
    session_id: String,
    now_ms: i64,
    rng: &mut dyn Random,
) -> Issued {
    let subject = Subject::Anonymous(session_id);
    let issued = oauth::issue(client, client.scopes.clone(), subject, now_ms, rng);
    with_lifetimes(
        issued,
        (ANONYMOUS_ACCESS_SECONDS, ANONYMOUS_REFRESH_SECONDS),
        now_ms,
    )
}

/// The session id of a token: its anonymous session's (a customer token issued by an Emporix
/// login keeps the one it was issued with).
pub fn session_id(grant: &AccessGrant) -> Option<&str> {
    grant.anonymous_id.as_deref()
}

/// A customer token for `customer_id`, issued with the token `with` (the anonymous session
/// that logged in): same client and `/me` scopes, same session id (`session_id`).
pub fn customer(
    with: &AccessGrant,
    customer_id: &str,
    session_id: &str,
    now_ms: i64,
    rng: &mut dyn Random,
) -> Issued {
    let scopes: Vec<String> = with
        .scopes
        .iter()
        .filter(|s| !matches!(s.name.as_str(), "customer_id" | "anonymous_id"))
        .map(ToString::to_string)
        .collect();
    let client = ApiClient {
        client_id: with.client_id.clone(),
        secret_sha256: String::new(),
        project_key: with.project_key.clone(),
        scopes: scopes.clone(),
        access_token_validity_seconds: None,
        refresh_token_validity_seconds: None,
    };
    let subject = Subject::Customer(customer_id.to_string());
    let mut issued = oauth::issue(&client, scopes, subject, now_ms, rng);
    issued.access.anonymous_id = Some(session_id.to_string());
    if let Some((_, grant)) = &mut issued.refresh {
        grant.anonymous_id = Some(session_id.to_string());
    }
    with_lifetimes(
        issued,
        (CUSTOMER_ACCESS_SECONDS, CUSTOMER_REFRESH_SECONDS),
        now_ms,
    )
}

/// Emporix's lifetimes instead of the client's (which commercetools bounds to 7 days).
fn with_lifetimes(mut issued: Issued, (access_s, refresh_s): (u64, u64), now_ms: i64) -> Issued {
    issued.access.expires_at_ms = now_ms + (access_s as i64) * 1000;
    if let Some((_, grant)) = &mut issued.refresh {
        grant.access_ttl_seconds = access_s;
        grant.refresh_ttl_seconds = refresh_s;
        grant.expires_at_ms = now_ms + (refresh_s as i64) * 1000;
    }
    issued
}

fn seconds_left(until_ms: i64, now_ms: i64) -> i64 {
    ((until_ms - now_ms) / 1000).max(0)
}

/// The refresh token and how long it lasts, of a token pair.
fn refresh_of(issued: &Issued, now_ms: i64) -> (String, i64) {
    issued
        .refresh
        .as_ref()
        .map(|(token, grant)| (token.clone(), seconds_left(grant.expires_at_ms, now_ms)))
        .unwrap_or_default()
}

/// The anonymous login and refresh answer (`sessionId` in camelCase, as Emporix spells it).
pub fn anonymous_body(issued: &Issued, tenant: &str, now_ms: i64) -> Value {
    let (refresh_token, refresh_in) = refresh_of(issued, now_ms);
    json!({
        "token_type": "Bearer",
        "access_token": issued.access_token,
        "expires_in": seconds_left(issued.access.expires_at_ms, now_ms),
        "refresh_token": refresh_token,
        "refresh_token_expires_in": refresh_in,
        "sessionId": issued.access.anonymous_id,
        "scope": format!("tenant={tenant}"),
    })
}

/// RefreshCustomerToken: snake_case and the deprecated camelCase spellings; no saas token.
pub fn refresh_body(issued: &Issued, now_ms: i64) -> Value {
    let (refresh_token, refresh_in) = refresh_of(issued, now_ms);
    let expires_in = seconds_left(issued.access.expires_at_ms, now_ms);
    json!({
        "access_token": issued.access_token,
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "refresh_token_expires_in": refresh_in,
        "token_type": "Bearer",
        "session_id": issued.access.anonymous_id,
        "accessToken": issued.access_token,
        "expiresIn": expires_in,
        "refreshToken": refresh_token,
        "refreshTokenExpiresIn": refresh_in,
    })
}

/// CustomerToken (login, double opt-in): the refresh body plus the saas token.
pub fn login_body(issued: &Issued, saas_token: &str, now_ms: i64) -> Value {
    let mut body = refresh_body(issued, now_ms);
    body["saas_token"] = saas_token.into();
    body["saasToken"] = saas_token.into();
    body["initialPassword"] = false.into();
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{sha256_hex, CountingRandom};

    fn client() -> ApiClient {
        ApiClient {
            client_id: "shop".into(),
            secret_sha256: sha256_hex("s"),
            project_key: "p".into(),
            scopes: vec![
                "manage_my_profile:p".into(),
                "create_anonymous_token:p".into(),
            ],
            access_token_validity_seconds: None,
            refresh_token_validity_seconds: None,
        }
    }

    #[test]
    fn anonymous_sessions_last_an_hour_and_name_their_session() {
        let issued = anonymous(&client(), "sess-1".into(), 0, &mut CountingRandom(0));
        let body = anonymous_body(&issued, "demo", 0);
        assert_eq!(body["expires_in"], 3_599);
        assert_eq!(body["refresh_token_expires_in"], 86_399);
        assert_eq!(body["sessionId"], "sess-1");
        assert_eq!(body["scope"], "tenant=demo");
        assert_ne!(body["access_token"], body["refresh_token"]);
    }

    #[test]
    fn a_customer_token_keeps_the_session_and_the_scopes() {
        let session = anonymous(&client(), "sess-1".into(), 0, &mut CountingRandom(0));
        let issued = customer(
            &session.access,
            "cust-1",
            "sess-1",
            1_000,
            &mut CountingRandom(5),
        );
        assert_eq!(issued.access.customer_id.as_deref(), Some("cust-1"));
        assert_eq!(session_id(&issued.access), Some("sess-1"));
        assert_eq!(
            issued.access.scopes,
            vec![
                "manage_my_profile:p",
                "create_anonymous_token:p",
                "customer_id:cust-1"
            ]
        );
        let (_, refresh) = issued.refresh.clone().unwrap();
        assert_eq!(refresh.anonymous_id.as_deref(), Some("sess-1"));
        assert_eq!(refresh.access_ttl_seconds, CUSTOMER_ACCESS_SECONDS);
        let body = login_body(&issued, "jwt", 1_000);
        assert_eq!(body["expires_in"], 2_591_999);
        assert_eq!(body["expiresIn"], 2_591_999);
        assert_eq!(body["accessToken"], body["access_token"]);
        assert_eq!(body["refreshToken"], body["refresh_token"]);
        assert_eq!(body["saas_token"], "jwt");
        assert_eq!(body["session_id"], "sess-1");
        assert!(refresh_body(&issued, 1_000).get("saas_token").is_none());
    }
}
