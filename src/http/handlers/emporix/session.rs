//! Tokens: `GET /customerlogin/auth/anonymous/login` and `…/refresh` (anonymous sessions),
//! `POST /customer/{tenant}/login` (a customer token, with the anonymous session's id),
//! `GET …/logout`, `GET …/refreshauthtoken`, `GET …/validateauthtoken`. The tokens are the
//! authorization server's (`domain::oauth`, KV); sign-in is the shared credential check.

use serde::Deserialize;
use serde_json::json;

use super::{empty, json, Answer, Emporix};
use crate::domain::auth::AccessGrant;
use crate::domain::customer::Customer;
use crate::domain::emporix::errors::Failure;
use crate::domain::emporix::{jwt, scopes, tokens as emporix_tokens};
use crate::domain::ids::new_uuid;
use crate::domain::oauth::{self, Issued};
use crate::http::context::session_is_live;
use crate::http::handlers::credentials::{check_credentials, Checked};
use crate::store::platform::CryptoRandom;
use crate::store::{emporix, tokens};

/// Stores an access token and, if it has a new or renewed one, its refresh token; a
/// customer's access token is linked to its refresh token, so a logout ends both.
async fn store(x: &Emporix, issued: &Issued) -> Result<(), Failure> {
    let env = &x.call.env;
    let now = x.call.now_ms;
    let ttl = ((issued.access.expires_at_ms - now) / 1000).max(0) as u64;
    tokens::save(env, &issued.access_token, &issued.access, ttl).await?;
    if let Some((refresh_token, grant)) = &issued.refresh {
        tokens::save_refresh(env, refresh_token, grant, now).await?;
        if issued.access.customer_id.is_some() {
            emporix::link_refresh(env, &issued.access_token, refresh_token, ttl).await?;
        }
    }
    Ok(())
}

/// A required query parameter (Emporix 400 without it).
fn required(x: &Emporix, name: &str) -> Result<String, Failure> {
    x.query(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Failure::bad_request(&format!("The query parameter '{name}' is required.")))
}

/// The storefront client a query names: a live client of the tenant's project that may open
/// anonymous sessions.
async fn storefront_client(x: &Emporix) -> Result<crate::domain::auth::ApiClient, Failure> {
    let id = required(x, "client_id")?;
    let invalid = || Failure::bad_request("The client_id is not valid for this tenant.");
    let client = emporix::client(&x.call.env, &id, x.call.now_ms)
        .await?
        .filter(|c| c.project_key == x.project())
        .ok_or_else(invalid)?;
    oauth::check_anonymous_allowed(&client).map_err(|_| invalid())?;
    Ok(client)
}

/// `GET /customerlogin/auth/anonymous/login?tenant=&client_id=`: a new anonymous session.
pub async fn anonymous_login(x: Emporix) -> Answer {
    let client = storefront_client(&x).await?;
    let session = new_uuid(&mut CryptoRandom);
    let issued = emporix_tokens::anonymous(&client, session, x.call.now_ms, &mut CryptoRandom);
    store(&x, &issued).await?;
    json(
        200,
        &emporix_tokens::anonymous_body(&issued, &x.tenant, x.call.now_ms),
    )
}

/// A refresh token of the tenant's project that `accept` admits, as a new access token
/// (the refresh token stays; its inactivity clock restarts).
async fn refreshed(
    x: &Emporix,
    refresh_token: &str,
    client_id: &str,
    accept: fn(&oauth::RefreshGrant) -> bool,
) -> Result<Issued, Failure> {
    let invalid = || Failure::bad_request("The refresh token is not valid.");
    let grant = tokens::load_refresh(&x.call.env, refresh_token)
        .await?
        .filter(|g| g.project_key == x.project() && accept(g))
        .ok_or_else(invalid)?;
    let f = grant.facts();
    if !session_is_live(&x.call.env, f.project, f.customer_id, f.issued_at_ms).await? {
        return Err(invalid());
    }
    let mut issued = oauth::refresh(&grant, client_id, x.call.now_ms, &mut CryptoRandom)
        .map_err(|_| invalid())?;
    if let Some((token, _)) = &mut issued.refresh {
        *token = refresh_token.to_string();
    }
    store(x, &issued).await?;
    Ok(issued)
}

