//! Sign-in and credentials, global and in-store: `login`, `customers/password`,
//! `customers/password-token`, `customers/password-token={token}`, `customers/password/reset`,
//! `customers/email-token`, `customers/email-token={token}`, `customers/email/confirm`.

use worker::{Env, Request, Response};

use super::customers::{write, writer_command};
use super::{authorize, check_store_key, manage_customers};
use crate::domain::auth::StoreReach;
use crate::domain::auth::{customer_scopes, Access};
use crate::domain::credentials::{
    self, ChangePasswordDraft, ConfirmEmailDraft, EmailTokenDraft, PasswordTokenDraft,
    ResetPasswordDraft, SignInDraft, TokenKind, TokenRecord,
};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::version::Version;
use crate::domain::{password, validate};
use crate::http::respond;
use crate::http::route::{Credential, Target};
use crate::store::customer_writer::{self, store_failure, Caller, Write};
use crate::store::platform::request_now;
use crate::store::{config, customers, passwords, throttle, tokens};

pub async fn handle(
    req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    endpoint: Credential,
) -> ApiResult<Response> {
    check_store_key(store)?;
    match endpoint {
        Credential::Login => sign_in(req, env, project, store).await,
        Credential::ChangePassword => change_password(req, env, project, store).await,
        Credential::PasswordToken => password_token(req, env, project, store).await,
        Credential::ByPasswordToken(token) => {
            by_token(req, env, project, store, TokenKind::Password, &token).await
        }
        Credential::ResetPassword => reset_password(req, env, project, store).await,
        Credential::EmailToken => email_token(req, env, project, store).await,
        Credential::ByEmailToken(token) => {
            by_token(req, env, project, store, TokenKind::Email, &token).await
        }
        Credential::ConfirmEmail => confirm_email(req, env, project, store).await,
    }
}

fn internal(context: &str) -> impl Fn(worker::Error) -> crate::domain::error::Rejection + '_ {
    move |e| respond::internal(context, e)
}

/// A new password must not be empty.
fn check_new_password(field: &str, value: &str) -> ApiResult<()> {
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
fn client_address(req: &Request) -> String {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into())
}

/// Checks a customer's email and password for a sign-in (`/login` or the password flow):
/// throttled per email and per client address (429 while too many failures are recent); an
/// unknown email is checked against a decoy hash, so every failure costs about the same time;
/// a password stored with fewer iterations than configured is re-hashed.
pub async fn check_credentials(
    req: &Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    email: &str,
    plain: &str,
    client_id: &str,
) -> ApiResult<Checked> {
    let attempt = throttle::Attempt::new(
        project,
        email,
        &client_address(req),
        config::throttle_limits(env),
        request_now(req, env),
    );
    let delay_ms = match attempt.begin(env).await.map_err(internal("throttle"))? {
        throttle::Started::Refused {
            retry_after_seconds,
        } => {
            return Err(ApiError::TooManyRequests {
                retry_after_seconds,
            }
            .into())
        }
        throttle::Started::Allowed { delay_ms } => delay_ms,
    };
    let iterations = config::pbkdf2_iterations(env);
    let db = customers::database(env).map_err(internal("D1 binding"))?;
    let found = customers::for_sign_in(&db, project, &validate::lowercase_email(email), store)
        .await
        .map_err(|e| store_failure("sign-in lookup", e))?
        .filter(|s| credentials::may_sign_in(s, store));
    let hash = match &found {
        Some(stored) => stored.password_hash.clone().unwrap_or_default(),
        None => credentials::decoy_hash(iterations),
    };
    let matches = passwords::verify(plain, &hash)
        .await
        .map_err(internal("password check"))?;
    let Some(stored) = found.filter(|_| matches) else {
        // The attempt is already counted as a failure.
        if delay_ms > 0 {
            worker::Delay::from(std::time::Duration::from_millis(delay_ms)).await;
        }
        return Ok(Checked::Invalid);
    };
    attempt.succeeded(env).await.map_err(internal("throttle"))?;
    let mut doc = stored.customer.to_json_string();
    if password::needs_rehash(&hash, iterations) {
        // Raise the cost of an old hash now that the password is at hand. Best effort: a
        // failure here must not fail a correct sign-in (the next one tries again).
        match rehash(
            req,
            env,
            project,
            store,
            &stored.customer,
            hash,
            plain,
            client_id,
        )
        .await
        {
            Ok(Some(rehashed)) => doc = rehashed,
            Ok(None) => {}
            Err(e) => worker::console_error!("re-hash after sign-in: {e}"),
        }
    }
    Ok(Checked::Valid {
        customer_id: stored.customer.id,
        doc,
    })
}

