//! Sign-in and credentials, global and in-store: `login`, `customers/password`,
//! `customers/password-token`, `customers/password-token={token}`, `customers/password/reset`,
//! `customers/email-token`, `customers/email-token={token}`, `customers/email/confirm`.

use worker::Response;

use super::customers::{authorize, manage, own_profile_command, send, write, writer_command};
use crate::domain::auth::Access;
use crate::domain::customer::credentials::{
    self, ChangePasswordDraft, ConfirmEmailDraft, EmailTokenDraft, PasswordTokenDraft,
    ResetPasswordDraft, SignInDraft, TokenKind, TokenRecord,
};
use crate::domain::customer::writes::{Caller, Write};
use crate::domain::customer::Customer;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::version::Version;
use crate::domain::{password, validate};
use crate::http::context::Call;
use crate::http::route::{Credential, Target};
use crate::http::{expand, respond};
use crate::store::customer_writes::CustomerWrites;
use crate::store::d1::Db;
use crate::store::{config, customers, passwords, throttle, tokens};

pub async fn handle(call: Call, endpoint: Credential) -> ApiResult<Response> {
    match endpoint {
        Credential::Login => sign_in(call).await,
        Credential::ChangePassword => change_password(call).await,
        Credential::PasswordToken => password_token(call).await,
        Credential::ByPasswordToken(token) => by_token(call, TokenKind::Password, &token).await,
        Credential::ResetPassword => reset_password(call).await,
        Credential::EmailToken => email_token(call).await,
        Credential::ByEmailToken(token) => by_token(call, TokenKind::Email, &token).await,
        Credential::ConfirmEmail => confirm_email(call).await,
    }
}

/// A new password must not be empty.
pub fn check_new_password(field: &str, value: &str) -> ApiResult<()> {
    if value.is_empty() {
        return Err(ApiError::InvalidField {
            field: field.into(),
            invalid_value: "".into(),
            message: Some(format!("The {field} must not be empty.")),
        }
        .into());
    }
    Ok(())
}

/// The outcome of a credential check that was not throttled.
pub enum Checked {
    Valid { customer_id: String, doc: String },
    Invalid,
}

/// The client address a sign-in attempt comes from (Cloudflare sets `CF-Connecting-IP`).
fn client_address(call: &Call) -> String {
    call.header("CF-Connecting-IP")
        .unwrap_or_else(|| "unknown".into())
}

/// Checks a customer's email and password for a sign-in (`/login` or the password flow) by
/// client `client_id`: throttled per email and per client address (429 while too many
/// failures are recent); an unknown email is checked against a decoy hash, so every failure
/// costs about the same time; a password stored with fewer iterations than configured is
/// re-hashed.
pub async fn check_credentials(
    call: &Call,
    email: &str,
    plain: &str,
    client_id: &str,
) -> ApiResult<Checked> {
    let (attempt, delay_ms) = begin_attempt(call, email).await?;
    let iterations = config::pbkdf2_iterations(&call.env);
    let lowercase = validate::lowercase_email(email);
    let found = customers::for_sign_in(&call.session, &call.project, &lowercase, call.store())
        .await?
        .filter(|s| credentials::may_sign_in(s, call.store()));
    let hash = match &found {
        Some(stored) => stored
            .password_hash
            .as_deref()
            .unwrap_or_default()
            .to_string(),
        None => credentials::decoy_hash(iterations),
    };
    let matches = passwords::verify(plain, &hash).await?;
    let Some(stored) = found.filter(|_| matches) else {
        // The attempt is already counted as a failure.
        slow_down(delay_ms).await;
        return Ok(Checked::Invalid);
    };
    attempt.succeeded(&call.env).await?;
    let mut doc = stored.customer.to_json_string();
    if password::needs_rehash(&hash, iterations) {
        // Raise the cost of an old hash now that the password is at hand. Best effort: a
        // failure here must not fail a correct sign-in (the next one tries again).
        match rehash(call, &stored.customer, hash, plain, client_id).await {
            Ok(Some(rehashed)) => doc = rehashed,
            Ok(None) => {}
            Err(e) => worker::console_error!("re-hash after sign-in: {:?}", e.first()),
        }
    }
    Ok(Checked::Valid {
        customer_id: stored.customer.meta.id,
        doc,
    })
}

