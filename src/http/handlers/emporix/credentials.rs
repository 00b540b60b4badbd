//! Passwords and the login email: `POST /password/change`, `/password/reset`,
//! `/password/reset/update`, `/me/accounts/internal/email/change` and `…/confirm`. The
//! shared credential writes do the work (throttling, hashing, token marks); reset and email
//! tokens go out through their `Customer…TokenCreated` messages (they live an hour, so the
//! message carries the value).

use serde::Deserialize;

use super::profile::{issue_email_token, EMAIL_TOKEN_MINUTES};
use super::{body_of, empty, Answer, Emporix};
use crate::domain::customer::actions::UpdateAction;
use crate::domain::customer::credentials::{self, ResetPasswordDraft, TokenKind};
use crate::domain::customer::writes::Write;
use crate::domain::emporix::errors::Failure;
use crate::domain::emporix::scopes::EmporixScope;
use crate::domain::validate;
use crate::domain::values::Email;
use crate::domain::version::Version;
use crate::http::handlers::credentials::{
    begin_attempt, check_credentials, check_new_password, redeem_password_token, slow_down, Checked,
};
use crate::store::emporix::{self, PendingEmail};
use crate::store::{customers, tokens};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeBody {
    current_password: String,
    new_password: String,
}

/// `POST /password/change` `{currentPassword, newPassword}`: the shared password change,
/// counted in the sign-in throttling of the customer's email until it succeeds. The
/// customer's sessions stay (the storefront keeps its token).
pub async fn change_password(mut x: Emporix) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    let body: ChangeBody = x.body().await?;
    check_new_password("newPassword", &body.new_password)?;
    let stored = x.load(&id).await?;
    let (attempt, delay_ms) = begin_attempt(&x.call, stored.customer.email.as_str()).await?;
    let change = Write::ChangePassword {
        version: Version::stored(stored.customer.meta.version),
        current_password: body.current_password,
        new_password: body.new_password,
        end_sessions: false,
    };
    match x.write(&id, change).await {
        Ok(_) => {
            attempt.succeeded(&x.call.env).await?;
            empty(204)
        }
        Err(failure) => {
            slow_down(delay_ms).await;
            Err(failure)
        }
    }
}

#[derive(Deserialize)]
struct ResetBody {
    email: String,
}

/// `POST /password/reset` `{email, site?}`: a reset token for the customer with this email,
/// if there is one; 204 either way, so nobody learns which emails exist.
pub async fn reset_password(mut x: Emporix) -> Answer {
    x.bearer().await?;
    let body: ResetBody = x.body().await?;
    let email = validate::lowercase_email(&body.email);
    let found = customers::for_sign_in(&x.call.session, x.project(), &email, None).await?;
    if let Some(found) = found.filter(|s| credentials::may_sign_in(s, None)) {
        let issue = Write::IssueToken {
            kind: TokenKind::Password,
            ttl_minutes: EMAIL_TOKEN_MINUTES,
            invalidate_older_tokens: false,
            version: None,
        };
        if let Err(failure) = x.write(&found.customer.meta.id, issue).await {
            // An ExternalAuth customer has no password to reset: the same answer.
            worker::console_log!("emporix password reset: {:?}", failure.status());
        }
    }
    empty(204)
}

#[derive(Deserialize)]
struct ResetUpdateBody {
    token: String,
    password: String,
}

/// `POST /password/reset/update` `{token, password}`: the shared reset (the token works
/// once; the customer's sessions end).
pub async fn reset_update(mut x: Emporix) -> Answer {
    x.bearer().await?;
    let body: ResetUpdateBody = x.body().await?;
    let draft = ResetPasswordDraft {
        token_value: body.token,
        new_password: body.password,
        version: None,
    };
    body_of(redeem_password_token(&x.call, draft, true).await?).await?;
    empty(204)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailChangeBody {
    email: String,
    password: String,
    new_email: String,
    /// Type-checked only: the contact email is the login email here, so it always follows.
    #[serde(default)]
    #[allow(dead_code)]
    sync_contact_email: Option<bool>,
}

/// `POST /me/accounts/internal/email/change` `{email, password, newEmail}`: after the
/// (throttled) credential check, an email token for the new address; the change waits for
/// its confirmation.
pub async fn change_email(mut x: Emporix) -> Answer {
    let (grant, id) = x.customer(Some(EmporixScope::ProfileEdit)).await?;
    let body: EmailChangeBody = x.body().await?;
    let new_email = Email::parse("newEmail", &body.new_email)?;
    let checked = check_credentials(&x.call, &body.email, &body.password, &grant.client_id).await?;
    match checked {
        Checked::Valid { customer_id, .. } if customer_id == id => {}
        _ => {
            return Err(Failure::service(
                401,
                "unauthorized",
                "Invalid credentials.",
            ))
        }
    }
    let token = issue_email_token(&x, &id, false).await?;
    let pending = PendingEmail {
        project: x.project().to_string(),
        customer_id: id,
        new_email: new_email.as_str().to_string(),
    };
    let value = token["value"].as_str().unwrap_or_default();
    let ttl = u64::from(EMAIL_TOKEN_MINUTES) * 60;
    emporix::save_pending_email(&x.call.env, value, &pending, ttl).await?;
    empty(204)
}

#[derive(Deserialize)]
struct ConfirmBody {
    token: String,
}

/// `POST /me/accounts/internal/email/change/confirm` `{token}` (anonymous token): the
/// customer's `changeEmail`, which also voids the token.
pub async fn confirm_email(mut x: Emporix) -> Answer {
    x.bearer().await?;
    let body: ConfirmBody = x.body().await?;
    let env = &x.call.env;
    let pending = emporix::load_pending_email(env, &body.token)
        .await?
        .filter(|p| p.project == x.project())
        .ok_or_else(credentials::token_not_found)?;
    let record = tokens::load_customer_token(env, &body.token)
        .await?
        .filter(|r| r.project == x.project() && r.customer_id == pending.customer_id)
        .ok_or_else(credentials::token_not_found)?;
    credentials::check_expiry(&record, TokenKind::Email, x.call.now_ms)?;
    let now = x.call.now_ms;
    x.update(&pending.customer_id, |stored| {
        credentials::check_token(&record, TokenKind::Email, stored, now)?;
        let change = UpdateAction::ChangeEmail {
            email: pending.new_email.clone(),
        };
        Ok((None, vec![change]))
    })
    .await?;
    empty(204)
}
