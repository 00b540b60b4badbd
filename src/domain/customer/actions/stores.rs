//! The stores a customer belongs to: `setStores`, `addStore`, `removeStore`. Stores are
//! referenced by key; the list is a set. Email uniqueness for the new store set is the store's
//! to check; whether the caller may change these stores is `auth::StoreReach`'s.

use super::CustomerEffect;
use crate::domain::customer::draft::push_unique;
use crate::domain::customer::messages::Payload;
use crate::domain::customer::Customer;
use crate::domain::error::ApiResult;
use crate::domain::refs::{ResourceIdentifier, StoreKeyReference};
use crate::domain::resource::Effect;

/// `setStores`: the same stores in another order change nothing. Message:
/// `CustomerStoresSet` with the old stores.
pub fn set_stores(c: &mut Customer, stores: &[ResourceIdentifier]) -> ApiResult<CustomerEffect> {
    let mut new_stores = Vec::new();
    for (i, identifier) in stores.iter().enumerate() {
        push_unique(
            &mut new_stores,
            store_ref(identifier, &format!("stores[{i}]"))?,
        );
    }
    let same_set =
        c.stores.len() == new_stores.len() && new_stores.iter().all(|s| c.stores.contains(s));
    if same_set {
        return Ok(Effect::Unchanged);
    }
    let old_stores = std::mem::replace(&mut c.stores, new_stores.clone());
    Ok(Effect::Changed(vec![Payload::CustomerStoresSet {
        stores: new_stores,
        old_stores,
    }]))
}

/// `addStore`. No message.
pub fn add_store(c: &mut Customer, store: &ResourceIdentifier) -> ApiResult<CustomerEffect> {
    let store = store_ref(store, "store")?;
    if c.stores.contains(&store) {
        return Ok(Effect::Unchanged);
    }
    c.stores.push(store);
    Ok(Effect::Changed(Vec::new()))
}

/// `removeStore`. No message.
pub fn remove_store(c: &mut Customer, store: &ResourceIdentifier) -> ApiResult<CustomerEffect> {
    let store = store_ref(store, "store")?;
    let before = c.stores.len();
    c.stores.retain(|s| *s != store);
    Ok(Effect::silent(c.stores.len() != before))
}

fn store_ref(identifier: &ResourceIdentifier, path: &str) -> ApiResult<StoreKeyReference> {
    Ok(StoreKeyReference::new(&identifier.store_key(path)?))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn stores() {
        let c = basic();
        let set = ok(
            &c,
            json!([{"action": "setStores", "stores": [{"key": "s1"}, {"key": "s2"}, {"key": "s1"}]}]),
        );
        assert_eq!(set.state.customer.store_keys(), vec!["s1", "s2"]);
        let m = json_of(&set.messages[0]);
        assert_eq!(m["type"], "CustomerStoresSet");
        assert_eq!(m["oldStores"], json!([]));
        assert_eq!(
            m["stores"],
            json!([{"typeId": "store", "key": "s1"}, {"typeId": "store", "key": "s2"}])
        );
        let added = ok(
            &set.state,
            json!([{"action": "addStore", "store": {"key": "s3", "typeId": "store"}}]),
        );
        assert_eq!(added.state.customer.store_keys(), vec!["s1", "s2", "s3"]);
        assert!(added.messages.is_empty());
        assert_eq!(
            ok(
                &added.state,
                json!([{"action": "addStore", "store": {"key": "s3"}}])
            )
            .state
            .customer
            .meta
            .version,
            3
        );
        let removed = ok(
            &added.state,
            json!([{"action": "removeStore", "store": {"key": "s1"}}]),
        );
        assert_eq!(removed.state.customer.store_keys(), vec!["s2", "s3"]);
        assert_eq!(
            ok(
                &added.state,
                json!([{"action": "removeStore", "store": {"key": "zz"}}])
            )
            .state
            .customer
            .meta
            .version,
            3
        );
        let reordered = ok(
            &set.state,
            json!([{"action": "setStores", "stores": [{"key": "s2"}, {"key": "s1"}]}]),
        );
        assert_eq!(
            reordered.state.customer.meta.version, 2,
            "the same stores in another order change nothing"
        );
        let global = ok(&set.state, json!([{"action": "setStores", "stores": []}]));
        assert!(global.state.customer.stores.is_empty());
        assert!(matches!(
            err(&c, json!([{"action": "addStore", "store": {"id": "x"}}])),
            ApiError::ReferencedResourceNotFound { .. }
        ));
        assert!(matches!(
            err(
                &c,
                json!([{"action": "setStores", "stores": [{"key": "!"}]}])
            ),
            ApiError::InvalidField { .. }
        ));
    }
}
