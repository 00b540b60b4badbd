//! Tokens in KV: access tokens and customer tokens (password reset, email verification),
//! stored under the SHA-256 of the token value (never the value), with a TTL so KV collects
//! them; expiry itself is decided against the clock by the domain, and whether a customer
//! token was used or invalidated by the customer's marks in D1.

use worker::Env;

use crate::domain::auth::{AccessGrant, MIN_TTL_SECONDS};
use crate::domain::credentials::TokenRecord;
use crate::domain::ids::sha256_hex;

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
