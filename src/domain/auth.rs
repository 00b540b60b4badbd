//! API clients, OAuth scopes and grants: who may call which endpoint.
//!
//! Clients come from configuration (`API_CLIENTS`, a JSON array; the bootstrap clients) and from
//! the api-clients resource, each with its secret stored as a SHA-256 hex digest. A token is
//! issued for a subset of its client's scopes; every endpoint names the scopes it accepts, and
//! a token passes if one of its scopes implies one of them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::ids::{constant_time_eq, sha256_hex};

/// Default access-token lifetime: 48 hours, as commercetools.
pub const DEFAULT_ACCESS_TOKEN_TTL_SECONDS: u64 = 172_800;
/// Default refresh-token lifetime: 200 days of inactivity, as commercetools.
pub const DEFAULT_REFRESH_TOKEN_TTL_SECONDS: u64 = 17_280_000;
/// KV cannot expire keys sooner than this; commercetools' own maximum is 7 days.
pub const MIN_TTL_SECONDS: u64 = 60;
pub const MAX_TTL_SECONDS: u64 = 604_800;
/// Longest refresh-token inactivity allowed: a year.
pub const MAX_REFRESH_TTL_SECONDS: u64 = 31_536_000;

/// One API client: a configured bootstrap client or one of the api-clients resource.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiClient {
    pub client_id: String,
    /// Lower-case hex SHA-256 of the client secret (`printf %s "$secret" | sha256sum`).
    pub secret_sha256: String,
    pub project_key: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub access_token_validity_seconds: Option<u64>,
    #[serde(default)]
    pub refresh_token_validity_seconds: Option<u64>,
}

impl ApiClient {
    pub fn access_token_ttl(&self) -> u64 {
        self.access_token_validity_seconds
            .unwrap_or(DEFAULT_ACCESS_TOKEN_TTL_SECONDS)
            .clamp(MIN_TTL_SECONDS, MAX_TTL_SECONDS)
    }

    pub fn refresh_token_ttl(&self) -> u64 {
        self.refresh_token_validity_seconds
            .unwrap_or(DEFAULT_REFRESH_TOKEN_TTL_SECONDS)
            .clamp(MIN_TTL_SECONDS, MAX_REFRESH_TTL_SECONDS)
    }

    /// True if `secret` is this client's (compared as digests, in constant time).
    pub fn secret_matches(&self, secret: &str) -> bool {
        constant_time_eq(&self.secret_sha256, &sha256_hex(secret))
    }
}

/// Parses and checks the `API_CLIENTS` configuration: every scope must belong to the client's
/// own project, and client ids must be unique.
pub fn parse_clients(config: &str) -> Result<Vec<ApiClient>, String> {
    let clients: Vec<ApiClient> =
        serde_json::from_str(config).map_err(|e| format!("API_CLIENTS is not valid: {e}"))?;
    for (i, client) in clients.iter().enumerate() {
        if clients[..i].iter().any(|c| c.client_id == client.client_id) {
            return Err(format!(
                "API_CLIENTS: duplicate clientId '{}'",
                client.client_id
            ));
        }
        if client.secret_sha256.len() != 64
            || !client.secret_sha256.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(format!(
                "API_CLIENTS: secretSha256 of '{}' must be 64 hex characters",
                client.client_id
            ));
        }
        for scope in &client.scopes {
            match Scope::parse(scope) {
                Some(s) if s.project == client.project_key => {}
                _ => {
                    return Err(format!(
                        "API_CLIENTS: scope '{scope}' of '{}' is not a scope of project '{}'",
                        client.client_id, client.project_key
                    ))
                }
            }
        }
    }
    Ok(clients)
}

/// The client id and secret of HTTP Basic credentials.
pub fn basic_credentials(authorization: Option<&str>) -> Result<(String, String), ApiError> {
    let encoded = authorization
        .and_then(|h| strip_scheme(h, "Basic"))
        .ok_or(ApiError::InvalidClient)?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(ApiError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(ApiError::InvalidClient)?;
    Ok((id.to_string(), secret.to_string()))
}

/// Checks HTTP Basic client credentials against the given clients.
pub fn authenticate<'a>(
    clients: &'a [ApiClient],
    authorization: Option<&str>,
) -> Result<&'a ApiClient, ApiError> {
    let (id, secret) = basic_credentials(authorization)?;
    clients
        .iter()
        .find(|c| c.client_id == id && c.secret_matches(&secret))
        .ok_or(ApiError::InvalidClient)
}

