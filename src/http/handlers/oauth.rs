//! The authorization server: `POST /oauth/token` (client credentials flow).

use worker::url::form_urlencoded;
use worker::{Env, Request, Response};

use super::read_body;
use crate::domain::auth::{self, AccessGrant};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::new_token;
use crate::http::respond;
use crate::store::platform::{now_ms, CryptoRandom};
use crate::store::{config, tokens};

/// Issues an access token for HTTP Basic client credentials. Parameters are read from the
/// form body and, as the commercetools RAML also declares them, from the query string.
pub async fn token(mut req: Request, env: &Env) -> ApiResult<Response> {
    let clients = config::api_clients(env).map_err(|e| respond::internal("configuration", e))?;
    let header = req.headers().get("Authorization").ok().flatten();
    let client = auth::authenticate(&clients, header.as_deref())?;

    let url = req.url().map_err(|e| respond::internal("request URL", e))?;
    let body = read_body(&mut req).await?;
    let mut grant_type = None;
    let mut scope = None;
    let query = url.query().unwrap_or_default().as_bytes().to_vec();
    for (name, value) in form_urlencoded::parse(&query).chain(form_urlencoded::parse(&body)) {
        match name.as_ref() {
            "grant_type" => grant_type = Some(value.into_owned()),
            "scope" => scope = Some(value.into_owned()),
            _ => {}
        }
    }
    match grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(ApiError::UnsupportedGrantType {
                grant_type: other.to_string(),
            }
            .into())
        }
        None => {
            return Err(ApiError::InvalidRequest {
                message: "Missing required parameter: grant_type.".into(),
            }
            .into())
        }
    }
    let scopes = auth::grant_scopes(client, scope.as_deref())?;

    let token = new_token(&mut CryptoRandom);
    let ttl = client.access_token_ttl();
    let grant = AccessGrant {
        client_id: client.client_id.clone(),
        project_key: client.project_key.clone(),
        scopes,
        expires_at_ms: now_ms() + (ttl as i64) * 1000,
    };
    tokens::save(env, &token, &grant, ttl)
        .await
        .map_err(|e| respond::internal("token store", e))?;
    let body = serde_json::json!({
        "access_token": token,
        "expires_in": ttl,
        "scope": grant.scopes.join(" "),
        "token_type": "Bearer",
    });
    Ok(respond::json(200, body.to_string()))
}
