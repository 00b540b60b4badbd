//! Sign-in and credentials: the request bodies, password changes and resets, email
//! verification, and the customer tokens (password reset, email verification).
//!
//! A token's value is 32 random bytes, URL-safe; only its SHA-256 is stored (in KV, with a TTL).
//! Whether a token is still good is decided here, against the injected clock and the customer's
//! *valid-from* marks (kept with the customer in D1, so they are consistent): a token created
//! before the mark is void. Redeeming a token moves the mark past it, so a token works once;
//! `invalidateOlderTokens`, a reset, a confirmation and a `changeEmail` move it too.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::messages::Payload;
use super::{AuthenticationMode, StoredCustomer};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::{new_token, new_uuid, Random};
use crate::domain::message::{reference, Message};
use crate::domain::password;
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{next_version, Updated};
use crate::domain::time::iso_millis;
use crate::domain::version::{self, Version};

/// Password tokens live 24 hours unless asked otherwise (commercetools' current default).
pub const DEFAULT_PASSWORD_TOKEN_TTL_MINUTES: u32 = 1_440;
/// Longest token life accepted (our limit: 30 days).
pub const MAX_TOKEN_TTL_MINUTES: u32 = 43_200;
/// Token messages carry the value only for tokens that live at most this long.
const MAX_TTL_WITH_VALUE_IN_MESSAGE: u32 = 60;

/// CustomerSignin. The cart fields are accepted; there is no cart service here, so no cart is
/// merged or returned.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInDraft {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub anonymous_cart: Option<Value>,
    #[serde(default)]
    pub anonymous_cart_sign_in_mode: Option<AnonymousCartSignInMode>,
    #[serde(default)]
    pub anonymous_id: Option<String>,
    #[serde(default)]
    pub update_product_data: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum AnonymousCartSignInMode {
    MergeWithExistingCustomerCart,
    UseAsNewActiveCustomerCart,
}

/// CustomerChangePassword.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordDraft {
    pub id: String,
    pub version: Version,
    pub current_password: String,
    pub new_password: String,
}

/// CustomerCreatePasswordResetToken.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordTokenDraft {
    pub email: String,
    #[serde(default)]
    pub ttl_minutes: Option<u32>,
    #[serde(default)]
    pub invalidate_older_tokens: Option<bool>,
}

/// CustomerResetPassword.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordDraft {
    pub token_value: String,
    pub new_password: String,
    #[serde(default)]
    pub version: Option<Version>,
}

/// CustomerCreateEmailToken.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailTokenDraft {
    pub id: String,
    #[serde(default)]
    pub version: Option<Version>,
    pub ttl_minutes: u32,
    #[serde(default)]
    pub invalidate_older_tokens: Option<bool>,
}

/// CustomerEmailVerify.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmEmailDraft {
    pub token_value: String,
    #[serde(default)]
    pub version: Option<Version>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    Password,
    Email,
}

impl TokenKind {
    fn reference_type(self) -> &'static str {
        match self {
            TokenKind::Password => "customer-password-token",
            TokenKind::Email => "customer-email-token",
        }
    }

    fn expired(self) -> ApiError {
        match self {
            TokenKind::Password => ApiError::ExpiredCustomerPasswordToken,
            TokenKind::Email => ApiError::ExpiredCustomerEmailToken,
        }
    }
}

/// What is kept about a token (in KV, under the SHA-256 of its value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    pub id: String,
    pub project: String,
    pub customer_id: String,
    pub kind: TokenKind,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub invalidate_older_tokens: bool,
}

/// A new token: its record, its value (shown once), the CustomerToken answer, and the message.
#[derive(Debug)]
pub struct Issued {
    pub record: TokenRecord,
    pub value: String,
    pub response: Value,
    pub message: Message,
    /// The customer with its valid-from mark moved, if older tokens are invalidated.
    pub stored: Option<StoredCustomer>,
}

