//! Fixtures the customer's unit tests share: customers made from drafts the way the API makes
//! them, at a fixed time, with a fixed "hash" for their password.

use serde_json::{json, Value};

use super::draft::{create, CreateContext, CustomerDraft};
use super::StoredCustomer;
use crate::domain::auth::StoreReach;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::CountingRandom;
use crate::domain::json;
use crate::domain::message::Message;
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{parse_request, update, UpdateContext, Updated};

/// When the fixtures' customers are created.
pub const CREATED_AT: i64 = 1_700_000_000_000;

/// The context of a global create by client `creator` at [`CREATED_AT`].
pub fn context(store: Option<&str>) -> CreateContext<'_> {
    CreateContext {
        now_ms: CREATED_AT,
        by: ClientLogging::client("creator"),
        store,
        reach: &StoreReach::Project,
    }
}

/// The draft a JSON body parses into.
pub fn draft(body: Value) -> CustomerDraft {
    json::parse(body.to_string().as_bytes()).expect("the draft parses")
}

/// A customer created from `body`; its password "hash" is `$hash$<plain>$ABCD`.
pub fn customer(body: Value) -> StoredCustomer {
    create(
        draft(body),
        context(None),
        &mut CountingRandom(1),
        &mut |plain| format!("$hash${plain}$ABCD"),
    )
    .expect("the draft is valid")
    .stored
}

/// When the fixtures' updates happen (a minute after [`CREATED_AT`]).
pub const LATER: i64 = 1_700_000_060_000;

/// A customer with a first name and two addresses: `home` (default shipping) and `work`
/// (billing).
pub fn basic() -> StoredCustomer {
    customer(json!({
        "email": "jo@example.com", "password": "pw", "firstName": "Jo",
        "addresses": [
            {"key": "home", "country": "DE", "city": "Berlin"},
            {"key": "work", "country": "FR", "city": "Paris"}
        ],
        "defaultShippingAddress": 0, "billingAddresses": [1]
    }))
}

/// Applies `actions` at the customer's version, by client `updater` at [`LATER`]; a new
/// password "hashes" to `$new$<plain>$WXYZ`.
pub fn run(stored: &StoredCustomer, actions: Value) -> ApiResult<Updated<StoredCustomer>> {
    let body = json!({"version": stored.customer.meta.version, "actions": actions});
    let request = parse_request(body.to_string().as_bytes())?;
    let ctx = UpdateContext {
        now_ms: LATER,
        by: ClientLogging::client("updater"),
        rng: &mut CountingRandom(100),
    };
    let mut updated = update(stored, &request, ctx)?;
    if let Some(plain) = updated.state.new_password.take() {
        updated.state = updated
            .state
            .with_password_hash(format!("$new${plain}$WXYZ"));
    }
    Ok(updated)
}

/// [`run`], which must succeed.
#[track_caller]
pub fn ok(stored: &StoredCustomer, actions: Value) -> Updated<StoredCustomer> {
    match run(stored, actions) {
        Ok(updated) => updated,
        Err(e) => panic!("update failed: {e:?}"),
    }
}

/// [`run`], which must fail: its first error.
#[track_caller]
pub fn err(stored: &StoredCustomer, actions: Value) -> ApiError {
    run(stored, actions)
        .expect_err("update must fail")
        .0
        .remove(0)
}

/// The types of the messages an update produced.
pub fn types(updated: &Updated<StoredCustomer>) -> Vec<String> {
    updated
        .messages
        .iter()
        .map(|m| m.type_name().to_string())
        .collect()
}

/// A message as its JSON.
pub fn json_of(message: &Message) -> Value {
    serde_json::from_str(&message.to_json_string()).unwrap()
}

/// The id of the customer's address with `key`.
pub fn address_id(stored: &StoredCustomer, key: &str) -> String {
    stored
        .customer
        .addresses
        .iter()
        .find(|a| a.key.as_deref() == Some(key))
        .and_then(|a| a.id.clone())
        .unwrap()
}
