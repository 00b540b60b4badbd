//! Deleting a customer: the version check and the `CustomerDeleted` message.

use super::messages::Payload;
use super::Customer;
use crate::domain::error::ApiResult;
use crate::domain::ids::Random;
use crate::domain::message::Message;
use crate::domain::refs::ClientLogging;
use crate::domain::resource;
use crate::domain::version::Version;

/// Checks `expected` against the customer's version and returns the message the deletion
/// stores. With `data_erasure` the message does not repeat the email (all of the customer's
/// earlier messages are erased by the store as well).
pub fn delete(
    customer: &Customer,
    expected: Version,
    data_erasure: bool,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Message> {
    let payload = Payload::CustomerDeleted {
        email: (!data_erasure).then(|| customer.email.to_string()),
    };
    resource::deleted(customer, expected, &payload, now_ms, by, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::testing;
    use crate::domain::error::ApiError;
    use crate::domain::ids::CountingRandom;
    use serde_json::json;

    fn customer() -> Customer {
        testing::customer(json!({"email": "a@b.c", "password": "pw", "key": "k1"})).customer
    }

    fn version(n: u64) -> Version {
        Version::new(n).unwrap()
    }

    fn by() -> ClientLogging {
        ClientLogging::client("c")
    }

    #[test]
    fn stale_version_is_a_conflict_naming_the_current_version() {
        let err = delete(
            &customer(),
            version(2),
            false,
            0,
            &by(),
            &mut CountingRandom(0),
        )
        .unwrap_err();
        assert_eq!(
            err.0,
            vec![ApiError::ConcurrentModification {
                expected: 2,
                current: Some(1)
            }]
        );
    }

    #[test]
    fn deletion_message_follows_the_sequence() {
        let c = customer();
        let msg = delete(&c, version(1), false, 5, &by(), &mut CountingRandom(9)).unwrap();
        assert_eq!(msg.sequence_number, 2);
        assert_eq!(msg.resource_version, 2);
        assert_eq!(msg.resource_id(), c.meta.id);
        assert_eq!(msg.type_name(), "CustomerDeleted");
        assert_eq!(msg.payload["email"], "a@b.c");
        assert_eq!(
            msg.resource_user_provided_identifiers,
            Some(json!({"key": "k1"}))
        );
    }

    #[test]
    fn data_erasure_keeps_the_email_out_of_the_message() {
        let msg = delete(
            &customer(),
            version(1),
            true,
            5,
            &by(),
            &mut CountingRandom(9),
        )
        .unwrap();
        assert!(msg.payload.get("email").is_none());
    }
}
