//! # edge-customer-api
//!
//! A commercetools-compatible Customer API that runs as one Cloudflare Worker: customers in
//! D1, tokens in KV, Durable Objects to serialize writes and lock email addresses.
//!
//! - [`domain`]: the pure core (validation, customers, auth rules, errors). No I/O.
//! - [`http`]: routing and the request handlers (handlers only in the wasm32 build).
//! - [`store`]: D1, KV and Durable Object adapters (wasm32 only) and the pure query compiler.

pub mod domain;
pub mod http;
pub mod mcp;

pub mod store;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    ctx: worker::Context,
) -> worker::Result<worker::Response> {
    Ok(http::handle(req, env, std::rc::Rc::new(ctx)).await)
}

/// The cron trigger (`wrangler.toml`): switches off the search indexes no search used for 30
/// days, repairs customer writes abandoned between their catalog and shard parts (with
/// customers over several databases), and deletes the messages past their retention.
#[cfg(target_arch = "wasm32")]
#[worker::event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: worker::Env, _ctx: worker::ScheduleContext) {
    match store::search::deactivate_unused(&env, event.schedule() as i64).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("search: {n} indexes unused for 30 days switched off"),
        Err(e) => worker::console_error!("search: unused indexes not switched off: {e}"),
    }
    match store::orphans::sweep(&env, event.schedule() as i64).await {
        Ok(s) if s.orphans + s.rebuilt + s.skipped == 0 => {}
        Ok(s) => worker::console_log!(
            "orphan sweep: {} orphans removed, {} catalogs rebuilt, {} skipped",
            s.orphans,
            s.rebuilt,
            s.skipped
        ),
        Err(e) => worker::console_error!("orphan sweep failed: {e}"),
    }
    let retention = match store::config::message_retention(&env) {
        Ok(retention) => retention,
        Err(e) => return worker::console_error!("message retention not run: {e}"),
    };
    match store::retention::purge(&env, retention, event.schedule() as i64).await {
        Ok(deleted) => worker::console_log!(
            "message retention ({} days): {deleted} messages deleted",
            retention.days()
        ),
        Err(e) => worker::console_error!("message retention failed: {e}"),
    }
}
