//! The authorization server: `POST /oauth/token` (client credentials, refresh token),
//! `POST /oauth/{projectKey}[/in-store/key={storeKey}]/customers/token` (password flow),
//! `POST /oauth/{projectKey}/anonymous/token`, `POST /oauth/introspect` and
//! `POST /oauth/token/revoke`. Parameters come form-encoded in the body or in the query string;
//! clients authenticate with HTTP Basic.

use worker::url::form_urlencoded;
use worker::{Env, Request, Response};

use super::credentials::{check_credentials, Checked};
use super::read_body;
use crate::domain::auth::{self, ApiClient};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::new_uuid;
use crate::domain::oauth::{self, Issued, Subject};
use crate::http::respond;
use crate::store::platform::{request_now, CryptoRandom};
use crate::store::{api_clients, customers, tokens};

/// The form parameters: the query string's, then the body's.
struct Form(Vec<(String, String)>);

impl Form {
    async fn read(req: &mut Request) -> ApiResult<Form> {
        let url = req.url().map_err(|e| respond::internal("request URL", e))?;
        let body = read_body(req).await?;
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
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

async fn client(req: &Request, env: &Env) -> ApiResult<ApiClient> {
    let header = req.headers().get("Authorization").ok().flatten();
    api_clients::authenticate(env, header.as_deref(), request_now(req, env)).await
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
    let store = |e| respond::internal("token store", e);
    tokens::save(
        env,
        &issued.access_token,
        &issued.access,
        (issued.access.expires_at_ms - now_ms) as u64 / 1000,
    )
    .await
    .map_err(store)?;
    if let Some((refresh_token, grant)) = &issued.refresh {
        tokens::save_refresh(env, refresh_token, grant, now_ms)
            .await
            .map_err(store)?;
    }
    Ok(respond::json(200, issued.response().to_string()))
}

/// `POST /oauth/token`.
pub async fn token(mut req: Request, env: &Env) -> ApiResult<Response> {
    let now = request_now(&req, env);
    let client = client(&req, env).await?;
    let form = Form::read(&mut req).await?;
    match form
        .grant_type(&["client_credentials", "refresh_token"])?
        .as_str()
    {
        "client_credentials" => {
            let scopes = auth::grant_scopes(&client, form.get("scope"))?;
            let issued = oauth::issue(&client, scopes, Subject::Client, now, &mut CryptoRandom);
            answer(env, &issued, now).await
        }
        _ => {
            let refresh_token = form.required("refresh_token")?;
            let grant = tokens::load_refresh(env, refresh_token)
                .await
                .map_err(|e| respond::internal("token lookup", e))?
                .ok_or_else(oauth::invalid_grant)?;
            if !session_is_live(
                env,
                &grant.project_key,
                grant.customer_id.as_deref(),
                grant.issued_at_ms,
            )
            .await?
            {
                return Err(oauth::invalid_grant().into());
            }
            let issued = oauth::refresh(&grant, &client.client_id, now, &mut CryptoRandom)?;
            let store = |e| respond::internal("token store", e);
            tokens::save(
                env,
                &issued.access_token,
                &issued.access,
                (issued.access.expires_at_ms - now) as u64 / 1000,
            )
            .await
            .map_err(store)?;
            if let Some((_, renewed)) = &issued.refresh {
                tokens::save_refresh(env, refresh_token, renewed, now)
                    .await
                    .map_err(store)?;
            }
            Ok(respond::json(
                200,
                oauth::refreshed_response(&issued).to_string(),
            ))
        }
    }
}

/// Whether a customer session begun at `issued_at_ms` still stands: the customer exists and
/// no password reset came after. Sessions without a customer always stand.
pub async fn session_is_live(
    env: &Env,
    project: &str,
    customer_id: Option<&str>,
    issued_at_ms: i64,
) -> ApiResult<bool> {
    let Some(customer_id) = customer_id else {
        return Ok(true);
    };
    let db = customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
    let mark = customers::sessions_valid_from(&db, project, customer_id)
        .await
        .map_err(|e| respond::internal("session check", e))?;
    Ok(mark.is_some_and(|valid_from| issued_at_ms >= valid_from))
}

/// `POST /oauth/{projectKey}[/in-store/key={storeKey}]/customers/token`: the password flow.
pub async fn customer_token(
    mut req: Request,
    env: &Env,
    project: &str,
    store: Option<&str>,
) -> ApiResult<Response> {
    let now = request_now(&req, env);
    let client = of_project(client(&req, env).await?, project)?;
    if let Some(store) = store {
        oauth::check_store_allowed(&client, store)?;
    }
    let form = Form::read(&mut req).await?;
    form.grant_type(&["password"])?;
    let username = form.required("username")?.to_string();
    let password = form.required("password")?.to_string();
    let scopes = auth::grant_scopes(&client, form.get("scope"))?;
    match check_credentials(
        &req,
        env,
        project,
        store,
        &username,
        &password,
        &client.client_id,
    )
    .await?
    {
        Checked::Valid { customer_id, .. } => {
            let issued = oauth::issue(
                &client,
                scopes,
                Subject::Customer(customer_id),
                now,
                &mut CryptoRandom,
            );
            answer(env, &issued, now).await
        }
        Checked::Invalid => Err(ApiError::InvalidCustomerAccountCredentials.into()),
    }
}

/// `POST /oauth/{projectKey}/anonymous/token`: a session for an anonymous shopper.
pub async fn anonymous_token(mut req: Request, env: &Env, project: &str) -> ApiResult<Response> {
    let now = request_now(&req, env);
    let client = of_project(client(&req, env).await?, project)?;
    oauth::check_anonymous_allowed(&client)?;
    let form = Form::read(&mut req).await?;
    form.grant_type(&["client_credentials"])?;
    let anonymous_id = match form.get("anonymous_id") {
        Some(id) => {
            oauth::check_anonymous_id(id)?;
            id.to_string()
        }
        None => new_uuid(&mut CryptoRandom),
    };
    let scopes = auth::grant_scopes(&client, form.get("scope"))?;
    let issued = oauth::issue(
        &client,
        scopes,
        Subject::Anonymous(anonymous_id),
        now,
        &mut CryptoRandom,
    );
    answer(env, &issued, now).await
}

/// `POST /oauth/introspect`: `{active, scope, exp, client_id}` or `{active: false}`.
pub async fn introspect(mut req: Request, env: &Env) -> ApiResult<Response> {
    let now = request_now(&req, env);
    let caller = client(&req, env).await?;
    let form = Form::read(&mut req).await?;
    let token = form.required("token")?;
    let lookup = |e| respond::internal("token lookup", e);
    let access = tokens::load(env, token).await.map_err(lookup)?;
    let refresh = match access {
        Some(_) => None,
        None => tokens::load_refresh(env, token).await.map_err(lookup)?,
    };
    let facts = access
        .as_ref()
        .map(|g| g.facts())
        .or(refresh.as_ref().map(|g| g.facts()));
    let live = match facts {
        Some(f) => session_is_live(env, f.project, f.customer_id, f.issued_at_ms).await?,
        None => false,
    };
    let body = oauth::introspection(facts.filter(|_| live), &caller, now);
    Ok(respond::json(200, body.to_string()))
}

/// `POST /oauth/token/revoke`: revokes the caller's own access or refresh token. As RFC 7009
/// asks, an unknown token (or another client's) is answered 200 too, and nothing happens.
pub async fn revoke(mut req: Request, env: &Env) -> ApiResult<Response> {
    let caller = client(&req, env).await?;
    let form = Form::read(&mut req).await?;
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
    let failed = |e| respond::internal("token revocation", e);
    if hint != Some("refresh_token") {
        if let Some(grant) = tokens::load(env, token).await.map_err(failed)? {
            if grant.client_id == caller.client_id {
                tokens::revoke(env, token).await.map_err(failed)?;
            }
        }
    }
    if hint != Some("access_token") {
        if let Some(grant) = tokens::load_refresh(env, token).await.map_err(failed)? {
            if grant.client_id == caller.client_id {
                tokens::revoke_refresh(env, token).await.map_err(failed)?;
            }
        }
    }
    Ok(respond::json(200, String::new()))
}
