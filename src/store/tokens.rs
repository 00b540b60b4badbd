//! Tokens in KV: access tokens and customer tokens (password reset, email verification),
//! stored under the SHA-256 of the token value (never the value), with a TTL so KV collects
//! them; expiry itself is decided against the clock by the domain, and whether a customer
//! token was used or invalidated by the customer's marks in D1.

use worker::Env;

use crate::domain::auth::{AccessGrant, MIN_TTL_SECONDS};
use crate::domain::customer::credentials::TokenRecord;
use crate::domain::ids::sha256_hex;
use crate::domain::oauth::RefreshGrant;

const BINDING: &str = "TOKENS";

fn kv_key(token: &str) -> String {
    format!("access:{}", sha256_hex(token))
}

pub async fn save(
    env: &Env,
    token: &str,
    grant: &AccessGrant,
    ttl_seconds: u64,
) -> worker::Result<()> {
    let value = serde_json::to_string(grant)?;
    env.kv(BINDING)?
        .put(&kv_key(token), value)?
        .expiration_ttl(ttl_seconds.max(MIN_TTL_SECONDS))
        .execute()
        .await?;
    Ok(())
}

pub async fn load(env: &Env, token: &str) -> worker::Result<Option<AccessGrant>> {
    Ok(env
        .kv(BINDING)?
        .get(&kv_key(token))
        .json::<AccessGrant>()
        .await?)
}

fn customer_token_key(token: &str) -> String {
    format!("customer-token:{}", sha256_hex(token))
}

pub async fn save_customer_token(
    env: &Env,
    token: &str,
    record: &TokenRecord,
    ttl_seconds: u64,
) -> worker::Result<()> {
    let value = serde_json::to_string(record)?;
    env.kv(BINDING)?
        .put(&customer_token_key(token), value)?
        .expiration_ttl(ttl_seconds.max(MIN_TTL_SECONDS))
        .execute()
        .await?;
    Ok(())
}

pub async fn load_customer_token(env: &Env, token: &str) -> worker::Result<Option<TokenRecord>> {
    Ok(env
        .kv(BINDING)?
        .get(&customer_token_key(token))
        .json::<TokenRecord>()
        .await?)
}

/// Revokes an access token (other locations see it after KV's propagation delay).
pub async fn revoke(env: &Env, token: &str) -> worker::Result<()> {
    Ok(env.kv(BINDING)?.delete(&kv_key(token)).await?)
}

fn refresh_key(token: &str) -> String {
    format!("refresh:{}", sha256_hex(token))
}

/// Stores a refresh grant until it lapses (each use stores it again, with a new expiry).
pub async fn save_refresh(
    env: &Env,
    token: &str,
    grant: &RefreshGrant,
    now_ms: i64,
) -> worker::Result<()> {
    let ttl = ((grant.expires_at_ms - now_ms) / 1000).max(0) as u64;
    env.kv(BINDING)?
        .put(&refresh_key(token), serde_json::to_string(grant)?)?
        .expiration_ttl(ttl.max(MIN_TTL_SECONDS))
        .execute()
        .await?;
    Ok(())
}

pub async fn load_refresh(env: &Env, token: &str) -> worker::Result<Option<RefreshGrant>> {
    Ok(env
        .kv(BINDING)?
        .get(&refresh_key(token))
        .json::<RefreshGrant>()
        .await?)
}

pub async fn revoke_refresh(env: &Env, token: &str) -> worker::Result<()> {
    Ok(env.kv(BINDING)?.delete(&refresh_key(token)).await?)
}
