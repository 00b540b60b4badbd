//! Emporix scopes as views of the scopes a token holds: an Emporix token is one of ours
//! (anonymous session or customer), and its Emporix scopes follow from its `/me` scopes:
//! `view_my_profile` (which `manage_my_profile` implies) gives `customer.customer_read_own`
//! and `customer.customerprofile_view`; `manage_my_profile` gives
//! `customer.customer_manage_own` and `customer.customerprofile_edit`.

use super::errors::Failure;
use crate::domain::auth::{AccessGrant, Scope};

/// The Emporix scopes endpoints ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmporixScope {
    CustomerReadOwn,
    CustomerManageOwn,
    ProfileView,
    ProfileEdit,
}

impl EmporixScope {
    pub const ALL: [EmporixScope; 4] = [
        EmporixScope::CustomerReadOwn,
        EmporixScope::ProfileView,
        EmporixScope::CustomerManageOwn,
        EmporixScope::ProfileEdit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EmporixScope::CustomerReadOwn => "customer.customer_read_own",
            EmporixScope::CustomerManageOwn => "customer.customer_manage_own",
            EmporixScope::ProfileView => "customer.customerprofile_view",
            EmporixScope::ProfileEdit => "customer.customerprofile_edit",
        }
    }

    /// The scope of ours that stands for it in `project`.
    fn ours(self, project: &str) -> Scope {
        let name = match self {
            EmporixScope::CustomerReadOwn | EmporixScope::ProfileView => "view_my_profile",
            EmporixScope::CustomerManageOwn | EmporixScope::ProfileEdit => "manage_my_profile",
        };
        Scope::new(name, project, None)
    }

    /// Whether `grant` holds it.
    pub fn held_by(self, grant: &AccessGrant, project: &str) -> bool {
        grant.scopes.imply(&self.ours(project))
    }

    /// 403 (Emporix `Forbidden`, naming the scope) unless `grant` holds it.
    pub fn require(self, grant: &AccessGrant, project: &str) -> Result<(), Failure> {
        if self.held_by(grant, project) {
            Ok(())
        } else {
            Err(Failure::missing_scope(self.name()))
        }
    }
}

/// The `scope` text of an Emporix token: `tenant={tenant}` and the Emporix scopes it holds
/// (a customer's token only: an anonymous token shows only its tenant, as Emporix's do).
pub fn text(grant: &AccessGrant, tenant: &str, project: &str) -> String {
    let mut parts = vec![format!("tenant={tenant}")];
    if grant.customer_id.is_some() {
        parts.extend(
            EmporixScope::ALL
                .iter()
                .filter(|s| s.held_by(grant, project))
                .map(|s| s.name().to_string()),
        );
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::auth::Scopes;

    fn grant(scopes: &[&str], customer: bool) -> AccessGrant {
        AccessGrant {
            client_id: "c".into(),
            project_key: "p".into(),
            scopes: Scopes::parse_all(scopes),
            expires_at_ms: 1,
            issued_at_ms: 0,
            customer_id: customer.then(|| "id".into()),
            anonymous_id: None,
        }
    }

    #[test]
    fn manage_my_profile_holds_every_emporix_scope() {
        let g = grant(&["manage_my_profile:p"], true);
        assert_eq!(
            text(&g, "demo", "p"),
            "tenant=demo customer.customer_read_own customer.customerprofile_view \
             customer.customer_manage_own customer.customerprofile_edit"
        );
        assert!(EmporixScope::ProfileEdit.require(&g, "p").is_ok());
        assert!(EmporixScope::ProfileEdit.require(&g, "q").is_err());
    }

    #[test]
    fn view_my_profile_only_reads() {
        let g = grant(&["view_my_profile:p"], true);
        assert!(EmporixScope::CustomerReadOwn.require(&g, "p").is_ok());
        let refused = EmporixScope::CustomerManageOwn
            .require(&g, "p")
            .unwrap_err();
        assert_eq!(refused.status(), 403);
        assert_eq!(
            text(&g, "t", "p"),
            "tenant=t customer.customer_read_own customer.customerprofile_view"
        );
        assert_eq!(
            text(&grant(&["manage_my_profile:p"], false), "t", "p"),
            "tenant=t"
        );
    }
}