/// Begins a password check for `email`, counted in the sign-in throttling per email and per
/// client address: 429 while too many failures are recent. The attempt counts as a failure
/// until `succeeded`; a failure is answered the returned delay (ms) later.
pub async fn begin_attempt(call: &Call, email: &str) -> ApiResult<(throttle::Attempt, u64)> {
    let limits = config::throttle_limits(&call.env);
    let attempt = throttle::Attempt::new(
        &call.project,
        email,
        &client_address(call),
        limits,
        call.now_ms,
    );
    match attempt.begin(&call.env).await? {
        throttle::Started::Refused {
            retry_after_seconds,
        } => Err(ApiError::TooManyRequests {
            retry_after_seconds,
        }
        .into()),
        throttle::Started::Allowed { delay_ms } => Ok((attempt, delay_ms)),
    }
}

/// Waits before a failed attempt is answered (the throttle's delay).
pub async fn slow_down(delay_ms: u64) {
    if delay_ms > 0 {
        worker::Delay::from(std::time::Duration::from_millis(delay_ms)).await;
    }
}

/// Replaces a weaker hash; the customer's new representation if it was replaced.
async fn rehash(
    call: &Call,
    customer: &Customer,
    old_hash: String,
    plain: &str,
    client_id: &str,
) -> ApiResult<Option<String>> {
    let new_hash = passwords::hash(plain, config::pbkdf2_iterations(&call.env)).await?;
    let rehash = Write::Rehash {
        version: Version::stored(customer.meta.version),
        old_hash,
        new_hash,
    };
    let id = customer.meta.id.clone();
    // A re-hash follows the caller's own sign-in; it changes no one else's data.
    let command = writer_command(call, id, Caller::internal(client_id), rehash);
    let reply = call.send_write::<CustomerWrites>(&command).await?;
    Ok((reply.status == 200).then_some(reply.body))
}

/// `POST …/login`: 200 `{customer}` or 400 `InvalidCredentials`, the same answer for an
/// unknown email, a wrong password and a customer who cannot sign in here.
async fn sign_in(mut call: Call) -> ApiResult<Response> {
    let (_, draft): (_, SignInDraft) = manage(&mut call).await?;
    sign_in_with(&call, &draft).await
}

/// A sign-in by the authorized caller: 200 `{customer}` (expanded as asked).
pub async fn sign_in_with(call: &Call, draft: &SignInDraft) -> ApiResult<Response> {
    let client_id = &call.grant().client_id;
    match check_credentials(call, &draft.email, &draft.password, client_id).await? {
        Checked::Valid { doc, .. } => {
            let body = format!("{{\"customer\":{doc}}}");
            Ok(respond::json(200, expand::single(call, body, true).await?))
        }
        Checked::Invalid => Err(ApiError::InvalidCredentials.into()),
    }
}

/// `POST …/customers/password`: checks the current password, sets the new one.
async fn change_password(mut call: Call) -> ApiResult<Response> {
    let (_, draft): (_, ChangePasswordDraft) = manage(&mut call).await?;
    check_new_password("newPassword", &draft.new_password)?;
    let change = Write::ChangePassword {
        version: draft.version,
        current_password: draft.current_password,
        new_password: draft.new_password,
        end_sessions: false,
    };
    write(&call, &Target::Id(draft.id), change).await
}

/// `POST …/customers/password-token`: a reset token for the customer with this email.
async fn password_token(mut call: Call) -> ApiResult<Response> {
    let (_, draft): (_, PasswordTokenDraft) = manage(&mut call).await?;
    let default_ttl = config::password_token_ttl_minutes(&call.env);
    let ttl = credentials::ttl_minutes(draft.ttl_minutes, default_ttl)?;
    let lowercase = validate::lowercase_email(&draft.email);
    let customer = customers::for_sign_in(&call.session, &call.project, &lowercase, call.store())
        .await?
        .ok_or_else(|| ApiError::ResourceNotFound {
            message: format!("The Customer with email '{}' was not found.", draft.email),
        })?;
    let issue = Write::IssueToken {
        kind: TokenKind::Password,
        ttl_minutes: ttl,
        invalidate_older_tokens: draft.invalidate_older_tokens.unwrap_or(false),
        version: None,
    };
    write(&call, &Target::Id(customer.customer.meta.id), issue).await
}