/// The bearer token of an `Authorization` header, if it carries one.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    authorization
        .and_then(|h| strip_scheme(h, "Bearer"))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.trim_start().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// The scopes a token gets: all of the client's if none are requested, else the requested
/// ones, each of which the client's scopes must imply.
pub fn grant_scopes(client: &ApiClient, requested: Option<&str>) -> Result<Vec<String>, ApiError> {
    let requested: Vec<&str> = requested
        .map(|r| r.split_whitespace().collect())
        .unwrap_or_default();
    if requested.is_empty() {
        return Ok(client.scopes.clone());
    }
    let held: Vec<Scope> = client
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .collect();
    let mut granted: Vec<String> = Vec::new();
    for wanted in requested {
        let ok = Scope::parse(wanted).is_some_and(|w| held.iter().any(|h| h.implies(&w)));
        if !ok {
            return Err(ApiError::InvalidScope {
                message: format!("The scope '{wanted}' is not allowed for this client."),
            });
        }
        if !granted.iter().any(|g| g == wanted) {
            granted.push(wanted.to_string());
        }
    }
    Ok(granted)
}

/// A scope `name:project[:store]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    pub project: String,
    pub store: Option<String>,
}

impl Scope {
    pub fn new(name: &str, project: &str, store: Option<&str>) -> Self {
        Scope {
            name: name.to_string(),
            project: project.to_string(),
            store: store.map(str::to_string),
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        let mut parts = text.split(':');
        let name = parts.next()?;
        let project = parts.next()?;
        let store = parts.next();
        let well_formed = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !project.is_empty()
            && store.is_none_or(|s| !s.is_empty())
            && parts.next().is_none();
        well_formed.then(|| Scope::new(name, project, store))
    }

    /// `manage_project:P` implies every scope of P but the API-client scopes and the subject
    /// scopes (`customer_id`, `anonymous_id`); `manage_X` implies `view_X`; a project-wide scope
    /// implies the same scope for any store of the project.
    pub fn implies(&self, wanted: &Scope) -> bool {
        if self.project != wanted.project {
            return false;
        }
        let special = matches!(
            wanted.name.as_str(),
            "manage_api_clients" | "view_api_clients" | "customer_id" | "anonymous_id"
        );
        if self.name == "manage_project" && self.store.is_none() && !special {
            return true;
        }
        let store_ok = match &self.store {
            None => true,
            Some(store) => wanted.store.as_deref() == Some(store.as_str()),
        };
        let name_ok = self.name == wanted.name
            || matches!(
                (self.name.strip_prefix("manage_"), wanted.name.strip_prefix("view_")),
                (Some(held), Some(asked)) if held == asked
            );
        store_ok && name_ok
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.store {
            Some(store) => write!(f, "{}:{}:{store}", self.name, self.project),
            None => write!(f, "{}:{}", self.name, self.project),
        }
    }
}

/// The scopes a token holds: parsed once, when the token is made or read back, and compared as
/// they are from then on. Serialized as their texts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// The scopes among `texts` (one that is not a scope is dropped: none is ever granted).
    pub fn parse_all<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> Scopes {
        Scopes(
            texts
                .into_iter()
                .filter_map(|t| Scope::parse(t.as_ref()))
                .collect(),
        )
    }

    pub fn push(&mut self, scope: Scope) {
        self.0.push(scope);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// True if one of these implies `wanted`.
    pub fn imply(&self, wanted: &Scope) -> bool {
        self.0.iter().any(|held| held.implies(wanted))
    }

    /// The space-separated form of OAuth responses.
    pub fn joined(&self) -> String {
        self.texts().join(" ")
    }

    fn texts(&self) -> Vec<String> {
        self.0.iter().map(Scope::to_string).collect()
    }
}

impl PartialEq<Vec<&str>> for Scopes {
    fn eq(&self, other: &Vec<&str>) -> bool {
        self.texts() == *other
    }
}

impl Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.texts().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Scopes::parse_all(Vec::<String>::deserialize(deserializer)?))
    }
}

/// Reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    View,
    Manage,
}

/// The scopes that admit a request to the customers endpoints of `project` (and `store`, for
/// in-store endpoints, which also accept the store-specific scope).
pub fn customer_scopes(access: Access, project: &str, store: Option<&str>) -> Vec<Scope> {
    let name = match access {
        Access::View => "view_customers",
        Access::Manage => "manage_customers",
    };
    scopes_of(name, project, store)
}

