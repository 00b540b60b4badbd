//! Deleting a customer: the version check and the `CustomerDeleted` message.

use super::customer::{ClientLogging, Customer};
use super::error::{ApiError, ApiResult};
use super::ids::Random;
use super::message::{Message, Payload};
use super::time::iso_millis;

/// Checks `expected_version` against the customer and returns the message the deletion
/// stores. With `data_erasure` the message does not repeat the email (all of the customer's
/// earlier messages are erased by the store as well).
pub fn delete(
    customer: &Customer,
    expected_version: u64,
    data_erasure: bool,
    now_ms: i64,
    by: ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Message> {
    if customer.version != expected_version {
        return Err(ApiError::ConcurrentModification {
            expected: expected_version,
            current: Some(customer.version),
        }
        .into());
    }
    let payload = Payload::CustomerDeleted {
        email: (!data_erasure).then(|| customer.email.clone()),
    };
    // The deletion is the resource's last change: it "produces" the next version.
    Ok(Message::about(
        customer,
        customer.last_message_sequence_number + 1,
        customer.version + 1,
        payload,
        &iso_millis(now_ms),
        &by,
        rng,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft::{create, CreateContext};
    use crate::domain::ids::CountingRandom;
    use crate::domain::json;

    fn customer() -> Customer {
        let draft = json::parse(br#"{"email":"a@b.c","password":"pw","key":"k1"}"#).unwrap();
        let ctx = CreateContext {
            now_ms: 0,
            by: ClientLogging::client("c"),
            store: None,
            reach: &crate::domain::auth::StoreReach::Project,
        };
        create(draft, ctx, &mut CountingRandom(0), &mut |_| "h".into())
            .unwrap()
            .stored
            .customer
    }

    #[test]
    fn stale_version_is_a_conflict_naming_the_current_version() {
        let err = delete(
            &customer(),
            2,
            false,
            0,
            ClientLogging::client("c"),
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
        let msg = delete(
            &c,
            1,
            false,
            5,
            ClientLogging::client("c"),
            &mut CountingRandom(9),
        )
        .unwrap();
        assert_eq!(msg.sequence_number, 2);
        assert_eq!(msg.resource_version, 2);
        assert_eq!(msg.resource_id(), c.id);
        assert_eq!(
            msg.payload,
            Payload::CustomerDeleted {
                email: Some("a@b.c".into())
            }
        );
    }

    #[test]
    fn data_erasure_keeps_the_email_out_of_the_message() {
        let msg = delete(
            &customer(),
            1,
            true,
            5,
            ClientLogging::client("c"),
            &mut CountingRandom(9),
        )
        .unwrap();
        assert_eq!(msg.payload, Payload::CustomerDeleted { email: None });
    }
}
