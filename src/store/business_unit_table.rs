//! How business units are laid out in D1 (`business_units`: key unique per project, the
//! parent's key and the top-level key as columns) and what they offer queries; the `Kind`
//! that gives them the shared endpoints.
//!
//! A unit's references are kept in `resource_references`: its parent (by key), its
//! associates' customers (by id) and roles (by key), its customer groups and custom types.
//! So a unit with Divisions, a customer who is an associate, and a role an associate holds
//! cannot be deleted (400 `ReferenceExists`), and each of them must exist when it is written.

use super::kind::{Kind, Payload};
use super::query_sql::{QueryTable, StoreRows};
use super::search_index;
use super::sql::{Param, Statement};
use super::table::{custom_type_referral, Referral, Table};
use crate::domain::business_unit::actions::Payload as UnitPayload;
use crate::domain::business_unit::draft::{self, BusinessUnitDraft};
use crate::domain::business_unit::{self, BusinessUnit};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::Random;
use crate::domain::predicate::schema::Field;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::ClientLogging;

/// The `business_units` table.
pub struct BusinessUnits;

impl Table for BusinessUnits {
    type State = BusinessUnit;
    const NAME: &'static str = "business_units";
    const COLUMNS: &'static [&'static str] = &[
        "version",
        "key",
        "name",
        "parent_key",
        "top_level_key",
        "stores",
        "created_at",
        "last_modified_at",
        "doc",
    ];
    const STORES: Option<&'static str> = Some("stores");

    fn id(state: &BusinessUnit) -> &str {
        &state.meta.id
    }

    fn version(state: &BusinessUnit) -> u64 {
        state.meta.version
    }

    fn values(unit: &BusinessUnit) -> Vec<Param> {
        let stores = serde_json::to_string(&unit.store_keys()).expect("keys serialize");
        vec![
            Param::uint(unit.meta.version),
            Param::text(unit.key.as_str()),
            Param::text(&unit.name),
            Param::opt_text(unit.parent_unit.as_ref().map(|p| p.key.as_str())),
            Param::text(&unit.top_level_unit.key),
            Param::Text(stores),
            Param::text(&unit.meta.created_at),
            Param::text(&unit.meta.last_modified_at),
            Param::Text(serde_json::to_string(unit).expect("a unit always serializes")),
        ]
    }

    fn side_statements(
        project: &str,
        before: Option<&BusinessUnit>,
        after: Option<&BusinessUnit>,
    ) -> Vec<Statement> {
        let mut statements = match (before, after) {
            (Some(before), Some(after)) if before.parent_unit != after.parent_unit => {
                moved(project, before, after)
            }
            (None, Some(created)) => placed(project, created).into_iter().collect(),
            _ => Vec::new(),
        };
        let id = before
            .or(after)
            .map(|u| u.meta.id.as_str())
            .unwrap_or_default();
        let subtree = matches!((before, after), (Some(b), Some(a)) if passed_down_changed(b, a));
        statements.extend(search_index::business_unit_write(
            project, id, after, subtree,
        ));
        statements
    }

    fn references(unit: &BusinessUnit) -> Vec<Referral> {
        let mut all: Vec<Referral> = Vec::new();
        let mut add = |referral: Referral| {
            if !all.contains(&referral) {
                all.push(referral);
            }
        };
        if let Some(parent) = &unit.parent_unit {
            add(Referral::to_key(
                "business-unit",
                "business_units",
                &parent.key,
            ));
        }
        for associate in &unit.associates {
            add(Referral::to(
                "customer",
                "customers",
                associate.customer_id(),
            ));
            for assignment in &associate.associate_role_assignments {
                let key = &assignment.associate_role.key;
                add(Referral::to_key("associate-role", "associate_roles", key));
            }
        }
        for assignment in &unit.customer_group_assignments {
            if let Some(id) = &assignment.customer_group.id {
                add(Referral::to("customer-group", "customer_groups", id));
            }
        }
        let customs = std::iter::once(&unit.custom).chain(unit.addresses.iter().map(|a| &a.custom));
        for custom in customs {
            custom_type_referral(custom).into_iter().for_each(&mut add);
        }
        all
    }
}

