//! Which endpoint a request path names. Paths such as `customers/key={key}` are not
//! whole-segment parameters, so this is a small matcher over path segments.

use percent_encoding::percent_decode_str;

use super::emporix_route::{self, EmporixRoute};

/// A customer addressed by id or by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id(String),
    Key(String),
}

/// The sign-in and credential endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `POST …/login`
    Login,
    /// `POST …/customers/password`
    ChangePassword,
    /// `POST …/customers/password-token`
    PasswordToken,
    /// `GET …/customers/password-token={token}`
    ByPasswordToken(String),
    /// `POST …/customers/password/reset`
    ResetPassword,
    /// `POST …/customers/email-token`
    EmailToken,
    /// `GET …/customers/email-token={token}`
    ByEmailToken(String),
    /// `POST …/customers/email/confirm`
    ConfirmEmail,
}

/// The storefront's own account (`…/me…`): the customer of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MyEndpoint {
    /// `GET`, `POST` (update), `DELETE …/me`
    Profile,
    /// `POST …/me/signup`
    SignUp,
    /// `POST …/me/login`
    Login,
    /// `POST …/me/password`
    ChangePassword,
    /// `POST …/me/password/reset`
    ResetPassword,
    /// `POST …/me/email/confirm`
    ConfirmEmail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/oauth/token`: client credentials and refresh token grants
    Token,
    /// `/oauth/token/revoke`
    Revoke,
    /// `/oauth/introspect`
    Introspect,
    /// `/oauth/{projectKey}[/in-store/key={storeKey}]/customers/token`: the password flow
    CustomerToken {
        project: String,
        store: Option<String>,
    },
    /// `/oauth/{projectKey}/anonymous/token`
    AnonymousToken { project: String },
    /// `/{projectKey}/api-clients`
    ApiClients { project: String },
    /// `/{projectKey}/api-clients/{id}`
    ApiClient { project: String, id: String },
    /// `/{projectKey}[/in-store/key={storeKey}]/customers`
    Customers {
        project: String,
        store: Option<String>,
    },
    /// `/{projectKey}[/in-store/key={storeKey}]/customers/{id}` or `…/customers/key={key}`
    Customer {
        project: String,
        store: Option<String>,
        target: Target,
    },
    /// Sign-in, passwords and tokens, global or in-store.
    Credentials {
        project: String,
        store: Option<String>,
        endpoint: Credential,
    },
    /// `/{projectKey}[/in-store/key={storeKey}]/me…`
    Me {
        project: String,
        store: Option<String>,
        endpoint: MyEndpoint,
    },
    /// `/{projectKey}`: the project resource.
    Project { project: String },
    /// `/{projectKey}/customers/search`.
    CustomerSearch { project: String },
    /// `/{projectKey}/customers/search/indexing-status`.
    CustomerSearchStatus { project: String },
    /// `/{projectKey}/business-units/search`.
    BusinessUnitSearch { project: String },
    /// `/{projectKey}/business-units/search/indexing-status`.
    BusinessUnitSearchStatus { project: String },
    /// `/{projectKey}/mcp`: the MCP endpoint (it answers every method itself).
    Mcp { project: String },
    /// `/.well-known/oauth-protected-resource[/{projectKey}/mcp]`: RFC 9728 metadata.
    ProtectedResource { project: Option<String> },
    /// `/.well-known/oauth-authorization-server`: RFC 8414 metadata.
    AuthorizationServer,
    /// `/{projectKey}/messages`
    Messages { project: String },
    /// `/{projectKey}/messages/{id}`
    Message { project: String, id: String },
    /// `/{projectKey}/{segment}` of a resource with the shared shape (`customer-groups`, …).
    Resources { project: String, segment: String },
    /// `/{projectKey}/{segment}/{id}` or `…/key={key}`.
    Resource {
        project: String,
        segment: String,
        target: Target,
    },
    /// `/{projectKey}/business-units/{id}/associates/{customerId}` or `…/key={key}/…`.
    BusinessUnitAssociate {
        project: String,
        target: Target,
        customer: String,
    },
    /// `/{projectKey}/in-store/key={storeKey}/business-units[/{id} or /key={key}]`.
    InStoreUnits {
        project: String,
        store: String,
        target: Option<Target>,
    },
    /// `/{projectKey}/in-store/key={storeKey}/business-units/{id}/associates/{customerId}` or
    /// `…/key={key}/…`.
    InStoreUnitAssociate {
        project: String,
        store: String,
        target: Target,
        customer: String,
    },
    /// `/{projectKey}/me/business-units[/{id} or /key={key}]`: the token's customer's units.
    MyUnits {
        project: String,
        target: Option<Target>,
    },
    /// `/{projectKey}/as-associate/{associateId}/business-units[/{id} or /key={key}]`.
    AsAssociate {
        project: String,
        associate: String,
        target: Option<Target>,
    },
    /// `/{projectKey}/in-business-unit/key={key}/me/customers`: sign up an associate.
    InUnitSignUp { project: String, unit: String },
    /// `/customer/{tenant}/…` and `/customerlogin/…`: the Emporix storefront dialect.
    Emporix(EmporixRoute),
    /// `/_rebalance`: one call of the re-balancing step (deployment-wide, its own secret;
    /// docs/scale.md).
    Rebalance,
}

impl Route {
    /// The methods the endpoint answers to (commercetools' set; see the handlers for which
    /// of them are built yet).
    pub fn allowed_methods(&self) -> &'static [&'static str] {
        match self {
            Route::Token
            | Route::Revoke
            | Route::Introspect
            | Route::CustomerToken { .. }
            | Route::AnonymousToken { .. }
            | Route::InUnitSignUp { .. }
            | Route::Rebalance
            | Route::Mcp { .. } => &["POST"],
            Route::ProtectedResource { .. } | Route::AuthorizationServer => &["GET", "HEAD"],
            Route::ApiClients { .. } | Route::Project { .. } => &["GET", "HEAD", "POST"],
            Route::CustomerSearch { .. } | Route::BusinessUnitSearch { .. } => &["POST", "HEAD"],
            Route::CustomerSearchStatus { .. } | Route::BusinessUnitSearchStatus { .. } => {
                &["GET", "HEAD"]
            }
            Route::ApiClient { .. } => &["GET", "HEAD", "DELETE"],
            Route::Messages { .. } | Route::Message { .. } => &["GET", "HEAD"],
            Route::Customers { .. }
            | Route::Resources { .. }
            | Route::AsAssociate { .. }
            | Route::MyUnits { .. } => &["GET", "HEAD", "POST"],
            Route::InStoreUnits { target: None, .. } => &["GET", "HEAD", "POST"],
            Route::Customer { .. } | Route::Resource { .. } | Route::InStoreUnits { .. } => {
                &["GET", "HEAD", "POST", "DELETE"]
            }
            Route::Credentials {
                endpoint: Credential::ByPasswordToken(_) | Credential::ByEmailToken(_),
                ..
            }
            | Route::BusinessUnitAssociate { .. }
            | Route::InStoreUnitAssociate { .. } => &["GET", "HEAD"],
            Route::Credentials { .. } => &["POST"],
            Route::Me {
                endpoint: MyEndpoint::Profile,
                ..
            } => &["GET", "POST", "DELETE"],
            Route::Me { .. } => &["POST"],
            Route::Emporix(route) => route.allowed_methods(),
        }
    }
}

/// Matches a URL path (still percent-encoded); `None` means no such endpoint.
pub fn match_path(path: &str) -> Option<Route> {
    let mut segments = Vec::new();
    for raw in path.trim_start_matches('/').split('/') {
        segments.push(percent_decode_str(raw).decode_utf8().ok()?.into_owned());
    }
    // One trailing slash is tolerated.
    if segments.len() > 1 && segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some(route) = emporix_route::match_segments(&s) {
        return Some(Route::Emporix(route));
    }
    if let Some(route) = well_known(&s) {
        return Some(route);
    }
    match s.as_slice() {
        ["oauth", rest @ ..] => oauth(rest),
        ["_rebalance"] => Some(Route::Rebalance),
        [project] if !project.is_empty() && !path.starts_with("//") => Some(Route::Project {
            project: project.to_string(),
        }),
        [project, "customers", "search"] if !project.is_empty() => Some(Route::CustomerSearch {
            project: project.to_string(),
        }),
        [project, "customers", "search", "indexing-status"] if !project.is_empty() => {
            Some(Route::CustomerSearchStatus {
                project: project.to_string(),
            })
        }
        [project, "business-units", "search"] if !project.is_empty() => {
            Some(Route::BusinessUnitSearch {
                project: project.to_string(),
            })
        }
        [project, "business-units", "search", "indexing-status"] if !project.is_empty() => {
            Some(Route::BusinessUnitSearchStatus {
                project: project.to_string(),
            })
        }
        [project, "mcp"] if !project.is_empty() => Some(Route::Mcp {
            project: project.to_string(),
        }),
        [project, "api-clients"] if !project.is_empty() => Some(Route::ApiClients {
            project: project.to_string(),
        }),
        [project, "api-clients", id] if !project.is_empty() && !id.is_empty() => {
            Some(Route::ApiClient {
                project: project.to_string(),
                id: id.to_string(),
            })
        }
        [project, "messages"] if !project.is_empty() => Some(Route::Messages {
            project: project.to_string(),
        }),
        [project, "messages", id] if !project.is_empty() && !id.is_empty() => {
            Some(Route::Message {
                project: project.to_string(),
                id: id.to_string(),
            })
        }
        [project, "as-associate", associate, "business-units", rest @ ..]
            if !project.is_empty() && !associate.is_empty() =>
        {
            let target = match rest {
                [] => None,
                [target] => Some(target_of(target)?),
                _ => return None,
            };
            Some(Route::AsAssociate {
                project: project.to_string(),
                associate: associate.to_string(),
                target,
            })
        }
        [project, "me", "business-units", rest @ ..] if !project.is_empty() => {
            let target = match rest {
                [] => None,
                [target] => Some(target_of(target)?),
                _ => return None,
            };
            Some(Route::MyUnits {
                project: project.to_string(),
                target,
            })
        }
        [project, "in-business-unit", unit, "me", "customers"] if !project.is_empty() => {
            let unit = unit.strip_prefix("key=").filter(|k| !k.is_empty())?;
            Some(Route::InUnitSignUp {
                project: project.to_string(),
                unit: unit.to_string(),
            })
        }
        [project, "in-store", store, rest @ ..] => {
            let store = store.strip_prefix("key=").filter(|k| !k.is_empty())?;
            customers(project, Some(store), rest).or_else(|| in_store_units(project, store, rest))
        }
        [project, rest @ ..] => customers(project, None, rest).or_else(|| resources(project, rest)),
        [] => None,
    }
}

/// The OAuth endpoints below `/oauth/` (`rest` follows `oauth`).
fn oauth(rest: &[&str]) -> Option<Route> {
    match rest {
        ["token"] => Some(Route::Token),
        ["token", "revoke"] => Some(Route::Revoke),
        ["introspect"] => Some(Route::Introspect),
        [project, "customers", "token"] if !project.is_empty() => Some(Route::CustomerToken {
            project: project.to_string(),
            store: None,
        }),
        [project, "in-store", store, "customers", "token"] if !project.is_empty() => {
            let store = store.strip_prefix("key=").filter(|k| !k.is_empty())?;
            Some(Route::CustomerToken {
                project: project.to_string(),
                store: Some(store.to_string()),
            })
        }
        [project, "anonymous", "token"] if !project.is_empty() => Some(Route::AnonymousToken {
            project: project.to_string(),
        }),
        _ => None,
    }
}

/// The metadata documents below `/.well-known/`.
fn well_known(segments: &[&str]) -> Option<Route> {
    match segments {
        [".well-known", "oauth-protected-resource"] => {
            Some(Route::ProtectedResource { project: None })
        }
        [".well-known", "oauth-protected-resource", project, "mcp"] if !project.is_empty() => {
            Some(Route::ProtectedResource {
                project: Some(project.to_string()),
            })
        }
        [".well-known", "oauth-authorization-server"] => Some(Route::AuthorizationServer),
        _ => None,
    }
}

/// A segment that may name a resource: lower-case letters and `-` (`customer-groups`).
fn is_segment(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// `/{segment}` and `/{segment}/{id}` or `…/key={key}` of a resource with the shared shape
/// (which segments name one is the handlers' table).
fn resources(project: &str, rest: &[&str]) -> Option<Route> {
    if project.is_empty() {
        return None;
    }
    let (project, segment) = match rest {
        [segment, ..] if is_segment(segment) => (project.to_string(), segment.to_string()),
        _ => return None,
    };
    match rest {
        [_] => Some(Route::Resources { project, segment }),
        [_, target] => Some(Route::Resource {
            project,
            segment,
            target: target_of(target)?,
        }),
        ["business-units", target, "associates", customer] if !customer.is_empty() => {
            Some(Route::BusinessUnitAssociate {
                project,
                target: target_of(target)?,
                customer: customer.to_string(),
            })
        }
        _ => None,
    }
}

/// `in-store/key={storeKey}/business-units[/{id} or /key={key}[/associates/{customerId}]]`.
fn in_store_units(project: &str, store: &str, rest: &[&str]) -> Option<Route> {
    let target = match rest {
        ["business-units"] => None,
        ["business-units", target] => Some(target_of(target)?),
        ["business-units", target, "associates", customer]
            if !customer.is_empty() && !project.is_empty() =>
        {
            return Some(Route::InStoreUnitAssociate {
                project: project.to_string(),
                store: store.to_string(),
                target: target_of(target)?,
                customer: customer.to_string(),
            });
        }
        _ => return None,
    };
    (!project.is_empty()).then(|| Route::InStoreUnits {
        project: project.to_string(),
        store: store.to_string(),
        target,
    })
}

/// `{id}` or `key={key}`.
fn target_of(segment: &str) -> Option<Target> {
    match segment.strip_prefix("key=") {
        Some("") => None,
        Some(key) => Some(Target::Key(key.to_string())),
        None if segment.is_empty() => None,
        None => Some(Target::Id(segment.to_string())),
    }
}

fn customers(project: &str, store: Option<&str>, rest: &[&str]) -> Option<Route> {
    if project.is_empty() {
        return None;
    }
    let project = project.to_string();
    let store = store.map(str::to_string);
    if let Some(endpoint) = my_endpoint(rest) {
        return Some(Route::Me {
            project,
            store,
            endpoint,
        });
    }
    let credential = match rest {
        ["login"] => Some(Credential::Login),
        ["customers", "password"] => Some(Credential::ChangePassword),
        ["customers", "password-token"] => Some(Credential::PasswordToken),
        ["customers", "password", "reset"] => Some(Credential::ResetPassword),
        ["customers", "email-token"] => Some(Credential::EmailToken),
        ["customers", "email", "confirm"] => Some(Credential::ConfirmEmail),
        ["customers", target] => {
            if let Some(token) = target.strip_prefix("password-token=") {
                Some(Credential::ByPasswordToken(token.to_string()))
            } else {
                target
                    .strip_prefix("email-token=")
                    .map(|token| Credential::ByEmailToken(token.to_string()))
            }
        }
        _ => None,
    };
    if let Some(endpoint) = credential {
        return Some(Route::Credentials {
            project,
            store,
            endpoint,
        });
    }
    match rest {
        ["customers"] => Some(Route::Customers { project, store }),
        ["customers", target] => Some(Route::Customer {
            project,
            store,
            target: target_of(target)?,
        }),
        _ => None,
    }
}

fn my_endpoint(rest: &[&str]) -> Option<MyEndpoint> {
    Some(match rest {
        ["me"] => MyEndpoint::Profile,
        ["me", "signup"] => MyEndpoint::SignUp,
        ["me", "login"] => MyEndpoint::Login,
        ["me", "password"] => MyEndpoint::ChangePassword,
        ["me", "password", "reset"] => MyEndpoint::ResetPassword,
        ["me", "email", "confirm"] => MyEndpoint::ConfirmEmail,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_every_customer_path() {
        assert_eq!(match_path("/oauth/token"), Some(Route::Token));
        assert_eq!(
            match_path("/p/customers"),
            Some(Route::Customers {
                project: "p".into(),
                store: None
            })
        );
        assert_eq!(
            match_path("/p/customers/abc"),
            Some(Route::Customer {
                project: "p".into(),
                store: None,
                target: Target::Id("abc".into())
            })
        );
        assert_eq!(
            match_path("/p/customers/key=k-1"),
            Some(Route::Customer {
                project: "p".into(),
                store: None,
                target: Target::Key("k-1".into())
            })
        );
        assert_eq!(
            match_path("/p/in-store/key=s1/customers/key%3Dk-1"),
            Some(Route::Customer {
                project: "p".into(),
                store: Some("s1".into()),
                target: Target::Key("k-1".into())
            })
        );
        assert_eq!(
            match_path("/p/in-store/key=s1/customers/"),
            Some(Route::Customers {
                project: "p".into(),
                store: Some("s1".into())
            })
        );
    }

    #[test]
    fn matches_the_authorization_server_and_api_clients() {
        assert_eq!(match_path("/oauth/token/revoke"), Some(Route::Revoke));
        assert_eq!(match_path("/oauth/introspect"), Some(Route::Introspect));
        assert_eq!(
            match_path("/oauth/p/customers/token"),
            Some(Route::CustomerToken {
                project: "p".into(),
                store: None
            })
        );
        assert_eq!(
            match_path("/oauth/p/in-store/key=s/customers/token"),
            Some(Route::CustomerToken {
                project: "p".into(),
                store: Some("s".into())
            })
        );
        assert_eq!(
            match_path("/oauth/p/anonymous/token"),
            Some(Route::AnonymousToken {
                project: "p".into()
            })
        );
        assert_eq!(
            match_path("/p/api-clients"),
            Some(Route::ApiClients {
                project: "p".into()
            })
        );
        assert_eq!(
            match_path("/p/api-clients/abc"),
            Some(Route::ApiClient {
                project: "p".into(),
                id: "abc".into()
            })
        );
        assert_eq!(match_path("/oauth/p/in-store/s/customers/token"), None);
        assert_eq!(match_path("/oauth/p/customers"), None);
    }

    #[test]
    fn matches_the_credential_endpoints() {
        let global = |endpoint| {
            Some(Route::Credentials {
                project: "p".into(),
                store: None,
                endpoint,
            })
        };
        assert_eq!(match_path("/p/login"), global(Credential::Login));
        assert_eq!(
            match_path("/p/customers/password"),
            global(Credential::ChangePassword)
        );
        assert_eq!(
            match_path("/p/customers/password-token"),
            global(Credential::PasswordToken)
        );
        assert_eq!(
            match_path("/p/customers/password-token=abc"),
            global(Credential::ByPasswordToken("abc".into()))
        );
        assert_eq!(
            match_path("/p/customers/password/reset"),
            global(Credential::ResetPassword)
        );
        assert_eq!(
            match_path("/p/customers/email-token"),
            global(Credential::EmailToken)
        );
        assert_eq!(
            match_path("/p/customers/email-token=t"),
            global(Credential::ByEmailToken("t".into()))
        );
        assert_eq!(
            match_path("/p/customers/email/confirm"),
            global(Credential::ConfirmEmail)
        );
        assert_eq!(
            match_path("/p/in-store/key=s/login"),
            Some(Route::Credentials {
                project: "p".into(),
                store: Some("s".into()),
                endpoint: Credential::Login
            })
        );
        assert_eq!(match_path("/p/customers/password/other"), None);
    }

    #[test]
    fn matches_the_me_endpoints() {
        let me = |store: Option<&str>, endpoint| {
            Some(Route::Me {
                project: "p".into(),
                store: store.map(str::to_string),
                endpoint,
            })
        };
        assert_eq!(match_path("/p/me"), me(None, MyEndpoint::Profile));
        assert_eq!(match_path("/p/me/"), me(None, MyEndpoint::Profile));
        assert_eq!(match_path("/p/me/signup"), me(None, MyEndpoint::SignUp));
        assert_eq!(
            match_path("/p/in-business-unit/key=bu/me/customers"),
            Some(Route::InUnitSignUp {
                project: "p".into(),
                unit: "bu".into()
            })
        );
        assert_eq!(match_path("/p/in-business-unit/bu/me/customers"), None);
        assert_eq!(match_path("/p/me/login"), me(None, MyEndpoint::Login));
        assert_eq!(
            match_path("/p/me/password"),
            me(None, MyEndpoint::ChangePassword)
        );
        assert_eq!(
            match_path("/p/me/password/reset"),
            me(None, MyEndpoint::ResetPassword)
        );
        assert_eq!(
            match_path("/p/in-store/key=s1/me/email/confirm"),
            me(Some("s1"), MyEndpoint::ConfirmEmail)
        );
        assert_eq!(
            match_path("/p/in-store/key=s1/me"),
            me(Some("s1"), MyEndpoint::Profile)
        );
        assert_eq!(match_path("/p/in-store/key=s1/me/other"), None);
        assert_eq!(match_path("/p/in-store/key=s1/me/email"), None);
        assert_eq!(match_path("/p/in-store/key=s1/me/x/y"), None);
    }

    #[test]
    fn resources_with_the_shared_shape_route_by_segment() {
        assert_eq!(
            match_path("/p/customer-groups"),
            Some(Route::Resources {
                project: "p".into(),
                segment: "customer-groups".into()
            })
        );
        assert_eq!(
            match_path("/p/types/key=t1"),
            Some(Route::Resource {
                project: "p".into(),
                segment: "types".into(),
                target: Target::Key("t1".into())
            })
        );
        assert_eq!(match_path("/p/types/key="), None);
        assert_eq!(
            match_path("/p/business-units/key=b1/associates/c1"),
            Some(Route::BusinessUnitAssociate {
                project: "p".into(),
                target: Target::Key("b1".into()),
                customer: "c1".into()
            })
        );
        assert_eq!(match_path("/p/types/t1/associates/c1"), None);
        assert_eq!(match_path("/p/in-store/key=s/customer-groups"), None);
    }

    #[test]
    fn matches_the_as_associate_endpoints() {
        let route = |target| {
            Some(Route::AsAssociate {
                project: "p".into(),
                associate: "c1".into(),
                target,
            })
        };
        assert_eq!(match_path("/p/as-associate/c1/business-units"), route(None));
        assert_eq!(
            match_path("/p/as-associate/c1/business-units/key=b"),
            route(Some(Target::Key("b".into())))
        );
        assert_eq!(
            match_path("/p/as-associate/c1/business-units/u1"),
            route(Some(Target::Id("u1".into())))
        );
        assert_eq!(match_path("/p/as-associate/c1/business-units/u1/x"), None);
        assert_eq!(match_path("/p/as-associate//business-units"), None);
        assert_eq!(
            match_path("/p/me/business-units/key=b"),
            Some(Route::MyUnits {
                project: "p".into(),
                target: Some(Target::Key("b".into()))
            })
        );
        assert_eq!(match_path("/p/me/business-units/b/c"), None);
    }

    #[test]
    fn matches_the_in_store_units() {
        let route = |target| {
            Some(Route::InStoreUnits {
                project: "p".into(),
                store: "s".into(),
                target,
            })
        };
        assert_eq!(match_path("/p/in-store/key=s/business-units"), route(None));
        assert_eq!(
            match_path("/p/in-store/key=s/business-units/key=b"),
            route(Some(Target::Key("b".into())))
        );
        assert_eq!(match_path("/p/in-store/key=s/business-units/b/x"), None);
        assert_eq!(
            route(None).unwrap().allowed_methods(),
            &["GET", "HEAD", "POST"]
        );
        let associate = match_path("/p/in-store/key=s/business-units/key=b/associates/c1");
        assert_eq!(
            associate,
            Some(Route::InStoreUnitAssociate {
                project: "p".into(),
                store: "s".into(),
                target: Target::Key("b".into()),
                customer: "c1".into(),
            })
        );
        assert_eq!(associate.unwrap().allowed_methods(), &["GET", "HEAD"]);
        assert_eq!(
            match_path("/p/in-store/key=s/business-units/b/associates/"),
            None
        );
    }

    #[test]
    fn matches_the_messages_endpoints() {
        assert_eq!(
            match_path("/p/messages"),
            Some(Route::Messages {
                project: "p".into()
            })
        );
        let message = match_path("/p/messages/m1").unwrap();
        assert_eq!(
            message,
            Route::Message {
                project: "p".into(),
                id: "m1".into()
            }
        );
        assert_eq!(message.allowed_methods(), &["GET", "HEAD"]);
        assert_eq!(match_path("/p/messages/m1/x"), None);
        assert_eq!(match_path("/p/in-store/key=s/messages"), None);
    }

    #[test]
    fn matches_the_project_and_search() {
        let p = || "p".to_string();
        assert_eq!(match_path("/p"), Some(Route::Project { project: p() }));
        assert_eq!(
            match_path("/p/customers/search"),
            Some(Route::CustomerSearch { project: p() })
        );
        assert_eq!(
            match_path("/p/customers/search/indexing-status"),
            Some(Route::CustomerSearchStatus { project: p() })
        );
        assert_eq!(
            match_path("/p/business-units/search"),
            Some(Route::BusinessUnitSearch { project: p() })
        );
        assert_eq!(
            match_path("/p/business-units/search/indexing-status"),
            Some(Route::BusinessUnitSearchStatus { project: p() })
        );
        assert_eq!(
            match_path("/p/in-store/key=s/customers/search"),
            Some(Route::Customer {
                project: p(),
                store: Some("s".into()),
                target: Target::Id("search".into())
            })
        );
    }

    #[test]
    fn rejects_everything_else() {
        for path in [
            "/",
            "",
            "/p/Carts",
            "/p/carts/a/b",
            "/p/customers/a/b",
            "/p/customers/key=",
            "/p/in-store/s1/customers",
            "/p/in-store/key=/customers",
            "/oauth/nothing",
            "/p/customers/%FF",
            "//customers",
        ] {
            assert_eq!(match_path(path), None, "{path}");
        }
    }
}
