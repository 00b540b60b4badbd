//! How customer groups are laid out in D1 (`customer_groups`: key and name unique per
//! project) and what they offer queries; the `Kind` that gives them the shared endpoints.

use super::kind::Kind;
use super::query_sql::{QueryTable, StoreRows};
use super::sql::{Param, Statement};
use super::table::{Referral, Table};
use crate::domain::customer_group::{self, CustomerGroup, CustomerGroupDraft};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::Random;
use crate::domain::predicate::schema::Field;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::ClientLogging;

/// The `customer_groups` table.
pub struct CustomerGroups;

impl Table for CustomerGroups {
    type State = CustomerGroup;
    const NAME: &'static str = "customer_groups";
    const COLUMNS: &'static [&'static str] = &[
        "version",
        "key",
        "name",
        "created_at",
        "last_modified_at",
        "doc",
    ];

    fn id(state: &CustomerGroup) -> &str {
        &state.meta.id
    }

    fn version(state: &CustomerGroup) -> u64 {
        state.meta.version
    }

    fn values(group: &CustomerGroup) -> Vec<Param> {
        vec![
            Param::uint(group.meta.version),
            Param::opt_text(group.key.as_deref()),
            Param::text(&group.name),
            Param::text(&group.meta.created_at),
            Param::text(&group.meta.last_modified_at),
            Param::Text(serde_json::to_string(group).expect("a group always serializes")),
        ]
    }

    fn side_statements(
        _: &str,
        _: Option<&CustomerGroup>,
        _: Option<&CustomerGroup>,
    ) -> Vec<Statement> {
        Vec::new()
    }

    fn references(group: &CustomerGroup) -> Vec<Referral> {
        super::table::custom_type_referral(&group.custom)
    }
}

impl Kind for CustomerGroups {
    type State = CustomerGroup;
    type Draft = CustomerGroupDraft;
    type Table = CustomerGroups;
    const SEGMENT: &'static str = "customer-groups";
    // commercetools lets customer scopes read and write customer groups too.
    const VIEW_SCOPES: &'static [&'static str] = &["view_customer_groups", "view_customers"];
    const MANAGE_SCOPES: &'static [&'static str] = &["manage_customer_groups", "manage_customers"];
    const FIELDS: &'static [Field] = customer_group::FIELDS;
    const QUERY_TABLE: QueryTable = QueryTable {
        name: "customer_groups",
        columns: &[
            (&["id"], "id"),
            (&["version"], "version"),
            (&["key"], "key"),
            (&["name"], "name"),
            (&["createdAt"], "created_at"),
            (&["lastModifiedAt"], "last_modified_at"),
        ],
        selective: &["id", "key", "name"],
        stores: StoreRows::All,
    };
    const MAX_PER_PROJECT: Option<usize> = Some(customer_group::MAX_GROUPS_PER_PROJECT);

    fn wanted(draft: &CustomerGroupDraft) -> Wanted {
        customer_group::wanted(draft)
    }

    fn create(
        draft: CustomerGroupDraft,
        by: (i64, &ClientLogging),
        refs: &Referenced,
        rng: &mut dyn Random,
    ) -> ApiResult<CustomerGroup> {
        customer_group::create(draft, by, refs, rng)
    }

    fn duplicate(constraint: &str, group: &CustomerGroup) -> Option<ApiError> {
        let (field, value) = if constraint.contains("customer_groups.name") {
            ("name", group.name.clone())
        } else if constraint.contains("customer_groups.key") {
            ("key", group.key.as_deref().unwrap_or_default().to_string())
        } else {
            return None;
        };
        Some(ApiError::DuplicateField {
            field: field.into(),
            duplicate_value: value.into(),
            message: None,
        })
    }
}