/// Replaces a weaker hash; the customer's new representation if it was replaced.
#[allow(clippy::too_many_arguments)]
async fn rehash(
    req: &Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    customer: &crate::domain::customer::Customer,
    old_hash: String,
    plain: &str,
    client_id: &str,
) -> worker::Result<Option<String>> {
    let new_hash = passwords::hash(plain, config::pbkdf2_iterations(env)).await?;
    let rehash = Write::Rehash {
        version: customer.version,
        old_hash,
        new_hash,
    };
    let id = customer.id.clone();
    let caller = Caller {
        client_id: client_id.to_string(),
        // A re-hash follows the caller's own sign-in; it changes no one else's data.
        reach: StoreReach::Project,
    };
    let command = writer_command(req, env, project, store, id, caller, rehash);
    let mut response = customer_writer::send(env, &command).await?;
    Ok(if response.status_code() == 200 {
        Some(response.text().await?)
    } else {
        None
    })
}

/// `POST …/login`: 200 `{customer}` or 400 `InvalidCredentials`, the same answer for an
/// unknown email, a wrong password and a customer who cannot sign in here.
async fn sign_in(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, SignInDraft) = manage_customers(&mut req, env, project, store).await?;
    match check_credentials(
        &req,
        env,
        project,
        store,
        &draft.email,
        &draft.password,
        &grant.client_id,
    )
    .await?
    {
        Checked::Valid { doc, .. } => Ok(respond::json(200, format!("{{\"customer\":{doc}}}"))),
        Checked::Invalid => Err(ApiError::InvalidCredentials.into()),
    }
}

/// `POST …/customers/password`: checks the current password, sets the new one.
async fn change_password(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, ChangePasswordDraft) =
        manage_customers(&mut req, env, project, store).await?;
    check_new_password("newPassword", &draft.new_password)?;
    let change = Write::ChangePassword {
        version: draft.version.get(),
        current_password: draft.current_password,
        new_password: draft.new_password,
    };
    let target = Target::Id(draft.id.clone());
    let caller = Caller::of(&grant, project);
    let command = writer_command(&req, env, project, store, draft.id, caller, change);
    write(env, &target, command).await
}

/// `POST …/customers/password-token`: a reset token for the customer with this email.
async fn password_token(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, PasswordTokenDraft) =
        manage_customers(&mut req, env, project, store).await?;
    let ttl = credentials::ttl_minutes(draft.ttl_minutes, config::password_token_ttl_minutes(env))?;
    let db = customers::database(env).map_err(internal("D1 binding"))?;
    let customer = customers::for_sign_in(
        &db,
        project,
        &validate::lowercase_email(&draft.email),
        store,
    )
    .await
    .map_err(|e| store_failure("customer lookup", e))?
    .ok_or_else(|| ApiError::ResourceNotFound {
        message: format!("The Customer with email '{}' was not found.", draft.email),
    })?;
    let issue = Write::IssueToken {
        kind: TokenKind::Password,
        ttl_minutes: ttl,
        invalidate_older_tokens: draft.invalidate_older_tokens.unwrap_or(false),
        version: None,
    };
    let id = customer.customer.id;
    let command = writer_command(
        &req,
        env,
        project,
        store,
        id.clone(),
        Caller::of(&grant, project),
        issue,
    );
    write(env, &Target::Id(id), command).await
}