/// `GET /customerlogin/auth/anonymous/refresh?tenant=&refresh_token=&client_id=`: the same
/// session (same `sessionId`) with a new access token.
pub async fn anonymous_refresh(x: Emporix) -> Answer {
    let client = storefront_client(&x).await?;
    let refresh_token = required(&x, "refresh_token")?;
    let anonymous = |g: &oauth::RefreshGrant| g.customer_id.is_none() && g.anonymous_id.is_some();
    let issued = refreshed(&x, &refresh_token, &client.client_id, anonymous).await?;
    json(
        200,
        &emporix_tokens::anonymous_body(&issued, &x.tenant, x.call.now_ms),
    )
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

/// `POST /customer/{tenant}/login` `{email, password}` with an anonymous token: the shared
/// sign-in (throttled), then a customer token keeping the anonymous session's id.
pub async fn login(mut x: Emporix) -> Answer {
    let grant = x.bearer().await?;
    let body: LoginBody = x.body().await?;
    let checked = check_credentials(&x.call, &body.email, &body.password, &grant.client_id).await?;
    let Checked::Valid { doc, .. } = checked else {
        return Err(Failure::service(
            401,
            "unauthorized",
            "Invalid credentials.",
        ));
    };
    let customer: Customer = serde_json::from_str(&doc)?;
    if x.config.double_opt_in && !customer.is_email_verified {
        return Err(Failure::service(
            403,
            "Forbidden",
            "The account is not activated yet: confirm the email first.",
        ));
    }
    customer_token(&x, &grant, customer).await
}

/// The CustomerToken answer for `customer`, issued with the token `with`.
pub async fn customer_token(x: &Emporix, with: &AccessGrant, customer: Customer) -> Answer {
    let (customer, number) = x.ensure_number(customer).await?;
    let session = match emporix_tokens::session_id(with) {
        Some(session) => session.to_string(),
        None => new_uuid(&mut CryptoRandom),
    };
    let now = x.call.now_ms;
    let id = &customer.meta.id;
    let issued = emporix_tokens::customer(with, id, &session, now, &mut CryptoRandom);
    let secret = emporix::saas_secret(&x.call.env)
        .filter(|s| s.len() >= jwt::MIN_SECRET_LEN)
        .ok_or_else(|| {
            Failure::service(
                500,
                "internal_server_error",
                "EMPORIX_SAAS_TOKEN_SECRET is not configured.",
            )
        })?;
    let claims = jwt::Claims {
        sub: number,
        customer_id: id.clone(),
        tenant: x.tenant.clone(),
        session_id: session,
        iat: now / 1000,
        exp: issued.access.expires_at_ms / 1000,
    };
    store(x, &issued).await?;
    let saas_token = jwt::sign(&claims, &secret);
    json(200, &emporix_tokens::login_body(&issued, &saas_token, now))
}

/// `GET …/logout?accessToken=`: the customer's access token stops working (at once here,
/// within the grant cache's 5 s in other isolates), and so does the refresh token it came
/// with.
pub async fn logout(mut x: Emporix) -> Answer {
    let (_, id) = x.customer(None).await?;
    let token = required(&x, "accessToken")?;
    if let Some(grant) = tokens::load(&x.call.env, &token).await? {
        if grant.customer_id.as_deref() != Some(id.as_str()) || grant.project_key != x.project() {
            return Err(Failure::service(
                403,
                "Forbidden",
                "The token is not this customer's.",
            ));
        }
        tokens::revoke(&x.call.env, &token).await?;
        emporix::revoke_linked_refresh(&x.call.env, &token).await?;
    }
    empty(204)
}

/// `GET …/refreshauthtoken?refreshToken=` (with the anonymous or the customer token): a new
/// customer access token; no saas token.
pub async fn refresh(mut x: Emporix) -> Answer {
    let grant = x.bearer().await?;
    let refresh_token = required(&x, "refreshToken")?;
    let of_customer = |g: &oauth::RefreshGrant| g.customer_id.is_some();
    let issued = refreshed(&x, &refresh_token, &grant.client_id, of_customer).await?;
    json(200, &emporix_tokens::refresh_body(&issued, x.call.now_ms))
}

/// `GET …/validateauthtoken`: what the customer token is; a `saas-token` header, if sent,
/// must be a saas token of the same customer. Anything else is the gateway 401.
pub async fn validate(mut x: Emporix) -> Answer {
    let grant = x.bearer().await?;
    let id = grant
        .customer_id
        .clone()
        .ok_or_else(Failure::invalid_token)?;
    if let Some(saas_token) = x.call.header("saas-token") {
        let secret = emporix::saas_secret(&x.call.env).unwrap_or_default();
        let claims = jwt::verify(&saas_token, &secret, x.call.now_ms / 1000)
            .map_err(|_| Failure::invalid_token())?;
        if claims.customer_id != id {
            return Err(Failure::invalid_token());
        }
    }
    let customer = x.load(&id).await?.customer;
    let body = json!({
        "token_type": "Bearer",
        "expires_in": ((grant.expires_at_ms - x.call.now_ms) / 1000).max(0),
        "scope": scopes::text(&grant, &x.tenant, x.project()),
        "sessionId": emporix_tokens::session_id(&grant),
        "email": customer.email.as_str(),
    });
    json(200, &body)
}
