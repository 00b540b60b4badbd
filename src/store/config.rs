//! Configuration from the Worker environment: API clients, the password-hash cost, token lives,
//! sign-in throttling.

use worker::Env;

use crate::domain::auth::{parse_clients, ApiClient};
use crate::domain::customer::credentials::DEFAULT_PASSWORD_TOKEN_TTL_MINUTES;
use crate::domain::password;
use crate::domain::throttle::Limits;

/// The API clients of `API_CLIENTS` (a secret; `.dev.vars` locally).
pub fn api_clients(env: &Env) -> Result<Vec<ApiClient>, String> {
    let raw = env
        .var("API_CLIENTS")
        .map_err(|_| "API_CLIENTS is not configured".to_string())?
        .to_string();
    parse_clients(&raw)
}

/// PBKDF2 iterations for new hashes (`PBKDF2_ITERATIONS`, clamped to the supported range).
pub fn pbkdf2_iterations(env: &Env) -> u32 {
    let configured = env
        .var("PBKDF2_ITERATIONS")
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok());
    password::clamp_iterations(configured)
}

/// The life of a password token when the request gives none (`PASSWORD_TOKEN_TTL_MINUTES`,
/// default 1440).
pub fn password_token_ttl_minutes(env: &Env) -> u32 {
    number(env, "PASSWORD_TOKEN_TTL_MINUTES").unwrap_or(DEFAULT_PASSWORD_TOKEN_TTL_MINUTES)
}

fn number<T: std::str::FromStr>(env: &Env, name: &str) -> Option<T> {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok())
}

/// Sign-in throttling limits: failures per email (`THROTTLE_MAX_FAILURES_PER_EMAIL`, default 10)
/// and per client address (`THROTTLE_MAX_FAILURES_PER_ADDRESS`, default 100) within
/// `THROTTLE_WINDOW_SECONDS` (default 900).
pub fn throttle_limits(env: &Env) -> (Limits, Limits) {
    let window_seconds = number::<i64>(env, "THROTTLE_WINDOW_SECONDS").unwrap_or(900);
    (
        Limits::new(
            number(env, "THROTTLE_MAX_FAILURES_PER_EMAIL").unwrap_or(10),
            window_seconds,
        ),
        Limits::new(
            number(env, "THROTTLE_MAX_FAILURES_PER_ADDRESS").unwrap_or(100),
            window_seconds,
        ),
    )
}

/// Customers per step of the search index builder (`SEARCH_INDEX_BATCH`, default 2000,
/// 1–5000). Each step is one D1 batch; local D1 pays mostly per batch (20 000 customers: 5 300
/// a second in steps of 2 000).
pub fn search_index_batch(env: &Env) -> u32 {
    number(env, "SEARCH_INDEX_BATCH")
        .unwrap_or(2000)
        .clamp(1, 5000)
}

/// A pause between two builder steps, each step then its own alarm (`SEARCH_INDEX_PAUSE_MS`,
/// default 0: steps run back to back). Lets tests watch an index in the Indexing state.
pub fn search_index_pause_ms(env: &Env) -> i64 {
    number(env, "SEARCH_INDEX_PAUSE_MS")
        .unwrap_or(0)
        .clamp(0, 60_000)
}
