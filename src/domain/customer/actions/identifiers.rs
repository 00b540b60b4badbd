//! The identifiers a client gives a customer: `setKey`, `setCustomerNumber`,
//! `setExternalId`. Uniqueness of key and customer number is the store's to check.

use super::{invalid_operation, set_text, CustomerEffect};
use crate::domain::customer::messages::Payload;
use crate::domain::customer::Customer;
use crate::domain::error::ApiResult;
use crate::domain::resource::Effect;
use crate::domain::values::Key;

/// `setKey`: `^[A-Za-z0-9_-]+$`, 2–256 characters; absent removes it. No message.
pub fn set_key(c: &mut Customer, key: &Option<String>) -> ApiResult<CustomerEffect> {
    let key = match key {
        Some(key) => Some(Key::parse("key", key)?),
        None => None,
    };
    let changed = c.key != key;
    c.key = key;
    Ok(Effect::silent(changed))
}

/// `setCustomerNumber`: only while the customer has none (setting the same number again
/// changes nothing; another → 400 `InvalidOperation`). No message.
pub fn set_customer_number(
    c: &mut Customer,
    customer_number: &Option<String>,
) -> ApiResult<CustomerEffect> {
    match (&c.customer_number, customer_number) {
        (Some(current), Some(new)) if current == new => Ok(Effect::Unchanged),
        (Some(_), _) => Err(invalid_operation(
            "A customer number already exists and cannot be set again.".into(),
        )
        .into()),
        (None, None) => Ok(Effect::Unchanged),
        (None, Some(new)) => {
            c.customer_number = Some(new.clone());
            Ok(Effect::Changed(Vec::new()))
        }
    }
}

/// `setExternalId`. Message: `CustomerExternalIdSet`.
pub fn set_external_id(c: &mut Customer, external_id: &Option<String>) -> CustomerEffect {
    Effect::with(set_text(&mut c.external_id, external_id), || {
        Payload::CustomerExternalIdSet {
            external_id: external_id.clone(),
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn set_key_sets_and_removes() {
        let c = basic();
        let set = ok(&c, json!([{"action": "setKey", "key": "my-key"}]));
        assert_eq!(set.state.customer.key.as_deref(), Some("my-key"));
        assert!(set.messages.is_empty());
        let removed = ok(&set.state, json!([{"action": "setKey"}]));
        assert_eq!(removed.state.customer.key, None);
        assert_eq!(removed.state.customer.meta.version, 3);
    }

    #[test]
    fn customer_number_can_only_be_set_once() {
        let c = basic();
        let set = ok(
            &c,
            json!([{"action": "setCustomerNumber", "customerNumber": "C-1"}]),
        );
        assert_eq!(set.state.customer.customer_number.as_deref(), Some("C-1"));
        assert!(set.messages.is_empty());
        assert_eq!(
            ok(
                &set.state,
                json!([{"action": "setCustomerNumber", "customerNumber": "C-1"}])
            )
            .state
            .customer
            .meta
            .version,
            2
        );
        for again in [
            json!({"action": "setCustomerNumber", "customerNumber": "C-2"}),
            json!({"action": "setCustomerNumber"}),
        ] {
            assert!(matches!(
                err(&set.state, json!([again])),
                ApiError::InvalidOperation { .. }
            ));
        }
        assert_eq!(
            ok(&c, json!([{"action": "setCustomerNumber"}]))
                .state
                .customer
                .meta
                .version,
            1
        );
    }
}