/// Whether a write changes what a unit's descendants take from it in the search index: their
/// top-level unit, or the stores they inherit (its stores, store mode or place in the tree).
fn passed_down_changed(before: &BusinessUnit, after: &BusinessUnit) -> bool {
    before.top_level_unit != after.top_level_unit
        || before.parent_unit != after.parent_unit
        || before.stores != after.stores
        || before.store_mode != after.store_mode
}

/// A new Division's place, guarded against a move of its parent or an ancestor landing
/// between the read of the parent and this batch: the parent still has the top-level unit the
/// Division was given, and the Division is at most on the fifth level. Else the batch fails
/// its version check and the create is decided again on a fresh read. (A move that lands
/// after this batch finds the Division in the subtree it rewrites.)
fn placed(project: &str, unit: &BusinessUnit) -> Option<Statement> {
    let parent = unit.parent_unit.as_ref()?;
    Some(Statement::new(
        "WITH RECURSIVE up(key, parent_key, n) AS ( \
           SELECT key, parent_key, 1 FROM business_units WHERE project = ?1 AND key = ?2 \
           UNION ALL SELECT b.key, b.parent_key, up.n + 1 FROM business_units b JOIN up ON b.project = ?1 AND b.key = up.parent_key WHERE up.n < 7 \
         ) INSERT INTO version_guards (ok) \
         SELECT coalesce((SELECT top_level_key FROM business_units WHERE project = ?1 AND key = ?2) = ?3, 0) \
           AND (SELECT COUNT(*) FROM up WHERE parent_key IS NULL) = 1 AND (SELECT MAX(n) FROM up) + 1 <= ?4",
        vec![
            Param::text(project),
            Param::text(&parent.key),
            Param::text(&unit.top_level_unit.key),
            Param::uint(business_unit::MAX_DEPTH as u64),
        ],
    ))
}

/// The most units an associate's query takes as inherited memberships (the `in` list of a
/// query holds at most 1 000 values).
pub const MAX_INHERITED_MEMBERSHIPS: u32 = 1_000;

/// The keys of the units where `customer` is an associate only by inheritance, as the
/// associate lookup computes it: below a unit holding an `Enabled` assignment of the
/// customer, while every unit on the way is in `associateMode` `ExplicitAndFromParent` (at
/// most [`MAX_INHERITED_MEMBERSHIPS`] + 1, so a caller sees when there are more).
pub fn inherited_memberships(project: &str, customer: &str) -> Statement {
    Statement::new(
        "WITH RECURSIVE reached(key, n) AS ( \
           SELECT c.key, 1 FROM business_units s \
             JOIN business_units c ON c.project = s.project AND c.parent_key = s.key \
           WHERE s.project = ?1 AND s.id IN (SELECT from_id FROM resource_references \
               WHERE project = ?1 AND to_type = 'customer' AND to_id = ?2 AND from_type = 'business-unit') \
             AND EXISTS (SELECT 1 FROM json_each(s.doc, '$.associates') a, \
                 json_each(a.value, '$.associateRoleAssignments') r \
               WHERE json_extract(a.value, '$.customer.id') = ?2 AND json_extract(r.value, '$.inheritance') = 'Enabled') \
             AND json_extract(c.doc, '$.associateMode') = 'ExplicitAndFromParent' \
           UNION SELECT c.key, reached.n + 1 FROM reached \
             JOIN business_units c ON c.project = ?1 AND c.parent_key = reached.key \
           WHERE reached.n < 5 AND json_extract(c.doc, '$.associateMode') = 'ExplicitAndFromParent' \
         ) SELECT DISTINCT key FROM reached ORDER BY key LIMIT ?3",
        vec![
            Param::text(project),
            Param::text(customer),
            Param::uint(u64::from(MAX_INHERITED_MEMBERSHIPS) + 1),
        ],
    )
}