/// `POST …/customers/email-token`: a verification token for the customer with this id.
async fn email_token(mut call: Call) -> ApiResult<Response> {
    let (_, draft): (_, EmailTokenDraft) = manage(&mut call).await?;
    let ttl = credentials::ttl_minutes(Some(draft.ttl_minutes), draft.ttl_minutes)?;
    let issue = Write::IssueToken {
        kind: TokenKind::Email,
        ttl_minutes: ttl,
        invalidate_older_tokens: draft.invalidate_older_tokens.unwrap_or(false),
        version: draft.version,
    };
    write(&call, &Target::Id(draft.id), issue).await
}

/// The token record behind a value, if it is a token of this project; expired → 400.
async fn live_record(call: &Call, kind: TokenKind, value: &str) -> ApiResult<TokenRecord> {
    let record = tokens::load_customer_token(&call.env, value)
        .await?
        .filter(|r| r.project == *call.project)
        .ok_or_else(credentials::token_not_found)?;
    credentials::check_expiry(&record, kind, call.now_ms)?;
    Ok(record)
}

/// `GET …/customers/password-token={token}` and `…/email-token={token}`: the customer.
async fn by_token(mut call: Call, kind: TokenKind, value: &str) -> ApiResult<Response> {
    authorize(&mut call, Access::View).await?;
    let record = live_record(&call, kind, value).await?;
    let loaded = customers::load(
        &Db::for_customer(&call.env, &call.project, &record.customer_id)?,
        &call.project,
        &record.customer_id,
    )
    .await?;
    let stored = match loaded {
        Some(loaded) => Some(loaded.readable()?),
        None => None,
    }
    .filter(|s| {
        call.store()
            .is_none_or(|st| s.customer.visible_in_store(st))
    })
    .ok_or_else(credentials::token_not_found)?;
    credentials::check_token(&record, kind, &stored, call.now_ms)?;
    Ok(respond::json(200, stored.customer.to_json_string()))
}

/// `POST …/customers/password/reset`: a new password with a reset token (once).
async fn reset_password(mut call: Call) -> ApiResult<Response> {
    let (_, draft): (_, ResetPasswordDraft) = manage(&mut call).await?;
    redeem_password_token(&call, draft, false).await
}

/// A new password with a reset token, by the back office or (`own_profile`) through `/me`.
pub async fn redeem_password_token(
    call: &Call,
    draft: ResetPasswordDraft,
    own_profile: bool,
) -> ApiResult<Response> {
    check_new_password("newPassword", &draft.new_password)?;
    let record = live_record(call, TokenKind::Password, &draft.token_value).await?;
    let id = record.customer_id.clone();
    let reset = Write::ResetPassword {
        token: record,
        new_password: draft.new_password,
        version: draft.version,
    };
    token_write(call, id, reset, own_profile).await
}

/// `POST …/customers/email/confirm`: marks the email verified with a token (once).
async fn confirm_email(mut call: Call) -> ApiResult<Response> {
    let (_, draft): (_, ConfirmEmailDraft) = manage(&mut call).await?;
    redeem_email_token(&call, draft, false).await
}

/// Marks the email verified with a token, by the back office or (`own_profile`) through `/me`.
pub async fn redeem_email_token(
    call: &Call,
    draft: ConfirmEmailDraft,
    own_profile: bool,
) -> ApiResult<Response> {
    let record = live_record(call, TokenKind::Email, &draft.token_value).await?;
    let id = record.customer_id.clone();
    let confirm = Write::ConfirmEmail {
        token: record,
        version: draft.version,
    };
    token_write(call, id, confirm, own_profile).await
}

/// A token redemption: a customer the token's store cannot see, or a deleted one, means the
/// token leads nowhere (404 for the token, not for a customer id the caller never gave).
async fn token_write(
    call: &Call,
    id: String,
    redeem: Write,
    own_profile: bool,
) -> ApiResult<Response> {
    let response = if own_profile {
        send(call, &own_profile_command(call, id, redeem)).await?
    } else {
        write(call, &Target::Id(id), redeem).await?
    };
    if response.status_code() == 404 {
        return Err(credentials::token_not_found().into());
    }
    Ok(response)
}
