//! Tokens in KV: access tokens and customer tokens (password reset, email verification),
//! stored under the SHA-256 of the token value (never the value), with a TTL so KV collects
//! them; expiry itself is decided against the clock by the domain, and whether a customer
//! token was used or invalidated by the customer's marks in D1.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::Env;

use crate::domain::auth::{AccessGrant, MIN_TTL_SECONDS};
use crate::domain::customer::credentials::TokenRecord;
use crate::domain::ids::sha256_hex;
use crate::domain::oauth::RefreshGrant;

const BINDING: &str = "TOKENS";

/// Stores `value` as JSON under `key` for `ttl_seconds` (at least KV's minimum).
async fn put<T: Serialize>(
    env: &Env,
    key: &str,
    value: &T,
    ttl_seconds: u64,
) -> worker::Result<()> {
    env.kv(BINDING)?
        .put(key, serde_json::to_string(value)?)?
        .expiration_ttl(ttl_seconds.max(MIN_TTL_SECONDS))
        .execute()
        .await?;
    Ok(())
}

async fn get<T: DeserializeOwned>(env: &Env, key: &str) -> worker::Result<Option<T>> {
    Ok(env.kv(BINDING)?.get(key).json::<T>().await?)
}

async fn delete(env: &Env, key: &str) -> worker::Result<()> {
    Ok(env.kv(BINDING)?.delete(key).await?)
}

fn access_key(token: &str) -> String {
    format!("access:{}", sha256_hex(token))
}

fn customer_token_key(token: &str) -> String {
    format!("customer-token:{}", sha256_hex(token))
}

fn refresh_key(token: &str) -> String {
    refresh_key_of_digest(&sha256_hex(token))
}

fn refresh_key_of_digest(digest: &str) -> String {
    format!("refresh:{digest}")
}

pub async fn save(
    env: &Env,
    token: &str,
    grant: &AccessGrant,
    ttl_seconds: u64,
) -> worker::Result<()> {
    put(env, &access_key(token), grant, ttl_seconds).await
}

pub async fn load(env: &Env, token: &str) -> worker::Result<Option<AccessGrant>> {
    let key = access_key(token);
    if let Some(grant) = recent_grants::get(&key) {
        return Ok(Some(grant));
    }
    let grant: Option<AccessGrant> = get(env, &key).await?;
    if let Some(grant) = &grant {
        recent_grants::put(key, grant.clone());
    }
    Ok(grant)
}

/// Revokes an access token: at once in this isolate, elsewhere after KV's propagation delay
/// (and [`recent_grants::MAX_AGE_MS`] at most beyond it).
pub async fn revoke(env: &Env, token: &str) -> worker::Result<()> {
    let key = access_key(token);
    recent_grants::forget(&key);
    delete(env, &key).await
}

/// The grants this isolate read from KV in the last [`MAX_AGE_MS`](recent_grants::MAX_AGE_MS):
/// a token used again within that time costs no KV read. Only what KV holds is cached (a
/// grant never changes once issued); expiry is still checked against the request's clock, and
/// sessions and clients are still checked on every request. Revocation in this isolate takes
/// effect at once; another isolate may honour a revoked token for up to `MAX_AGE_MS` more.
mod recent_grants {
    use super::*;

    pub const MAX_AGE_MS: i64 = 5_000;
    /// Most grants kept; when full, the cache starts over (bounded memory, no bookkeeping).
    const MAX_ENTRIES: usize = 4_096;

    thread_local! {
        static GRANTS: RefCell<HashMap<String, (i64, AccessGrant)>> = RefCell::new(HashMap::new());
    }

    use crate::store::platform::now_ms;

    pub fn get(key: &str) -> Option<AccessGrant> {
        GRANTS.with_borrow(|grants| {
            let (read_at, grant) = grants.get(key)?;
            (now_ms() - read_at < MAX_AGE_MS).then(|| grant.clone())
        })
    }

    pub fn put(key: String, grant: AccessGrant) {
        GRANTS.with_borrow_mut(|grants| {
            if grants.len() >= MAX_ENTRIES {
                grants.clear();
            }
            grants.insert(key, (now_ms(), grant));
        });
    }

    pub fn forget(key: &str) {
        GRANTS.with_borrow_mut(|grants| grants.remove(key));
    }
}

pub async fn save_customer_token(
    env: &Env,
    token: &str,
    record: &TokenRecord,
    ttl_seconds: u64,
) -> worker::Result<()> {
    put(env, &customer_token_key(token), record, ttl_seconds).await
}

pub async fn load_customer_token(env: &Env, token: &str) -> worker::Result<Option<TokenRecord>> {
    get(env, &customer_token_key(token)).await
}

/// Stores a refresh grant until it lapses (each use stores it again, with a new expiry).
pub async fn save_refresh(
    env: &Env,
    token: &str,
    grant: &RefreshGrant,
    now_ms: i64,
) -> worker::Result<()> {
    let ttl = ((grant.expires_at_ms - now_ms) / 1000).max(0) as u64;
    put(env, &refresh_key(token), grant, ttl).await
}

pub async fn load_refresh(env: &Env, token: &str) -> worker::Result<Option<RefreshGrant>> {
    get(env, &refresh_key(token)).await
}

pub async fn revoke_refresh(env: &Env, token: &str) -> worker::Result<()> {
    delete(env, &refresh_key(token)).await
}

/// Revokes a refresh token known only by the SHA-256 of its value (what may be kept about it).
pub async fn revoke_refresh_digest(env: &Env, digest: &str) -> worker::Result<()> {
    delete(env, &refresh_key_of_digest(digest)).await
}
