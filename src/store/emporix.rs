//! What the Emporix dialect keeps beside the shared customer data: the counter of customer
//! numbers (D1), the pending email changes and the refresh token of each customer access token
//! (KV, under the SHA-256 of their token, with a TTL; a logout revokes both tokens),
//! its configuration (`EMPORIX_TENANTS`, `EMPORIX_SAAS_TOKEN_SECRET`), and the lookup of a
//! storefront client by its public id.

use serde::{Deserialize, Serialize};
use worker::Env;

use super::d1::Db;
use super::sql::{Param, Statement};
use super::{api_clients, config, tokens, StoreError};
use crate::domain::auth::ApiClient;
use crate::domain::emporix::tenant::Tenants;
use crate::domain::error::ApiResult;
use crate::domain::ids::sha256_hex;

/// The first number the counter hands out.
const FIRST_NUMBER: i64 = 10_000_001;

/// The next customer number of `project` (one D1 statement: unique, never handed out twice).
pub async fn next_customer_number(db: &Db, project: &str) -> Result<String, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        last: i64,
    }
    let statement = Statement::new(
        "INSERT INTO emporix_customer_numbers (project, last) VALUES (?1, ?2) \
         ON CONFLICT (project) DO UPDATE SET last = last + 1 RETURNING last",
        vec![Param::text(project), Param::Int(FIRST_NUMBER)],
    );
    let row: Option<Row> = db.first(&statement).await?;
    row.map(|r| r.last.to_string())
        .ok_or_else(|| StoreError::Other("the customer number counter returned nothing".into()))
}

/// The configured tenants (`EMPORIX_TENANTS`; none if it is not set).
pub fn tenants(env: &Env) -> Result<Tenants, String> {
    match env.var("EMPORIX_TENANTS") {
        Ok(value) => Tenants::parse(&value.to_string()),
        Err(_) => Ok(Tenants::default()),
    }
}

/// The key that signs saas tokens (`EMPORIX_SAAS_TOKEN_SECRET`, a secret).
pub fn saas_secret(env: &Env) -> Option<Vec<u8>> {
    env.secret("EMPORIX_SAAS_TOKEN_SECRET")
        .or_else(|_| env.var("EMPORIX_SAAS_TOKEN_SECRET"))
        .ok()
        .map(|s| s.to_string().into_bytes())
}

/// The live API client with this id (a storefront names its client without its secret, as
/// Emporix storefronts do).
pub async fn client(env: &Env, id: &str, now_ms: i64) -> ApiResult<Option<ApiClient>> {
    let configured = config::api_clients(env).map_err(StoreError::Other)?;
    if let Some(client) = configured.iter().find(|c| c.client_id == id) {
        return Ok(Some(client.clone()));
    }
    let record = api_clients::by_id(&Db::shared(env)?, id).await?;
    Ok(record.and_then(|r| r.client(now_ms)))
}

/// An email change waiting for its confirmation token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingEmail {
    pub project: String,
    pub customer_id: String,
    pub new_email: String,
}

fn pending_key(token: &str) -> String {
    format!("emporix-email-change:{}", sha256_hex(token))
}

pub async fn save_pending_email(
    env: &Env,
    token: &str,
    pending: &PendingEmail,
    ttl_seconds: u64,
) -> worker::Result<()> {
    env.kv("TOKENS")?
        .put(&pending_key(token), serde_json::to_string(pending)?)?
        .expiration_ttl(ttl_seconds.max(60))
        .execute()
        .await?;
    Ok(())
}

pub async fn load_pending_email(env: &Env, token: &str) -> worker::Result<Option<PendingEmail>> {
    Ok(env.kv("TOKENS")?.get(&pending_key(token)).json().await?)
}

fn session_key(access_token: &str) -> String {
    format!("emporix-refresh-of:{}", sha256_hex(access_token))
}

/// Remembers which refresh token (by digest) an access token came with, for the logout.
pub async fn link_refresh(
    env: &Env,
    access_token: &str,
    refresh_token: &str,
    ttl_seconds: u64,
) -> worker::Result<()> {
    env.kv("TOKENS")?
        .put(&session_key(access_token), sha256_hex(refresh_token))?
        .expiration_ttl(ttl_seconds.max(60))
        .execute()
        .await?;
    Ok(())
}

/// Revokes the refresh token an access token came with, if any.
pub async fn revoke_linked_refresh(env: &Env, access_token: &str) -> worker::Result<()> {
    let kv = env.kv("TOKENS")?;
    if let Some(digest) = kv.get(&session_key(access_token)).text().await? {
        tokens::revoke_refresh_digest(env, &digest).await?;
        kv.delete(&session_key(access_token)).await?;
    }
    Ok(())
}
