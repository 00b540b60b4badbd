//! `setAuthenticationMode`.

use super::CustomerEffect;
use crate::domain::customer::{AuthenticationMode, StoredCustomer};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::password;
use crate::domain::resource::Effect;

/// `setAuthenticationMode`: to `Password` it needs a non-empty `password` (400
/// `RequiredField` / `InvalidField`), to `ExternalAuth` it removes the password. The new
/// password is kept plain in [`StoredCustomer::new_password`] and hashed once the whole update
/// is applied, so a request derives at most one password whatever it switches. The tokens and
/// sessions of the old password are voided when the update finishes. No message.
pub fn set_authentication_mode(
    stored: &mut StoredCustomer,
    mode: AuthenticationMode,
    password: &Option<String>,
) -> ApiResult<CustomerEffect> {
    if stored.customer.authentication_mode == mode {
        return Ok(Effect::Unchanged);
    }
    match mode {
        AuthenticationMode::Password => {
            stored.new_password = Some(new_password(password)?);
            stored.password_hash = None;
            stored.customer.password = Some(password::mask(PENDING_HASH));
        }
        AuthenticationMode::ExternalAuth => {
            stored.new_password = None;
            stored.password_hash = None;
            stored.customer.password = None;
        }
    }
    stored.customer.authentication_mode = mode;
    Ok(Effect::Changed(Vec::new()))
}

/// What the masked password shows until the new password is hashed (same length as a mask).
const PENDING_HASH: &str = "pending";

/// The password of a switch to `Password`: required and not empty.
fn new_password(password: &Option<String>) -> ApiResult<String> {
    match password.as_deref() {
        None => Err(ApiError::RequiredField {
            field: "password".into(),
        }
        .into()),
        Some("") => Err(ApiError::InvalidField {
            field: "password".into(),
            invalid_value: "".into(),
            message: Some("The password must not be empty.".into()),
        }
        .into()),
        Some(plain) => Ok(plain.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::customer::AuthenticationMode;
    use crate::domain::customer::StoredCustomer;
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn authentication_mode() {
        let c = basic();
        let external = ok(
            &c,
            json!([{"action": "setAuthenticationMode", "authMode": "ExternalAuth"}]),
        );
        assert_eq!(
            external.state.customer.authentication_mode,
            AuthenticationMode::ExternalAuth
        );
        assert_eq!(external.state.customer.password, None);
        assert_eq!(external.state.password_hash, None);
        assert!(external.messages.is_empty());
        assert_eq!(external.state.customer.meta.version, 2);
        // Back to Password needs a password.
        assert_eq!(
            err(
                &external.state,
                json!([{"action": "setAuthenticationMode", "authMode": "Password"}])
            ),
            ApiError::RequiredField {
                field: "password".into()
            }
        );
        assert!(matches!(
            err(
                &external.state,
                json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": ""}])
            ),
            ApiError::InvalidField { .. }
        ));
        let back = ok(
            &external.state,
            json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "s3cret"}]),
        );
        assert_eq!(
            back.state.password_hash.as_deref(),
            Some("$new$s3cret$WXYZ")
        );
        assert_eq!(back.state.customer.password.as_deref(), Some("****WXYZ"));
        // Dropping or replacing the password voids reset tokens and OAuth sessions.
        let unmarked = StoredCustomer {
            password_tokens_valid_from: 0,
            sessions_valid_from: 0,
            ..external.state.clone()
        };
        let new_password = ok(
            &unmarked,
            json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "s3cret"}]),
        );
        for changed in [&external.state, &new_password.state] {
            assert_eq!(changed.password_tokens_valid_from, LATER + 1);
            assert_eq!(changed.sessions_valid_from, LATER + 1);
            assert_eq!(changed.email_tokens_valid_from, 0);
        }
        // The same mode changes nothing (and does not touch the password).
        let same = ok(
            &c,
            json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "other"}]),
        );
        assert_eq!(same.state, c);
        assert!(matches!(
            err(
                &c,
                json!([{"action": "setAuthenticationMode", "authMode": "Sso"}])
            ),
            ApiError::InvalidJsonInput { .. }
        ));
    }
}
