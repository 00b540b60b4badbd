//! The authorization server: `POST /oauth/token` (client credentials, refresh token),
//! `POST /oauth/{projectKey}[/in-store/key={storeKey}]/customers/token` (password flow),
//! `POST /oauth/{projectKey}/anonymous/token`, `POST /oauth/introspect` and
//! `POST /oauth/token/revoke`. Parameters come form-encoded in the body or in the query string;
//! clients authenticate with HTTP Basic.

use worker::url::form_urlencoded;
use worker::{Env, Response};

use super::credentials::{check_credentials, Checked};
use crate::domain::auth::{self, ApiClient};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::new_uuid;
use crate::domain::oauth::{self, Issued, Subject};
use crate::http::context::{session_is_live, Call};
use crate::http::respond;
use crate::store::platform::CryptoRandom;
use crate::store::{api_clients, tokens};

/// The form parameters: the query string's, then the body's.
struct Form(Vec<(String, String)>);

impl Form {
    async fn read(call: &mut Call) -> ApiResult<Form> {
        let mut pairs = call.query_pairs()?;
        let body = call.body().await?;
        pairs.extend(form_urlencoded::parse(&body).into_owned());
        Ok(Form(pairs))
    }

    /// The last value of `name` (the body's, if both carry it).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> ApiResult<&str> {
        self.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            ApiError::InvalidRequest {
                message: format!("Missing required parameter: {name}."),
            }
            .into()
        })
    }

    /// Checks `grant_type`: missing → `invalid_request`, another → `unsupported_grant_type`.
    fn grant_type(&self, allowed: &[&str]) -> ApiResult<String> {
        let grant_type = self.required("grant_type")?;
        if allowed.contains(&grant_type) {
            Ok(grant_type.to_string())
        } else {
            Err(ApiError::UnsupportedGrantType {
                grant_type: grant_type.to_string(),
            }
            .into())
        }
    }
}

async fn client(call: &Call) -> ApiResult<ApiClient> {
    let header = call.header("Authorization");
    api_clients::authenticate(&call.env, header.as_deref(), call.now_ms).await
}

/// A client may use the project-specific flows of its own project only.
fn of_project(client: ApiClient, project: &str) -> ApiResult<ApiClient> {
    if client.project_key == project {
        Ok(client)
    } else {
        Err(ApiError::InvalidClient.into())
    }
}

/// Stores the issued tokens and answers with them.
async fn answer(env: &Env, issued: &Issued, now_ms: i64) -> ApiResult<Response> {
    store_access(env, issued, now_ms).await?;
    if let Some((refresh_token, grant)) = &issued.refresh {
        tokens::save_refresh(env, refresh_token, grant, now_ms).await?;
    }
    Ok(respond::json(200, issued.response().to_string()))
}

async fn store_access(env: &Env, issued: &Issued, now_ms: i64) -> ApiResult<()> {
    let ttl_seconds = (issued.access.expires_at_ms - now_ms) as u64 / 1000;
    Ok(tokens::save(env, &issued.access_token, &issued.access, ttl_seconds).await?)
}

/// `POST /oauth/token`.
pub async fn token(mut call: Call) -> ApiResult<Response> {
    let client = client(&call).await?;
    let form = Form::read(&mut call).await?;
    match form
        .grant_type(&["client_credentials", "refresh_token"])?
        .as_str()
    {
        "client_credentials" => {
            let scopes = auth::grant_scopes(&client, form.get("scope"))?;
            let issued = oauth::issue(
                &client,
                scopes,
                Subject::Client,
                call.now_ms,
                &mut CryptoRandom,
            );
            answer(&call.env, &issued, call.now_ms).await
        }
        _ => refresh(&call, &client, form.required("refresh_token")?).await,
    }
}

/// The refresh-token grant: a new access token; the refresh token's inactivity clock restarts.
async fn refresh(call: &Call, client: &ApiClient, refresh_token: &str) -> ApiResult<Response> {
    let grant = tokens::load_refresh(&call.env, refresh_token)
        .await?
        .ok_or_else(oauth::invalid_grant)?;
    let facts = grant.facts();
    if !session_is_live(
        &call.env,
        facts.project,
        facts.customer_id,
        facts.issued_at_ms,
    )
    .await?
    {
        return Err(oauth::invalid_grant().into());
    }
    let issued = oauth::refresh(&grant, &client.client_id, call.now_ms, &mut CryptoRandom)?;
    store_access(&call.env, &issued, call.now_ms).await?;
    if let Some((_, renewed)) = &issued.refresh {
        tokens::save_refresh(&call.env, refresh_token, renewed, call.now_ms).await?;
    }
    Ok(respond::json(
        200,
        oauth::refreshed_response(&issued).to_string(),
    ))
}

