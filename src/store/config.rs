//! Configuration from the Worker environment: API clients, the password-hash cost, token lives,
//! sign-in throttling, the message retention.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use crate::domain::auth::{parse_clients, ApiClient};
use crate::domain::customer::credentials::DEFAULT_PASSWORD_TOKEN_TTL_MINUTES;
use crate::domain::password;
use crate::domain::retention::Retention;
use crate::domain::throttle::Limits;

/// The API clients of `API_CLIENTS` (a secret; `.dev.vars` locally), parsed once per isolate
/// (again only if the text changes).
pub fn api_clients(env: &Env) -> Result<Rc<Vec<ApiClient>>, String> {
    thread_local! {
        static PARSED: RefCell<Option<(String, Rc<Vec<ApiClient>>)>> = const { RefCell::new(None) };
    }
    let raw = env
        .var("API_CLIENTS")
        .map_err(|_| "API_CLIENTS is not configured".to_string())?
        .to_string();
    if let Some(clients) = PARSED.with_borrow(|parsed| match parsed {
        Some((text, clients)) if *text == raw => Some(Rc::clone(clients)),
        _ => None,
    }) {
        return Ok(clients);
    }
    let clients = Rc::new(parse_clients(&raw)?);
    PARSED.set(Some((raw, Rc::clone(&clients))));
    Ok(clients)
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

/// How long messages are kept (`MESSAGE_RETENTION_DAYS`, 1–90, default 15); an error for any
/// other value.
pub fn message_retention(env: &Env) -> Result<Retention, String> {
    let value = env
        .var("MESSAGE_RETENTION_DAYS")
        .ok()
        .map(|v| v.to_string());
    Retention::from_config(value.as_deref())
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
