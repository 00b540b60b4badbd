//! `changeEmail`.

use super::CustomerEffect;
use crate::domain::customer::messages::Payload;
use crate::domain::customer::Customer;
use crate::domain::error::ApiResult;
use crate::domain::resource::Effect;
use crate::domain::values::Email;

/// `changeEmail`: a new email (uniqueness is the store's to check) that is not verified yet.
/// A change of case is a change. The email tokens sent to the old address are voided when the
/// update finishes (`StoredCustomer::finish`). Message: `CustomerEmailChanged`.
pub fn change_email(c: &mut Customer, email: &str) -> ApiResult<CustomerEffect> {
    let email = Email::parse("email", email)?;
    if c.email == email {
        return Ok(Effect::Unchanged);
    }
    let old_email = std::mem::replace(&mut c.email, email.clone());
    c.is_email_verified = false;
    Ok(Effect::Changed(vec![Payload::CustomerEmailChanged {
        email: email.to_string(),
        old_email: old_email.to_string(),
    }]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn change_email() {
        let mut c = basic();
        c.customer.is_email_verified = true;
        let updated = ok(
            &c,
            json!([{"action": "changeEmail", "email": "New@Example.com"}]),
        );
        assert_eq!(updated.state.customer.email, "New@Example.com");
        assert!(!updated.state.customer.is_email_verified);
        let m = json_of(&updated.messages[0]);
        assert_eq!(m["type"], "CustomerEmailChanged");
        assert_eq!(m["email"], "New@Example.com");
        assert_eq!(m["oldEmail"], "jo@example.com");
        // Same email: nothing changes (verification is kept).
        let same = ok(
            &c,
            json!([{"action": "changeEmail", "email": "jo@example.com"}]),
        );
        assert!(same.state.customer.is_email_verified);
        assert_eq!(same.state.customer.meta.version, 1);
        assert!(matches!(
            err(&c, json!([{"action": "changeEmail", "email": "nope"}])),
            ApiError::InvalidField { .. }
        ));
    }

    #[test]
    fn change_email_voids_email_tokens() {
        let c = basic();
        let updated = ok(
            &c,
            json!([{"action": "changeEmail", "email": "new@example.com"}]),
        );
        assert_eq!(updated.state.email_tokens_valid_from, LATER + 1);
        assert_eq!(updated.state.password_tokens_valid_from, 0);
        let other = ok(
            &c,
            json!([{"action": "setFirstName", "firstName": "Other"}]),
        );
        assert_eq!(other.state.email_tokens_valid_from, 0);
    }
}
