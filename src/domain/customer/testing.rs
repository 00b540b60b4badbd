//! Fixtures the customer's unit tests share: customers made from drafts the way the API makes
//! them, at a fixed time, with a fixed "hash" for their password.

use serde_json::{json, Value};

use super::draft::{create, CreateContext, CustomerDraft};
use super::StoredCustomer;
use crate::domain::auth::StoreReach;
use crate::domain::custom_type::{self, Type, TypeDraft};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::CountingRandom;
use crate::domain::json;
use crate::domain::message::Message;
use crate::domain::references::{GroupRef, Referenced};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{parse_request, update, UpdateContext, Updated};

/// When the fixtures' customers are created.
pub const CREATED_AT: i64 = 1_700_000_000_000;

/// The context of a global create by client `creator` at [`CREATED_AT`], with the fixtures'
/// referenced resources.
pub fn context(store: Option<&str>) -> CreateContext<'_> {
    CreateContext {
        now_ms: CREATED_AT,
        by: ClientLogging::client("creator"),
        store,
        reach: &StoreReach::Project,
        refs: refs(),
    }
}

/// A type of the fixtures: id and key `key`, for `resource`, with `(name, type)` fields.
fn custom_type(key: &str, resource: &str, fields: &[(&str, Value)]) -> Type {
    let definitions: Vec<Value> = fields
        .iter()
        .map(|(name, ty)| json!({"name": name, "label": {"en": name}, "required": false, "type": ty}))
        .collect();
    let draft: TypeDraft = json::parse(
        json!({"key": key, "name": {"en": key}, "resourceTypeIds": [resource], "fieldDefinitions": definitions})
            .to_string()
            .as_bytes(),
    )
    .expect("a fixture type");
    let mut custom_type = custom_type::create(
        draft,
        CREATED_AT,
        &ClientLogging::client("c"),
        &mut CountingRandom(0),
    )
    .expect("a valid fixture type");
    custom_type.meta.id = key.to_string();
    custom_type
}

/// The custom types and customer groups the fixtures may refer to: types `t1` (customer:
/// `a` Number, `b` Set of Number, `x` String), `t2` (customer, no fields), `at` and
/// `addr-type` (address: `door` String, `a` and `floor` Number); groups `g1` (key `gold`),
/// `group-g2` (key `g2`), `group-a` (key `a`), `b`, `group-c` (key `c`).
pub fn refs() -> &'static Referenced {
    static REFS: std::sync::OnceLock<Referenced> = std::sync::OnceLock::new();
    REFS.get_or_init(|| {
        let number = json!({"name": "Number"});
        let address_fields = [
            ("door", json!({"name": "String"})),
            ("a", number.clone()),
            ("floor", number.clone()),
        ];
        Referenced {
            types: vec![
                custom_type(
                    "t1",
                    "customer",
                    &[
                        ("a", number.clone()),
                        ("b", json!({"name": "Set", "elementType": number})),
                        ("x", json!({"name": "String"})),
                    ],
                ),
                custom_type("t2", "customer", &[]),
                custom_type("at", "address", &address_fields),
                custom_type("addr-type", "address", &address_fields),
            ],
            groups: [
                ("g1", Some("gold")),
                ("group-g2", Some("g2")),
                ("group-a", Some("a")),
                ("b", None),
                ("group-c", Some("c")),
            ]
            .iter()
            .map(|(id, key)| GroupRef {
                id: id.to_string(),
                key: key.map(str::to_string),
            })
            .collect(),
            ..Referenced::default()
        }
    })
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
        refs: refs(),
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