/// The scopes that admit a request to the `/me` endpoints of `project` (and `store`):
/// `view_my_profile` to read (`manage_my_profile` implies it), `manage_my_profile` to write.
pub fn my_profile_scopes(access: Access, project: &str, store: Option<&str>) -> Vec<Scope> {
    let name = match access {
        Access::View => "view_my_profile",
        Access::Manage => "manage_my_profile",
    };
    scopes_of(name, project, store)
}

/// The scopes that admit a business-unit request (`view_business_units`, which
/// `manage_business_units` implies, or `manage_business_units`): the project's, or on an
/// in-store path the store's too.
pub fn business_unit_scopes(access: Access, project: &str, store: Option<&str>) -> Vec<Scope> {
    let name = match access {
        Access::View => "view_business_units",
        Access::Manage => "manage_business_units",
    };
    scopes_of(name, project, store)
}

/// Scope `name` of the project, and of the store on an in-store path.
fn scopes_of(name: &str, project: &str, store: Option<&str>) -> Vec<Scope> {
    let mut scopes = vec![Scope::new(name, project, None)];
    if let Some(store) = store {
        scopes.push(Scope::new(name, project, Some(store)));
    }
    scopes
}

/// Where a grant may write customers: anywhere in the project (a project-wide
/// `manage_customers`), or only in the stores it holds `manage_customers:{pk}:{store}` for.
///
/// A store-limited grant reads what its store sees (the store's customers and the global
/// ones), but writes only customers of its stores, and sets store lists only within them: it
/// may not change a global customer (or mint its tokens), make a customer global, or add or
/// remove a store it holds no scope for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StoreReach {
    Project,
    Stores(Vec<String>),
}

impl StoreReach {
    fn refuse(&self, message: String) -> ApiError {
        let stores = match self {
            StoreReach::Project => String::new(),
            StoreReach::Stores(stores) => stores.join(", "),
        };
        ApiError::OutsideStore {
            message: format!(
                "This token may only write customers of the stores {stores}: {message}"
            ),
        }
    }

    fn holds(&self, store: &str) -> bool {
        match self {
            StoreReach::Project => true,
            StoreReach::Stores(stores) => stores.iter().any(|s| s == store),
        }
    }

    /// A new customer with these stores.
    pub fn check_create(&self, stores: &[&str]) -> Result<(), ApiError> {
        self.check_store_list(&[], stores)
    }

    /// A write to a customer with stores `before`, which leaves it with `after`.
    pub fn check_write(&self, before: &[&str], after: &[&str]) -> Result<(), ApiError> {
        if *self == StoreReach::Project {
            return Ok(());
        }
        if before.is_empty() {
            return Err(self.refuse("the customer belongs to no store (a global customer).".into()));
        }
        if !before.iter().any(|s| self.holds(s)) {
            return Err(self.refuse(format!(
                "the customer belongs to the stores {}.",
                before.join(", ")
            )));
        }
        self.check_store_list(before, after)
    }

    fn check_store_list(&self, before: &[&str], after: &[&str]) -> Result<(), ApiError> {
        if *self == StoreReach::Project {
            return Ok(());
        }
        if after.is_empty() {
            return Err(self.refuse(
                "a customer without stores (a global customer) may not be made here.".into(),
            ));
        }
        let added = after.iter().filter(|s| !before.contains(s));
        let removed = before.iter().filter(|s| !after.contains(s));
        match added.chain(removed).find(|s| !self.holds(s)) {
            Some(store) => Err(self.refuse(format!(
                "store '{store}' is not one of them, so it cannot be added or removed."
            ))),
            None => Ok(()),
        }
    }
}

/// What an access token stands for; stored in KV under the SHA-256 of the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessGrant {
    pub client_id: String,
    pub project_key: String,
    pub scopes: Scopes,
    pub expires_at_ms: i64,
    #[serde(default)]
    pub issued_at_ms: i64,
    /// The customer a password-flow token was issued for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The anonymous session of an anonymous token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
}

impl AccessGrant {
    /// Fails with 401 `invalid_token` once the grant has expired (KV's TTL only collects it).
    pub fn check_live(self, now_ms: i64) -> Result<Self, ApiError> {
        if now_ms < self.expires_at_ms {
            Ok(self)
        } else {
            Err(invalid_token())
        }
    }

