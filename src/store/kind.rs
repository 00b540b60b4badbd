//! The versioned resources that have nothing but the shared shape (customer groups, custom
//! types, …): a resource declares itself as a [`Kind`] — its domain type and actions, its
//! draft, its table, its query schema, its scopes — and gets create, get, query, update and
//! delete (`http::handlers::resources`), its writes serialized by the writer object
//! (`store::resources::ResourceWrites`).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::query_sql::QueryTable;
use super::table::Table;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::Random;
use crate::domain::predicate::schema::Field;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{Resource, Updatable};

/// A versioned resource with the shared shape only.
pub trait Kind: 'static {
    type State: Updatable<Resource = Self::State>
        + Resource
        + Serialize
        + DeserializeOwned
        + Clone
        + PartialEq
        + 'static;
    type Draft: DeserializeOwned + Clone;
    type Table: Table<State = Self::State>;
    /// The path segment of its endpoints (`customer-groups`).
    const SEGMENT: &'static str;
    /// The scope names that read it and that write it (`view_…`, `manage_…`): any one of
    /// them will do (`manage_project` always does).
    const VIEW_SCOPES: &'static [&'static str];
    const MANAGE_SCOPES: &'static [&'static str];
    const FIELDS: &'static [Field];
    const QUERY_TABLE: QueryTable;
    /// Most resources of this kind one project may hold.
    const MAX_PER_PROJECT: Option<usize> = None;

    /// The referenced resources a draft needs.
    fn wanted(draft: &Self::Draft) -> Wanted;

    /// Validates a draft and makes the resource.
    fn create(
        draft: Self::Draft,
        by: (i64, &ClientLogging),
        refs: &Referenced,
        rng: &mut dyn Random,
    ) -> ApiResult<Self::State>;

    /// The unique value another resource holds, from the constraint D1 names.
    fn duplicate(constraint: &str, state: &Self::State) -> Option<ApiError>;

    /// The payload of its `…Created` message, if it has one.
    fn created(_state: &Self::State) -> Option<Payload<Self>> {
        None
    }

    /// The payload of its `…Deleted` message, if it has one.
    fn deleted(_state: &Self::State) -> Option<Payload<Self>> {
        None
    }
}

/// The message payload type of kind `K`.
pub type Payload<K> = <<K as Kind>::State as Updatable>::Payload;
