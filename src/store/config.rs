//! Configuration from the Worker environment: API clients, the password-hash cost, token lives.

use worker::Env;

use crate::domain::auth::{parse_clients, ApiClient};
use crate::domain::credentials::DEFAULT_PASSWORD_TOKEN_TTL_MINUTES;
use crate::domain::password;

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
    env.var("PASSWORD_TOKEN_TTL_MINUTES")
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok())
        .unwrap_or(DEFAULT_PASSWORD_TOKEN_TTL_MINUTES)
}