/// Checks a requested token life.
pub fn ttl_minutes(requested: Option<u32>, default: u32) -> Result<u32, ApiError> {
    let ttl = requested.unwrap_or(default);
    if (1..=MAX_TOKEN_TTL_MINUTES).contains(&ttl) {
        Ok(ttl)
    } else {
        Err(ApiError::InvalidField {
            field: "ttlMinutes".into(),
            invalid_value: ttl.into(),
            message: Some(format!(
                "The value {ttl} is not valid for field ttlMinutes: it must be between 1 and {MAX_TOKEN_TTL_MINUTES}."
            )),
        })
    }
}

/// Issues a token of `kind` for the customer, living `ttl_minutes`; with
/// `invalidate_older_tokens` the tokens of that kind issued before are void.
pub fn issue_token(
    stored: &StoredCustomer,
    project: &str,
    (kind, ttl_minutes, invalidate_older_tokens): (TokenKind, u32, bool),
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> Issued {
    let value = new_token(rng);
    let record = TokenRecord {
        id: new_uuid(rng),
        project: project.to_string(),
        customer_id: stored.customer.meta.id.clone(),
        kind,
        created_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(i64::from(ttl_minutes) * 60_000),
        invalidate_older_tokens,
    };
    let now = iso_millis(now_ms);
    let expires_at = iso_millis(record.expires_at_ms);
    let shown = (ttl_minutes <= MAX_TTL_WITH_VALUE_IN_MESSAGE).then(|| value.clone());
    let payload = match kind {
        TokenKind::Password => Payload::CustomerPasswordTokenCreated {
            customer_id: record.customer_id.clone(),
            expires_at: expires_at.clone(),
            value: shown,
            invalidate_older_tokens,
        },
        TokenKind::Email => Payload::CustomerEmailTokenCreated {
            customer_id: record.customer_id.clone(),
            expires_at: expires_at.clone(),
            value: shown,
            invalidate_older_tokens,
        },
    };
    let message =
        Message::about_reference(reference(kind.reference_type(), &record.id), 1, 1, &payload)
            .sent(&now, by, rng);
    let response = json!({
        "id": record.id,
        "customerId": record.customer_id,
        "value": value,
        "expiresAt": expires_at,
        "invalidateOlderTokens": invalidate_older_tokens,
        "createdAt": now,
        "lastModifiedAt": now,
        "createdBy": by,
        "lastModifiedBy": by,
    });
    let stored = invalidate_older_tokens.then(|| {
        // Tokens created before this one are void; this one (created at `now_ms`) stands.
        let mut stored = stored.clone();
        match kind {
            TokenKind::Password => stored.void_password_tokens(now_ms - 1),
            TokenKind::Email => stored.void_email_tokens(now_ms - 1),
        }
        stored
    });
    Issued {
        record,
        value,
        response,
        message,
        stored,
    }
}

/// 404 for a token that does not exist (or no longer does).
pub fn token_not_found() -> ApiError {
    ApiError::ResourceNotFound {
        message: "The token was not found. It may have been used or invalidated.".into(),
    }
}

/// Whether `record` is a live token of `kind` for `stored`: expired → 400 `Expired…Token`;
/// used or invalidated (created before the customer's valid-from mark) → 404.
pub fn check_token(
    record: &TokenRecord,
    kind: TokenKind,
    stored: &StoredCustomer,
    now_ms: i64,
) -> Result<(), ApiError> {
    let valid_from = match kind {
        TokenKind::Password => stored.password_tokens_valid_from,
        TokenKind::Email => stored.email_tokens_valid_from,
    };
    if record.kind != kind
        || record.customer_id != stored.customer.meta.id
        || record.created_at_ms < valid_from
    {
        return Err(token_not_found());
    }
    if now_ms >= record.expires_at_ms {
        return Err(kind.expired());
    }
    Ok(())
}

/// Only the expiry, for a record read before the customer is (its checks come later).
pub fn check_expiry(record: &TokenRecord, kind: TokenKind, now_ms: i64) -> Result<(), ApiError> {
    if record.kind != kind {
        return Err(token_not_found());
    }
    if now_ms >= record.expires_at_ms {
        return Err(kind.expired());
    }
    Ok(())
}

/// The version check of a write whose version is optional.
fn check_version(stored: &StoredCustomer, expected: Option<Version>) -> ApiResult<()> {
    match expected {
        Some(expected) => Ok(version::check(expected, stored.customer.meta.version)?),
        None => Ok(()),
    }
}

/// Changes the password (the current one has been verified). `CustomerPasswordUpdated`
/// with `reset: false`. Outstanding password-reset tokens are void: they were issued for the
/// old password. With `end_sessions` (a change by the customer, on `/me/password`) every OAuth
/// session of the customer begun before is void too, the one making the change included; a
/// back-office change keeps them.
pub fn change_password(
    stored: &StoredCustomer,
    (expected_version, end_sessions): (Version, bool),
    new_hash: String,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Updated<StoredCustomer>> {
    check_version(stored, Some(expected_version))?;
    let mut changed = stored.clone().with_password_hash(new_hash);
    changed.void_password_tokens(now_ms);
    if end_sessions {
        changed.void_sessions(now_ms);
    }
    let payload = Payload::CustomerPasswordUpdated { reset: false };
    Ok(next_version(changed, Some(&payload), now_ms, by, rng))
}

/// Resets the password with a checked token; every password token issued so far is void, and
/// so is every OAuth session (access and refresh token) of the customer begun before.
pub fn reset_password(
    stored: &StoredCustomer,
    expected_version: Option<Version>,
    new_hash: String,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Updated<StoredCustomer>> {
    check_version(stored, expected_version)?;
    let mut changed = stored.clone().with_password_hash(new_hash);
    changed.void_password_tokens(now_ms);
    changed.void_sessions(now_ms);
    let payload = Payload::CustomerPasswordUpdated { reset: true };
    Ok(next_version(changed, Some(&payload), now_ms, by, rng))
}

/// Marks the email verified with a checked token; every email token issued so far is void.
/// Confirming an email that is verified already changes nothing but the tokens.
pub fn confirm_email(
    stored: &StoredCustomer,
    expected_version: Option<Version>,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Updated<StoredCustomer>> {
    check_version(stored, expected_version)?;
    let mut changed = stored.clone();
    changed.void_email_tokens(now_ms);
    if changed.customer.is_email_verified {
        return Ok(Updated {
            state: changed,
            messages: Vec::new(),
        });
    }
    changed.customer.is_email_verified = true;
    let payload = Payload::CustomerEmailVerified {};
    Ok(next_version(changed, Some(&payload), now_ms, by, rng))
}

/// Password flows (tokens, change, reset) need a customer in `Password` mode.
pub fn require_password_mode(stored: &StoredCustomer) -> Result<(), ApiError> {
    if stored.customer.authentication_mode == AuthenticationMode::ExternalAuth {
        return Err(ApiError::InvalidOperation {
            message: "The customer authenticates externally (authenticationMode ExternalAuth) and has no password.".into(),
        });
    }
    Ok(())
}

/// Whether a customer may sign in with a password here: it has one, and it belongs to the
/// sign-in's store (a global sign-in takes global customers only; an in-store sign-in takes
/// customers of that store and global ones).
pub fn may_sign_in(stored: &StoredCustomer, store: Option<&str>) -> bool {
    let in_scope = match store {
        None => stored.customer.stores.is_empty(),
        Some(store) => stored.customer.visible_in_store(store),
    };
    in_scope && stored.password_hash.is_some()
}

/// A hash a failed lookup is checked against, so an unknown email costs the same time as a
/// wrong password.
pub fn decoy_hash(iterations: u32) -> String {
    password::format(
        &[0u8; password::SALT_LEN],
        iterations,
        &[0u8; password::DERIVED_LEN],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::testing::{self, CREATED_AT as NOW};
    use crate::domain::ids::CountingRandom;

    fn v(n: u64) -> Version {
        Version::new(n).unwrap()
    }

    fn customer(draft: Value) -> StoredCustomer {
        testing::customer(draft)
    }

    fn by() -> ClientLogging {
        ClientLogging::client("c")
    }

    #[test]
    fn issued_tokens_are_unguessable_and_expire_by_the_clock() {
        let c = customer(json!({"email": "a@b.c", "password": "pw"}));
        let issued = issue_token(
            &c,
            "demo",
            (TokenKind::Password, 30, false),
            NOW,
            &by(),
            &mut CountingRandom(5),
        );
        assert_eq!(issued.value.len(), 43);
        assert!(issued
            .value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        assert_eq!(issued.record.expires_at_ms, NOW + 30 * 60_000);
        assert_eq!(issued.response["customerId"], c.customer.meta.id.as_str());
        assert_eq!(issued.response["value"], issued.value.as_str());
        assert_eq!(issued.response["expiresAt"], "2023-11-14T22:43:20.000Z");
        assert!(issued.stored.is_none());
        assert!(check_token(&issued.record, TokenKind::Password, &c, NOW).is_ok());
        assert!(check_token(
            &issued.record,
            TokenKind::Password,
            &c,
            NOW + 30 * 60_000 - 1
        )
        .is_ok());
        assert_eq!(
            check_token(&issued.record, TokenKind::Password, &c, NOW + 30 * 60_000),
            Err(ApiError::ExpiredCustomerPasswordToken)
        );
        assert!(matches!(
            check_token(&issued.record, TokenKind::Email, &c, NOW),
            Err(ApiError::ResourceNotFound { .. })
        ));
    }

    #[test]
    fn token_messages_show_the_value_only_for_short_lives() {
        let c = customer(json!({"email": "a@b.c", "password": "pw"}));
        let short = issue_token(
            &c,
            "demo",
            (TokenKind::Email, 60, true),
            NOW,
            &by(),
            &mut CountingRandom(1),
        );
        let json: Value = serde_json::from_str(&short.message.to_json_string()).unwrap();
        assert_eq!(json["type"], "CustomerEmailTokenCreated");
        assert_eq!(json["value"], short.value.as_str());
        assert_eq!(json["resource"]["typeId"], "customer-email-token");
        assert_eq!(json["invalidateOlderTokens"], true);
        let long = issue_token(
            &c,
            "demo",
            (TokenKind::Password, 61, false),
            NOW,
            &by(),
            &mut CountingRandom(2),
        );
        let json: Value = serde_json::from_str(&long.message.to_json_string()).unwrap();
        assert_eq!(json["type"], "CustomerPasswordTokenCreated");
        assert!(json.get("value").is_none());
    }

    #[test]
    fn invalidate_older_tokens_voids_earlier_ones() {
        let c = customer(json!({"email": "a@b.c", "password": "pw"}));
        let first = issue_token(
            &c,
            "demo",
            (TokenKind::Password, 60, false),
            NOW,
            &by(),
            &mut CountingRandom(1),
        );
        let second = issue_token(
            &c,
            "demo",
            (TokenKind::Password, 60, true),
            NOW + 5,
            &by(),
            &mut CountingRandom(2),
        );
        let c2 = second.stored.clone().unwrap();
        assert!(check_token(&first.record, TokenKind::Password, &c2, NOW + 6).is_err());
        assert!(check_token(&second.record, TokenKind::Password, &c2, NOW + 6).is_ok());
        // Email tokens are not touched by password tokens.
        let email = issue_token(
            &c,
            "demo",
            (TokenKind::Email, 60, false),
            NOW,
            &by(),
            &mut CountingRandom(3),
        );
        assert!(check_token(&email.record, TokenKind::Email, &c2, NOW + 6).is_ok());
    }

    #[test]
    fn reset_changes_the_password_once() {
        let c = customer(json!({"email": "a@b.c", "password": "pw"}));
        let token = issue_token(
            &c,
            "demo",
            (TokenKind::Password, 60, false),
            NOW,
            &by(),
            &mut CountingRandom(1),
        );
        let reset = reset_password(
            &c,
            None,
            "$h$new$NEW1".into(),
            NOW + 10,
            &by(),
            &mut CountingRandom(9),
        )
        .unwrap();
        assert_eq!(reset.state.password_hash.as_deref(), Some("$h$new$NEW1"));
        assert_eq!(reset.state.customer.password.as_deref(), Some("****NEW1"));
        assert_eq!(reset.state.customer.meta.version, 2);
        assert_eq!(reset.state.sessions_valid_from, NOW + 11);
        let m: Value = serde_json::from_str(&reset.messages[0].to_json_string()).unwrap();
        assert_eq!(m["type"], "CustomerPasswordUpdated");
        assert_eq!(m["reset"], true);
        assert_eq!(m["resourceVersion"], 2);
        // The token (and any other issued before the reset) is now void.
        assert!(check_token(&token.record, TokenKind::Password, &reset.state, NOW + 11).is_err());
        assert!(matches!(
            reset_password(&c, Some(v(7)), "h".into(), NOW, &by(), &mut CountingRandom(0)),
            Err(e) if matches!(e.first(), Some(ApiError::ConcurrentModification { current: Some(1), .. }))
        ));
    }

    #[test]
    fn change_password_needs_the_version() {
        let c = customer(json!({"email": "a@b.c", "password": "pw"}));
        let changed = change_password(
            &c,
            (v(1), false),
            "$h$x$CHG1".into(),
            NOW,
            &by(),
            &mut CountingRandom(0),
        )
        .unwrap();
        assert_eq!(changed.state.customer.meta.version, 2);
        let m: Value = serde_json::from_str(&changed.messages[0].to_json_string()).unwrap();
        assert_eq!(m["reset"], false);
        // Reset tokens issued before the change are void; sessions stay.
        assert_eq!(changed.state.password_tokens_valid_from, NOW + 1);
        assert_eq!(changed.state.sessions_valid_from, 0);
        let ended = change_password(
            &c,
            (v(1), true),
            "h".into(),
            NOW,
            &by(),
            &mut CountingRandom(0),
        );
        assert_eq!(ended.unwrap().state.sessions_valid_from, NOW + 1);
        let stale = (v(2), false);
        assert!(
            change_password(&c, stale, "h".into(), NOW, &by(), &mut CountingRandom(0)).is_err()
        );
    }

    #[test]
    fn confirm_email_verifies_once() {
        let c = customer(json!({"email": "a@b.c", "password": "pw"}));
        let token = issue_token(
            &c,
            "demo",
            (TokenKind::Email, 60, false),
            NOW,
            &by(),
            &mut CountingRandom(1),
        );
        let confirmed =
            confirm_email(&c, Some(v(1)), NOW + 1, &by(), &mut CountingRandom(2)).unwrap();
        assert!(confirmed.state.customer.is_email_verified);
        assert_eq!(confirmed.state.customer.meta.version, 2);
        assert_eq!(confirmed.messages[0].type_name(), "CustomerEmailVerified");
        assert!(check_token(&token.record, TokenKind::Email, &confirmed.state, NOW + 2).is_err());
        let again = confirm_email(
            &confirmed.state,
            None,
            NOW + 3,
            &by(),
            &mut CountingRandom(3),
        )
        .unwrap();
        assert_eq!(again.state.customer.meta.version, 2);
        assert!(again.messages.is_empty());
    }

    #[test]
    fn sign_in_scope() {
        let global = customer(json!({"email": "a@b.c", "password": "pw"}));
        let store =
            customer(json!({"email": "a@b.c", "password": "pw", "stores": [{"key": "s1"}]}));
        let external = customer(json!({"email": "a@b.c", "authenticationMode": "ExternalAuth"}));
        assert!(may_sign_in(&global, None));
        assert!(may_sign_in(&global, Some("s1")));
        assert!(!may_sign_in(&store, None));
        assert!(may_sign_in(&store, Some("s1")));
        assert!(!may_sign_in(&store, Some("s2")));
        assert!(!may_sign_in(&external, None));
    }

    #[test]
    fn ttl_bounds() {
        assert_eq!(ttl_minutes(None, 1440), Ok(1440));
        assert_eq!(ttl_minutes(Some(1), 1440), Ok(1));
        assert!(ttl_minutes(Some(0), 1440).is_err());
        assert!(ttl_minutes(Some(MAX_TOKEN_TTL_MINUTES + 1), 1440).is_err());
    }

    #[test]
    fn decoy_hash_parses_and_never_matches() {
        let decoy = decoy_hash(1_000);
        let parsed = password::parse(&decoy).unwrap();
        assert_eq!(parsed.iterations, 1_000);
        assert!(!password::verify("", &decoy));
        assert!(!password::verify("anything", &decoy));
    }
}