    /// Where this grant may write the customers of `project` (see [`StoreReach`]).
    pub fn customer_write_reach(&self, project: &str) -> StoreReach {
        self.write_reach("manage_customers", project)
    }

    /// Where this grant may sign up customers through `/me/signup`: anywhere with a
    /// project-wide `manage_my_profile`, else in the stores of its store-scoped ones.
    pub fn sign_up_reach(&self, project: &str) -> StoreReach {
        self.write_reach("manage_my_profile", project)
    }

    /// The project if the grant holds scope `name` project-wide, else the stores it holds it for.
    fn write_reach(&self, name: &str, project: &str) -> StoreReach {
        let everywhere = Scope::new(name, project, None);
        if self.scopes.imply(&everywhere) {
            return StoreReach::Project;
        }
        let mut stores: Vec<String> = self
            .scopes
            .iter()
            .filter(|h| h.project == project && h.name == name)
            .filter_map(|h| h.store.clone())
            .collect();
        stores.sort();
        stores.dedup();
        StoreReach::Stores(stores)
    }

    /// Passes if one held scope implies one of `required`; else 403 naming what is missing.
    pub fn authorize(&self, required: &[Scope]) -> Result<(), ApiError> {
        if required.iter().any(|r| self.scopes.imply(r)) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope {
                required: required.iter().map(Scope::to_string).collect(),
            })
        }
    }
}

pub fn invalid_token() -> ApiError {
    ApiError::InvalidToken {
        message: "invalid_token".into(),
    }
}