/// A move (`changeParentUnit`): the subtree's `topLevelUnit` follows the unit's, each
/// descendant one version on (so a writer object holding an older copy reads again), and a
/// guard that the tree still has no cycle and at most five levels. A concurrent move that
/// breaks either makes the batch fail its version check, and the writer decides again on a
/// fresh read (where the domain's checks answer 400).
fn moved(project: &str, before: &BusinessUnit, after: &BusinessUnit) -> Vec<Statement> {
    let mut statements = Vec::new();
    if before.top_level_unit != after.top_level_unit {
        statements.push(Statement::new(
            "WITH RECURSIVE down(key, n) AS ( \
               SELECT ?2, 0 \
               UNION ALL SELECT b.key, down.n + 1 FROM business_units b JOIN down ON b.project = ?1 AND b.parent_key = down.key WHERE down.n < 7 \
             ) UPDATE business_units SET version = version + 1, top_level_key = ?3, last_modified_at = ?4, \
               doc = json_set(doc, '$.version', version + 1, '$.topLevelUnit.key', ?3, '$.lastModifiedAt', ?4, '$.versionModifiedAt', ?4) \
             WHERE project = ?1 AND key IN (SELECT key FROM down WHERE n > 0)",
            vec![
                Param::text(project),
                Param::text(after.key.as_str()),
                Param::text(&after.top_level_unit.key),
                Param::text(&after.meta.last_modified_at),
            ],
        ));
    }
    statements.push(Statement::new(
        "WITH RECURSIVE up(key, parent_key, n) AS ( \
           SELECT key, parent_key, 1 FROM business_units WHERE project = ?1 AND id = ?2 \
           UNION ALL SELECT b.key, b.parent_key, up.n + 1 FROM business_units b JOIN up ON b.project = ?1 AND b.key = up.parent_key WHERE up.n < 7 \
         ), down(key, n) AS ( \
           SELECT key, 0 FROM business_units WHERE project = ?1 AND id = ?2 \
           UNION ALL SELECT b.key, down.n + 1 FROM business_units b JOIN down ON b.project = ?1 AND b.parent_key = down.key WHERE down.n < 7 \
         ) INSERT INTO version_guards (ok) \
         SELECT (SELECT COUNT(*) FROM up WHERE parent_key IS NULL) = 1 AND (SELECT MAX(n) FROM up) + (SELECT MAX(n) FROM down) <= ?3",
        vec![
            Param::text(project),
            Param::text(&after.meta.id),
            Param::uint(business_unit::MAX_DEPTH as u64),
        ],
    ));
    statements
}

impl Kind for BusinessUnits {
    type State = BusinessUnit;
    type Draft = BusinessUnitDraft;
    type Table = BusinessUnits;
    const SEGMENT: &'static str = "business-units";
    const VIEW_SCOPES: &'static [&'static str] = &["view_business_units"];
    const MANAGE_SCOPES: &'static [&'static str] = &["manage_business_units"];
    const FIELDS: &'static [Field] = business_unit::FIELDS;
    const QUERY_TABLE: QueryTable = QueryTable {
        name: "business_units",
        columns: &[
            (&["id"], "id"),
            (&["version"], "version"),
            (&["key"], "key"),
            (&["name"], "name"),
            (&["parentUnit", "key"], "parent_key"),
            (&["topLevelUnit", "key"], "top_level_key"),
            (&["createdAt"], "created_at"),
            (&["lastModifiedAt"], "last_modified_at"),
        ],
        selective: &["id", "key"],
        stores: StoreRows::UnitTree,
    };

    fn wanted(draft: &BusinessUnitDraft) -> Wanted {
        draft::wanted(draft)
    }

    fn create(
        draft: BusinessUnitDraft,
        by: (i64, &ClientLogging),
        refs: &Referenced,
        rng: &mut dyn Random,
    ) -> ApiResult<BusinessUnit> {
        draft::create(draft, by, refs, rng)
    }

    fn duplicate(constraint: &str, unit: &BusinessUnit) -> Option<ApiError> {
        constraint
            .contains("business_units.key")
            .then(|| ApiError::DuplicateField {
                field: "key".into(),
                duplicate_value: unit.key.as_str().into(),
                message: None,
            })
    }

    fn created(unit: &BusinessUnit) -> Option<Payload<Self>> {
        Some(UnitPayload::BusinessUnitCreated {
            business_unit: Box::new(unit.clone()),
        })
    }

    fn deleted(_: &BusinessUnit) -> Option<Payload<Self>> {
        Some(UnitPayload::BusinessUnitDeleted {})
    }
}
