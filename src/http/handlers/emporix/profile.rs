//! The profile: `POST /signup` (the shared create path), `GET`/`PATCH`/`DELETE /me` (the
//! shared read, update and delete paths), and double opt-in (`GET /signup/optin/{token}`,
//! `POST /signup/optin/refresh_token`) for tenants that enable it.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{body_of, empty, json, session, Answer, Emporix};
use crate::domain::customer::credentials::{self, ConfirmEmailDraft, TokenKind};
use crate::domain::customer::writes::Write;
use crate::domain::customer::Customer;
use crate::domain::emporix::errors::Failure;
use crate::domain::emporix::profile;
use crate::domain::emporix::scopes::EmporixScope;
use crate::domain::error::{ApiError, Rejection};
use crate::domain::validate;
use crate::http::handlers::credentials::redeem_email_token;
use crate::http::handlers::customers;
use crate::store::{customers as stored, emporix, tokens};

/// Email tokens (opt-in, email change, deletion) live an hour, so their
/// `CustomerEmailTokenCreated` message carries the value for the mailer to send.
pub const EMAIL_TOKEN_MINUTES: u32 = 60;

/// Issues an email token for customer `id` (its value goes out through the message).
pub async fn issue_email_token(
    x: &Emporix,
    id: &str,
    invalidate_older: bool,
) -> Result<Value, Failure> {
    let issue = Write::IssueToken {
        kind: TokenKind::Email,
        ttl_minutes: EMAIL_TOKEN_MINUTES,
        invalidate_older_tokens: invalidate_older,
        version: None,
    };
    Ok(serde_json::from_str(&x.write(id, issue).await?)?)
}

fn duplicate_number(rejection: &Rejection) -> bool {
    matches!(rejection.first(), Some(ApiError::DuplicateField { field, .. }) if field == "customerNumber")
}

/// `POST /signup` (CustomerSignup) with an anonymous token: 201 `{id}`, the new customer's
/// number. The customer is created by the shared create path (`CustomerCreated`); in a
/// double opt-in tenant an email token goes out for the activation.
pub async fn sign_up(mut x: Emporix) -> Answer {
    let grant = x.bearer().await?;
    let bytes = x.call.body().await?;
    let draft = profile::signup_draft(&bytes)?;
    let reach = grant.sign_up_reach(x.project());
    for _ in 0..3 {
        let number = emporix::next_customer_number(&*x.call.db()?, x.project()).await?;
        let mut numbered = draft.clone();
        numbered.customer_number = Some(number.clone());
        match customers::sign_up(&x.call, &grant.client_id, &reach, numbered).await {
            Ok(response) => {
                let created: Value = serde_json::from_str(&body_of(response).await?)?;
                if x.config.double_opt_in {
                    let id = created["customer"]["id"].as_str().unwrap_or_default();
                    issue_email_token(&x, id, true).await?;
                }
                return json(201, &json!({"id": number}));
            }
            Err(rejection) if duplicate_number(&rejection) => continue,
            Err(rejection) => return Err(rejection.into()),
        }
    }
    Err(Failure::service(
        409,
        "conflict_resource",
        "No free customer number; try again.",
    ))
}

/// `GET /me[?expand=addresses]`: the customer's profile; Emporix's placeholder for an
/// anonymous token.
pub async fn get(mut x: Emporix) -> Answer {
    let grant = x.bearer().await?;
    let Some(id) = grant.customer_id.clone() else {
        return json(200, &profile::anonymous());
    };
    EmporixScope::CustomerReadOwn.require(&grant, x.project())?;
    let customer = x.load(&id).await?.customer;
    render(&x, customer).await
}

/// The profile answer (with its customer number assigned if it had none).
async fn render(x: &Emporix, customer: Customer) -> Answer {
    let (customer, number) = x.ensure_number(customer).await?;
    let expand = x.query("expand").unwrap_or_default();
    let with_addresses = expand.split(',').any(|e| e.trim() == "addresses");
    json(200, &profile::render(&customer, &number, with_addresses))
}

/// `PATCH /me` (merge patch): the patch as customer update actions, applied by the shared
/// update path; `metadata.version` must be the current version (409 otherwise). Answers
/// with the updated profile.
pub async fn patch(mut x: Emporix) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    let patch: Map<String, Value> = x.body().await?;
    let updated = x
        .update(&id, |stored| {
            Ok(profile::patch_actions(&stored.customer, &patch)?)
        })
        .await?;
    render(&x, updated).await
}

/// `DELETE /me`: without `token`, an email token goes out to confirm (202); with that
/// token, the customer is deleted (204).
pub async fn delete(mut x: Emporix) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    let Some(token) = x.query("token").filter(|t| !t.is_empty()) else {
        issue_email_token(&x, &id, false).await?;
        return empty(202);
    };
    let record = tokens::load_customer_token(&x.call.env, &token)
        .await?
        .filter(|r| r.project == x.project() && r.customer_id == id)
        .ok_or_else(credentials::token_not_found)?;
    let stored = x.load(&id).await?;
    credentials::check_token(&record, TokenKind::Email, &stored, x.call.now_ms)?;
    let version = crate::domain::version::Version::stored(stored.customer.meta.version);
    x.write(
        &id,
        Write::Delete {
            version,
            data_erasure: false,
        },
    )
    .await?;
    empty(204)
}

fn opt_in_enabled(x: &Emporix) -> Result<(), Failure> {
    if x.config.double_opt_in {
        Ok(())
    } else {
        Err(Failure::not_found(
            "Double opt-in is not enabled for this tenant.",
        ))
    }
}

/// `GET /signup/optin/{token}`: the email token confirms the email (the shared
/// confirmation); the customer is then logged in (CustomerToken).
pub async fn opt_in(mut x: Emporix, token: &str) -> Answer {
    opt_in_enabled(&x)?;
    let grant = x.bearer().await?;
    let draft = ConfirmEmailDraft {
        token_value: token.to_string(),
        version: None,
    };
    let confirmed = body_of(redeem_email_token(&x.call, draft, true).await?).await?;
    let customer: Customer = serde_json::from_str(&confirmed)?;
    session::customer_token(&x, &grant, customer).await
}

#[derive(Deserialize)]
struct EmailBody {
    email: String,
}

/// `POST /signup/optin/refresh_token` `{email}`: a new activation token (older ones void)
/// for a customer not yet activated; 202 whatever the email.
pub async fn opt_in_refresh(mut x: Emporix) -> Answer {
    opt_in_enabled(&x)?;
    x.bearer().await?;
    let body: EmailBody = x.body().await?;
    let email = validate::lowercase_email(&body.email);
    let found = stored::for_sign_in(&x.call.session, x.project(), &email, None).await?;
    if let Some(found) = found.filter(|s| !s.customer.is_email_verified) {
        issue_email_token(&x, &found.customer.meta.id, true).await?;
    }
    empty(202)
}