pub fn missing_token() -> ApiError {
    ApiError::InvalidToken {
        message:
            "This endpoint requires an access token. You can get one from the authorization server."
                .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ApiClient {
        ApiClient {
            client_id: "c1".into(),
            secret_sha256: sha256_hex("s3cret"),
            project_key: "p".into(),
            scopes: vec!["manage_customers:p".into()],
            access_token_validity_seconds: None,
            refresh_token_validity_seconds: None,
        }
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_checked() {
        let clients = vec![client()];
        assert!(authenticate(&clients, Some(&basic("c1", "s3cret"))).is_ok());
        assert!(authenticate(&clients, Some(&basic("c1", "wrong"))).is_err());
        assert!(authenticate(&clients, Some(&basic("c2", "s3cret"))).is_err());
        assert!(authenticate(&clients, Some("Basic !!!")).is_err());
        assert!(authenticate(&clients, Some("Bearer x")).is_err());
        assert!(authenticate(&clients, None).is_err());
    }

    #[test]
    fn scopes_imply_as_documented() {
        let p = |s: &str| Scope::parse(s).unwrap();
        assert!(p("manage_project:p").implies(&p("view_customers:p")));
        assert!(p("manage_project:p").implies(&p("manage_customers:p:s1")));
        assert!(p("manage_project:p").implies(&p("create_anonymous_token:p")));
        assert!(!p("manage_project:p").implies(&p("manage_api_clients:p")));
        assert!(!p("manage_project:p").implies(&p("customer_id:p")));
        assert!(p("manage_api_clients:p").implies(&p("view_api_clients:p")));
        assert!(!p("manage_project:p").implies(&p("view_customers:q")));
        assert!(p("manage_customers:p").implies(&p("view_customers:p")));
        assert!(p("manage_customers:p").implies(&p("view_customers:p:s1")));
        assert!(!p("view_customers:p").implies(&p("manage_customers:p")));
        assert!(p("manage_customers:p:s1").implies(&p("view_customers:p:s1")));
        assert!(!p("manage_customers:p:s1").implies(&p("view_customers:p:s2")));
        assert!(!p("manage_customers:p:s1").implies(&p("view_customers:p")));
        assert!(Scope::parse("nocolon").is_none());
        assert!(Scope::parse("a:b:c:d").is_none());
        assert!(Scope::parse("Manage:p").is_none());
    }

    #[test]
    fn requested_scopes_narrow_the_grant() {
        let c = client();
        assert_eq!(grant_scopes(&c, None).unwrap(), vec!["manage_customers:p"]);
        assert_eq!(
            grant_scopes(&c, Some("  ")).unwrap(),
            vec!["manage_customers:p"]
        );
        assert_eq!(
            grant_scopes(&c, Some("view_customers:p view_customers:p")).unwrap(),
            vec!["view_customers:p"]
        );
        assert!(matches!(
            grant_scopes(&c, Some("manage_project:p")),
            Err(ApiError::InvalidScope { .. })
        ));
        assert!(grant_scopes(&c, Some("view_customers:other")).is_err());
    }

    #[test]
    fn grants_authorize_by_scope_and_project() {
        let grant = AccessGrant {
            client_id: "c1".into(),
            project_key: "p".into(),
            scopes: Scopes::parse_all(["view_customers:p"]),
            expires_at_ms: 10,
            issued_at_ms: 0,
            customer_id: None,
            anonymous_id: None,
        };
        assert!(grant
            .authorize(&customer_scopes(Access::View, "p", None))
            .is_ok());
        assert!(grant
            .authorize(&customer_scopes(Access::View, "p", Some("s")))
            .is_ok());
        assert!(grant
            .authorize(&customer_scopes(Access::Manage, "p", None))
            .is_err());
        assert!(grant
            .authorize(&customer_scopes(Access::View, "q", None))
            .is_err());
        let store_only = AccessGrant {
            scopes: Scopes::parse_all(["manage_customers:p:s"]),
            ..grant.clone()
        };
        assert!(store_only
            .authorize(&customer_scopes(Access::Manage, "p", Some("s")))
            .is_ok());
        assert!(store_only
            .authorize(&customer_scopes(Access::View, "p", Some("s")))
            .is_ok());
        assert!(store_only
            .authorize(&customer_scopes(Access::Manage, "p", Some("t")))
            .is_err());
        assert!(store_only
            .authorize(&customer_scopes(Access::Manage, "p", None))
            .is_err());
    }

    #[test]
    fn expiry_is_decided_by_the_given_clock() {
        let grant = AccessGrant {
            client_id: "c".into(),
            project_key: "p".into(),
            scopes: Scopes::default(),
            expires_at_ms: 1000,
            issued_at_ms: 0,
            customer_id: None,
            anonymous_id: None,
        };
        assert!(grant.clone().check_live(999).is_ok());
        assert!(grant.check_live(1000).is_err());
    }

    #[test]
    fn store_limited_grants_write_only_their_stores() {
        let grant = |scopes: &[&str]| AccessGrant {
            client_id: "c".into(),
            project_key: "p".into(),
            scopes: Scopes::parse_all(scopes),
            expires_at_ms: 1,
            issued_at_ms: 0,
            customer_id: None,
            anonymous_id: None,
        };
        let project = grant(&["manage_project:p"]).customer_write_reach("p");
        assert_eq!(project, StoreReach::Project);
        assert!(project.check_write(&[], &["s9"]).is_ok());
        let s1 = grant(&["manage_customers:p:s1", "view_customers:p"]).customer_write_reach("p");
        assert_eq!(s1, StoreReach::Stores(vec!["s1".into()]));
        assert!(s1.check_create(&["s1"]).is_ok());
        assert!(s1.check_create(&["s1", "s2"]).is_err());
        assert!(s1.check_create(&[]).is_err());
        assert!(s1.check_write(&["s1"], &["s1"]).is_ok());
        assert!(s1.check_write(&["s1", "s2"], &["s1", "s2"]).is_ok());
        assert!(s1.check_write(&[], &[]).is_err(), "a global customer");
        assert!(s1.check_write(&[], &["s2"]).is_err());
        assert!(s1.check_write(&["s1"], &[]).is_err(), "made global");
        assert!(s1.check_write(&["s1"], &["s1", "s2"]).is_err(), "adds s2");
        assert!(
            s1.check_write(&["s1", "s2"], &["s1"]).is_err(),
            "removes s2"
        );
        assert!(s1.check_write(&["s2"], &["s2"]).is_err());
        let err = s1.check_write(&[], &[]).unwrap_err();
        assert_eq!(err.status(), 403);
    }

    #[test]
    fn client_configuration_is_validated() {
        let ok = format!(
            r#"[{{"clientId":"a","secretSha256":"{}","projectKey":"p","scopes":["manage_project:p"]}}]"#,
            sha256_hex("x")
        );
        assert_eq!(parse_clients(&ok).unwrap().len(), 1);
        let foreign_scope = ok.replace("manage_project:p", "manage_project:q");
        assert!(parse_clients(&foreign_scope).is_err());
        let bad_hash = ok.replace(&sha256_hex("x"), "abc");
        assert!(parse_clients(&bad_hash).is_err());
        assert!(parse_clients("{}").is_err());
    }

    #[test]
    fn bearer_tokens_are_extracted() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer abc ")), Some("abc"));
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(None), None);
    }
}
