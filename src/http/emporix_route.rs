//! Which Emporix endpoint a path names: `/customerlogin/auth/anonymous/{login,refresh}` and
//! everything under `/customer/{tenant}/…`. These prefixes belong to the Emporix dialect, so
//! `customer` and `customerlogin` cannot be commercetools project keys here.

/// An endpoint under `/customer/{tenant}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    SignUp,
    Login,
    Logout,
    RefreshAuthToken,
    ValidateAuthToken,
    /// `GET`, `PATCH`, `DELETE /me`
    Me,
    /// `GET`, `POST /me/addresses`
    Addresses,
    /// `GET`, `PATCH`, `DELETE /me/addresses/{id}`
    Address(String),
    /// `POST`, `DELETE /me/addresses/{id}/tags`
    AddressTags(String),
    PasswordChange,
    PasswordReset,
    PasswordResetUpdate,
    EmailChange,
    EmailChangeConfirm,
    /// `GET /signup/optin/{token}`
    OptIn(String),
    /// `POST /signup/optin/refresh_token`
    OptInRefresh,
    /// Anything else under the tenant: an Emporix 404.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmporixRoute {
    /// `GET /customerlogin/auth/anonymous/login`
    AnonymousLogin,
    /// `GET /customerlogin/auth/anonymous/refresh`
    AnonymousRefresh,
    /// Anything else under `/customerlogin`.
    UnknownLogin,
    Tenant {
        tenant: String,
        endpoint: Endpoint,
    },
}

impl EmporixRoute {
    /// The methods the endpoint answers to.
    pub fn allowed_methods(&self) -> &'static [&'static str] {
        use Endpoint as E;
        let endpoint = match self {
            EmporixRoute::AnonymousLogin | EmporixRoute::AnonymousRefresh => return &["GET"],
            EmporixRoute::UnknownLogin => return &[],
            EmporixRoute::Tenant { endpoint, .. } => endpoint,
        };
        match endpoint {
            E::Logout | E::RefreshAuthToken | E::ValidateAuthToken | E::OptIn(_) => &["GET"],
            E::Me | E::Address(_) => &["GET", "PATCH", "DELETE"],
            E::Addresses => &["GET", "POST"],
            E::AddressTags(_) => &["POST", "DELETE"],
            E::Unknown => &[],
            _ => &["POST"],
        }
    }
}

/// The Emporix route of decoded path segments, or `None` for a path outside the dialect
/// (`/customer` alone, `/customer/{x}` with nothing below it).
pub fn match_segments(s: &[&str]) -> Option<EmporixRoute> {
    match s {
        ["customerlogin", "auth", "anonymous", "login"] => Some(EmporixRoute::AnonymousLogin),
        ["customerlogin", "auth", "anonymous", "refresh"] => Some(EmporixRoute::AnonymousRefresh),
        ["customerlogin", _, ..] => Some(EmporixRoute::UnknownLogin),
        ["customer", tenant, rest @ ..] if !rest.is_empty() => Some(EmporixRoute::Tenant {
            tenant: tenant.to_string(),
            endpoint: endpoint(rest),
        }),
        _ => None,
    }
}

fn endpoint(rest: &[&str]) -> Endpoint {
    use Endpoint as E;
    match rest {
        ["signup"] => E::SignUp,
        ["login"] => E::Login,
        ["logout"] => E::Logout,
        ["refreshauthtoken"] => E::RefreshAuthToken,
        ["validateauthtoken"] => E::ValidateAuthToken,
        ["me"] => E::Me,
        ["me", "addresses"] => E::Addresses,
        ["me", "addresses", id] if !id.is_empty() => E::Address(id.to_string()),
        ["me", "addresses", id, "tags"] if !id.is_empty() => E::AddressTags(id.to_string()),
        ["password", "change"] => E::PasswordChange,
        ["password", "reset"] => E::PasswordReset,
        ["password", "reset", "update"] => E::PasswordResetUpdate,
        ["me", "accounts", "internal", "email", "change"] => E::EmailChange,
        ["me", "accounts", "internal", "email", "change", "confirm"] => E::EmailChangeConfirm,
        ["signup", "optin", "refresh_token"] => E::OptInRefresh,
        ["signup", "optin", token] if !token.is_empty() => E::OptIn(token.to_string()),
        _ => E::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> Option<EmporixRoute> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match_segments(&segments)
    }

    fn tenant(endpoint: Endpoint) -> Option<EmporixRoute> {
        Some(EmporixRoute::Tenant {
            tenant: "demo".into(),
            endpoint,
        })
    }

    #[test]
    fn matches_every_emporix_path() {
        assert_eq!(
            route("/customerlogin/auth/anonymous/login"),
            Some(EmporixRoute::AnonymousLogin)
        );
        assert_eq!(route("/customer/demo/signup"), tenant(Endpoint::SignUp));
        assert_eq!(route("/customer/demo/me"), tenant(Endpoint::Me));
        assert_eq!(
            route("/customer/demo/me/addresses/a1/tags"),
            tenant(Endpoint::AddressTags("a1".into()))
        );
        assert_eq!(
            route("/customer/demo/me/accounts/internal/email/change/confirm"),
            tenant(Endpoint::EmailChangeConfirm)
        );
        assert_eq!(
            route("/customer/demo/signup/optin/refresh_token"),
            tenant(Endpoint::OptInRefresh)
        );
        assert_eq!(
            route("/customer/demo/signup/optin/t1"),
            tenant(Endpoint::OptIn("t1".into()))
        );
        assert_eq!(route("/customer/demo/nothing"), tenant(Endpoint::Unknown));
        assert_eq!(
            route("/customer/demo/me/addresses//tags"),
            tenant(Endpoint::Unknown)
        );
        assert_eq!(route("/customerlogin/x"), Some(EmporixRoute::UnknownLogin));
    }

    #[test]
    fn leaves_other_paths_alone() {
        assert_eq!(route("/customer"), None);
        assert_eq!(route("/customer/customers"), None);
        assert_eq!(route("/customerlogin"), None);
        assert_eq!(route("/demo/customers"), None);
    }

    #[test]
    fn names_the_methods_of_each_endpoint() {
        assert_eq!(
            tenant(Endpoint::Me).unwrap().allowed_methods(),
            &["GET", "PATCH", "DELETE"]
        );
        assert_eq!(
            tenant(Endpoint::Logout).unwrap().allowed_methods(),
            &["GET"]
        );
        assert_eq!(
            tenant(Endpoint::PasswordReset).unwrap().allowed_methods(),
            &["POST"]
        );
    }
}
