//! How associate roles are laid out in D1 (`associate_roles`: key unique per project) and
//! what they offer queries; the `Kind` that gives them the shared endpoints. Business units
//! refer to roles (`resource_references`), so a role an associate holds cannot be deleted.

use super::kind::{Kind, Payload};
use super::query_sql::{QueryTable, StoreRows};
use super::sql::{Param, Statement};
use super::table::{Referral, Table};
use crate::domain::associate_role::{self, AssociateRole, AssociateRoleDraft};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::Random;
use crate::domain::predicate::schema::Field;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::ClientLogging;

/// The `associate_roles` table.
pub struct AssociateRoles;

impl Table for AssociateRoles {
    type State = AssociateRole;
    const NAME: &'static str = "associate_roles";
    const COLUMNS: &'static [&'static str] =
        &["version", "key", "created_at", "last_modified_at", "doc"];

    fn id(state: &AssociateRole) -> &str {
        &state.meta.id
    }

    fn version(state: &AssociateRole) -> u64 {
        state.meta.version
    }

    fn values(role: &AssociateRole) -> Vec<Param> {
        vec![
            Param::uint(role.meta.version),
            Param::text(role.key.as_str()),
            Param::text(&role.meta.created_at),
            Param::text(&role.meta.last_modified_at),
            Param::Text(serde_json::to_string(role).expect("a role always serializes")),
        ]
    }

    fn side_statements(
        _: &str,
        _: Option<&AssociateRole>,
        _: Option<&AssociateRole>,
    ) -> Vec<Statement> {
        Vec::new()
    }

    fn references(role: &AssociateRole) -> Vec<Referral> {
        super::table::custom_type_referral(&role.custom)
    }
}

impl Kind for AssociateRoles {
    type State = AssociateRole;
    type Draft = AssociateRoleDraft;
    type Table = AssociateRoles;
    const SEGMENT: &'static str = "associate-roles";
    const VIEW_SCOPES: &'static [&'static str] = &["view_associate_roles"];
    const MANAGE_SCOPES: &'static [&'static str] = &["manage_associate_roles"];
    const FIELDS: &'static [Field] = associate_role::FIELDS;
    const QUERY_TABLE: QueryTable = QueryTable {
        name: "associate_roles",
        columns: &[
            (&["id"], "id"),
            (&["version"], "version"),
            (&["key"], "key"),
            (&["createdAt"], "created_at"),
            (&["lastModifiedAt"], "last_modified_at"),
        ],
        selective: &["id", "key"],
        stores: StoreRows::All,
    };
    const MAX_PER_PROJECT: Option<usize> = Some(associate_role::MAX_ROLES_PER_PROJECT);

    fn wanted(draft: &AssociateRoleDraft) -> Wanted {
        associate_role::wanted(draft)
    }

    fn create(
        draft: AssociateRoleDraft,
        by: (i64, &ClientLogging),
        refs: &Referenced,
        rng: &mut dyn Random,
    ) -> ApiResult<AssociateRole> {
        associate_role::create(draft, by, refs, rng)
    }

    fn duplicate(constraint: &str, role: &AssociateRole) -> Option<ApiError> {
        constraint
            .contains("associate_roles.key")
            .then(|| ApiError::DuplicateField {
                field: "key".into(),
                duplicate_value: role.key.as_str().into(),
                message: None,
            })
    }

    fn created(role: &AssociateRole) -> Option<Payload<Self>> {
        Some(associate_role::Payload::AssociateRoleCreated {
            associate_role: Box::new(role.clone()),
        })
    }

    fn deleted(_: &AssociateRole) -> Option<Payload<Self>> {
        Some(associate_role::Payload::AssociateRoleDeleted {})
    }
}