/// `POST /oauth/{projectKey}[/in-store/key={storeKey}]/customers/token`: the password flow.
pub async fn customer_token(mut call: Call) -> ApiResult<Response> {
    let client = of_project(client(&call).await?, &call.project)?;
    if let Some(store) = call.store() {
        oauth::check_store_allowed(&client, store)?;
    }
    let form = Form::read(&mut call).await?;
    form.grant_type(&["password"])?;
    let username = form.required("username")?;
    let password = form.required("password")?;
    let scopes = auth::grant_scopes(&client, form.get("scope"))?;
    match check_credentials(&call, username, password, &client.client_id).await? {
        Checked::Valid { customer_id, .. } => {
            let subject = Subject::Customer(customer_id);
            let issued = oauth::issue(&client, scopes, subject, call.now_ms, &mut CryptoRandom);
            answer(&call.env, &issued, call.now_ms).await
        }
        Checked::Invalid => Err(ApiError::InvalidCustomerAccountCredentials.into()),
    }
}

/// `POST /oauth/{projectKey}/anonymous/token`: a session for an anonymous shopper.
pub async fn anonymous_token(mut call: Call) -> ApiResult<Response> {
    let client = of_project(client(&call).await?, &call.project)?;
    oauth::check_anonymous_allowed(&client)?;
    let form = Form::read(&mut call).await?;
    form.grant_type(&["client_credentials"])?;
    let anonymous_id = match form.get("anonymous_id") {
        Some(id) => {
            oauth::check_anonymous_id(id)?;
            id.to_string()
        }
        None => new_uuid(&mut CryptoRandom),
    };
    let scopes = auth::grant_scopes(&client, form.get("scope"))?;
    let subject = Subject::Anonymous(anonymous_id);
    let issued = oauth::issue(&client, scopes, subject, call.now_ms, &mut CryptoRandom);
    answer(&call.env, &issued, call.now_ms).await
}

/// `POST /oauth/introspect`: `{active, scope, exp, client_id}` or `{active: false}`.
pub async fn introspect(mut call: Call) -> ApiResult<Response> {
    let caller = client(&call).await?;
    let form = Form::read(&mut call).await?;
    let token = form.required("token")?;
    let access = tokens::load(&call.env, token).await?;
    let refresh = match access {
        Some(_) => None,
        None => tokens::load_refresh(&call.env, token).await?,
    };
    let facts = access
        .as_ref()
        .map(|g| g.facts())
        .or(refresh.as_ref().map(|g| g.facts()));
    let live = match facts {
        Some(f) => session_is_live(&call.env, f.project, f.customer_id, f.issued_at_ms).await?,
        None => false,
    };
    let body = oauth::introspection(facts.filter(|_| live), &caller, call.now_ms);
    Ok(respond::json(200, body.to_string()))
}

/// `POST /oauth/token/revoke`: revokes the caller's own access or refresh token. As RFC 7009
/// asks, an unknown token (or another client's) is answered 200 too, and nothing happens.
pub async fn revoke(mut call: Call) -> ApiResult<Response> {
    let caller = client(&call).await?;
    let form = Form::read(&mut call).await?;
    let token = form.required("token")?;
    let hint = form.get("token_type_hint");
    if let Some(other) = hint.filter(|h| !matches!(*h, "access_token" | "refresh_token")) {
        return Err(ApiError::InvalidRequest {
            message: format!(
                "Unknown token_type_hint '{other}': expected access_token or refresh_token."
            ),
        }
        .into());
    }
    let env = &call.env;
    if hint != Some("refresh_token") {
        if let Some(grant) = tokens::load(env, token).await? {
            if grant.client_id == caller.client_id {
                tokens::revoke(env, token).await?;
            }
        }
    }
    if hint != Some("access_token") {
        if let Some(grant) = tokens::load_refresh(env, token).await? {
            if grant.client_id == caller.client_id {
                tokens::revoke_refresh(env, token).await?;
            }
        }
    }
    Ok(respond::json(200, String::new()))
}