/// `POST …/customers/email-token`: a verification token for the customer with this id.
async fn email_token(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, EmailTokenDraft) =
        manage_customers(&mut req, env, project, store).await?;
    let ttl = credentials::ttl_minutes(Some(draft.ttl_minutes), draft.ttl_minutes)?;
    let issue = Write::IssueToken {
        kind: TokenKind::Email,
        ttl_minutes: ttl,
        invalidate_older_tokens: draft.invalidate_older_tokens.unwrap_or(false),
        version: draft.version.map(Version::get),
    };
    let target = Target::Id(draft.id.clone());
    let caller = Caller::of(&grant, project);
    let command = writer_command(&req, env, project, store, draft.id, caller, issue);
    write(env, &target, command).await
}

/// The token record behind a value, if it is a token of this project; expired → 400.
async fn live_record(
    req: &Request,
    env: &Env,
    project: &str,
    kind: TokenKind,
    value: &str,
) -> ApiResult<TokenRecord> {
    let record = tokens::load_customer_token(env, value)
        .await
        .map_err(internal("token lookup"))?
        .filter(|r| r.project == project)
        .ok_or_else(credentials::token_not_found)?;
    credentials::check_expiry(&record, kind, request_now(req, env))?;
    Ok(record)
}

/// `GET …/customers/password-token={token}` and `…/email-token={token}`: the customer.
async fn by_token(
    req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
    kind: TokenKind,
    value: &str,
) -> ApiResult<Response> {
    authorize(&req, env, &customer_scopes(Access::View, project, store)).await?;
    let record = live_record(&req, env, project, kind, value).await?;
    let db = customers::database(env).map_err(internal("D1 binding"))?;
    let stored = customers::load(&db, project, &record.customer_id)
        .await
        .map_err(|e| store_failure("load customer", e))?
        .filter(|s| store.is_none_or(|st| s.customer.visible_in_store(st)))
        .ok_or_else(credentials::token_not_found)?;
    credentials::check_token(&record, kind, &stored, request_now(&req, env))?;
    Ok(respond::json(200, stored.customer.to_json_string()))
}

/// `POST …/customers/password/reset`: a new password with a reset token (once).
async fn reset_password(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, ResetPasswordDraft) =
        manage_customers(&mut req, env, project, store).await?;
    check_new_password("newPassword", &draft.new_password)?;
    let record = live_record(&req, env, project, TokenKind::Password, &draft.token_value).await?;
    let id = record.customer_id.clone();
    let reset = Write::ResetPassword {
        token: record,
        new_password: draft.new_password,
        version: draft.version.map(Version::get),
    };
    let command = writer_command(
        &req,
        env,
        project,
        store,
        id.clone(),
        Caller::of(&grant, project),
        reset,
    );
    token_write(env, &id, command).await
}

/// `POST …/customers/email/confirm`: marks the email verified with a token (once).
async fn confirm_email(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let (grant, draft): (_, ConfirmEmailDraft) =
        manage_customers(&mut req, env, project, store).await?;
    let record = live_record(&req, env, project, TokenKind::Email, &draft.token_value).await?;
    let id = record.customer_id.clone();
    let confirm = Write::ConfirmEmail {
        token: record,
        version: draft.version.map(Version::get),
    };
    let command = writer_command(
        &req,
        env,
        project,
        store,
        id.clone(),
        Caller::of(&grant, project),
        confirm,
    );
    token_write(env, &id, command).await
}

/// A token redemption: a customer the token's store cannot see, or a deleted one, means the
/// token leads nowhere (404 for the token, not for a customer id the caller never gave).
async fn token_write(
    env: &Env,
    id: &str,
    command: customer_writer::WriterCommand,
) -> ApiResult<Response> {
    let response = write(env, &Target::Id(id.to_string()), command).await?;
    if response.status_code() == 404 {
        return Err(credentials::token_not_found().into());
    }
    Ok(response)
}
