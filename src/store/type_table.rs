//! How custom types are laid out in D1 (`types`: key unique per project) and what they offer
//! queries; the `Kind` that gives them the shared endpoints.

use super::kind::Kind;
use super::query_sql::{QueryTable, StoreRows};
use super::sql::{Param, Statement};
use super::table::Table;
use crate::domain::custom_type::{self, Type, TypeDraft};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::Random;
use crate::domain::predicate::schema::Field;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::ClientLogging;

/// The `types` table.
pub struct Types;

impl Table for Types {
    type State = Type;
    const NAME: &'static str = "types";
    const COLUMNS: &'static [&'static str] =
        &["version", "key", "created_at", "last_modified_at", "doc"];

    fn id(state: &Type) -> &str {
        &state.meta.id
    }

    fn version(state: &Type) -> u64 {
        state.meta.version
    }

    fn values(custom_type: &Type) -> Vec<Param> {
        vec![
            Param::uint(custom_type.meta.version),
            Param::text(custom_type.key.as_str()),
            Param::text(&custom_type.meta.created_at),
            Param::text(&custom_type.meta.last_modified_at),
            Param::Text(serde_json::to_string(custom_type).expect("a type always serializes")),
        ]
    }

    fn side_statements(_: &str, _: Option<&Type>, _: Option<&Type>) -> Vec<Statement> {
        Vec::new()
    }
}

impl Kind for Types {
    type State = Type;
    type Draft = TypeDraft;
    type Table = Types;
    const SEGMENT: &'static str = "types";
    const VIEW_SCOPES: &'static [&'static str] = &["view_types"];
    const MANAGE_SCOPES: &'static [&'static str] = &["manage_types"];
    const FIELDS: &'static [Field] = custom_type::FIELDS;
    const QUERY_TABLE: QueryTable = QueryTable {
        name: "types",
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

    fn wanted(_: &TypeDraft) -> Wanted {
        Wanted::default()
    }

    fn create(
        draft: TypeDraft,
        (now_ms, by): (i64, &ClientLogging),
        _: &Referenced,
        rng: &mut dyn Random,
    ) -> ApiResult<Type> {
        custom_type::create(draft, now_ms, by, rng)
    }

    fn duplicate(constraint: &str, custom_type: &Type) -> Option<ApiError> {
        constraint
            .contains("types.key")
            .then(|| ApiError::DuplicateField {
                field: "key".into(),
                duplicate_value: custom_type.key.as_str().into(),
                message: None,
            })
    }
}
