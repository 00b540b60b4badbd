//! Emporix tenants and the projects they map onto. The mapping is configuration
//! (`EMPORIX_TENANTS`, a JSON object `{"tenant": {"project": "…", "doubleOptIn": false}}`);
//! a tenant that breaks Emporix's pattern, or that is not configured, is refused with the
//! Emporix 400 "tenant information … not valid".

use std::collections::BTreeMap;

use serde::Deserialize;

use super::errors::Failure;

/// How one tenant is served.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantConfig {
    /// The project whose customers the tenant's storefront sees.
    pub project: String,
    /// Sign-ups must confirm their email (`GET /signup/optin/{token}`) before they may log in.
    #[serde(default)]
    pub double_opt_in: bool,
}

/// The configured tenants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenants(BTreeMap<String, TenantConfig>);

impl Tenants {
    /// Parses `EMPORIX_TENANTS`; every key must be a valid tenant name.
    pub fn parse(config: &str) -> Result<Tenants, String> {
        let map: BTreeMap<String, TenantConfig> = serde_json::from_str(config)
            .map_err(|e| format!("EMPORIX_TENANTS is not valid: {e}"))?;
        if let Some(bad) = map.keys().find(|t| !is_valid(t)) {
            return Err(format!(
                "EMPORIX_TENANTS: '{bad}' is not a valid tenant (^[a-z][a-z0-9]+$, 3-16 characters)"
            ));
        }
        Ok(Tenants(map))
    }

    /// The configuration of `tenant`, or the Emporix 400 for an invalid or unknown tenant.
    pub fn resolve(&self, tenant: &str) -> Result<&TenantConfig, Failure> {
        if !is_valid(tenant) {
            return Err(invalid_tenant());
        }
        self.0.get(tenant).ok_or_else(invalid_tenant)
    }
}

/// Emporix's tenant pattern: `^[a-z][a-z0-9]+$`, 3 to 16 characters.
pub fn is_valid(tenant: &str) -> bool {
    let b = tenant.as_bytes();
    (3..=16).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The Emporix answer for a tenant that is not valid (or not served here).
pub fn invalid_tenant() -> Failure {
    Failure::bad_request("The tenant information provided with the request is not valid.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_follow_the_emporix_pattern() {
        for ok in ["demo", "abc", "a1b2c3", "abcdefghijklmnop"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "Demo",
            "1abc",
            "de-mo",
            "abcdefghijklmnopq",
            "dé mo",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn tenants_map_onto_projects() {
        let tenants = Tenants::parse(
            r#"{"demo":{"project":"demo"},"demooptin":{"project":"demo","doubleOptIn":true}}"#,
        )
        .unwrap();
        assert_eq!(tenants.resolve("demo").unwrap().project, "demo");
        assert!(!tenants.resolve("demo").unwrap().double_opt_in);
        assert!(tenants.resolve("demooptin").unwrap().double_opt_in);
        assert_eq!(tenants.resolve("other").unwrap_err().status(), 400);
        assert_eq!(tenants.resolve("X").unwrap_err().status(), 400);
        assert!(Tenants::parse(r#"{"A":{"project":"p"}}"#).is_err());
        assert!(Tenants::parse(r#"{"abc":{"project":"p","x":1}}"#).is_err());
        assert!(Tenants::parse("[]").is_err());
    }
}
