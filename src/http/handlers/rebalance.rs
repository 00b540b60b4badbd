//! `POST /_rebalance`: one call of the re-balancing step (`store::rebalance_run`), for the
//! operator's `scripts/rebalance.mjs`. Deployment-wide, not a project's: it answers only when
//! the deployment has a `REBALANCE_SECRET` (else 404, as an unknown path) and the request
//! brings it as its bearer token (else 401); with no `CUSTOMER_DATABASES_NEXT` there is nothing
//! to do (400 `InvalidOperation`). `?pages=` (1–20, default 5) and `?size=` (1–200, default
//! 100) bound the call. The answer is the progress (`rebalance_run::Report`).

use worker::{Date, Env, Request, Response};

use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::constant_time_eq;
use crate::http::respond;
use crate::store::d1::Db;
use crate::store::rebalance::{PAGES_DEFAULT, PAGES_MAX, PAGE_DEFAULT, PAGE_MAX};
use crate::store::rebalance_run::{self, Limits};

pub async fn step(req: &Request, env: &Env) -> ApiResult<Response> {
    let secret = env.var("REBALANCE_SECRET").map(|v| v.to_string());
    let Some(secret) = secret.ok().filter(|s| !s.is_empty()) else {
        return Err(ApiError::ResourceNotFound {
            message: "No endpoint matches the path '/_rebalance'.".into(),
        }
        .into());
    };
    let given = req.headers().get("Authorization")?.unwrap_or_default();
    if !constant_time_eq(&given, &format!("Bearer {secret}")) {
        return Err(ApiError::InvalidToken {
            message:
                "The re-balancing step needs the deployment's REBALANCE_SECRET as its bearer token."
                    .into(),
        }
        .into());
    }
    if !Db::is_rebalancing(env)? {
        return Err(ApiError::InvalidOperation {
            message: "Nothing to re-balance: CUSTOMER_DATABASES_NEXT is not set.".into(),
        }
        .into());
    }
    let limits = Limits {
        pages: bounded(req, "pages", PAGES_DEFAULT, PAGES_MAX)?,
        size: bounded(req, "size", PAGE_DEFAULT, PAGE_MAX)?,
        stop_after_copy: env
            .var("TEST_REBALANCE_STOP_AFTER_COPY")
            .is_ok_and(|v| !v.to_string().is_empty()),
    };
    let report = rebalance_run::step(env, limits, Date::now().as_millis() as i64).await?;
    Ok(respond::json(200, serde_json::to_string(&report)?))
}

/// A query parameter between 1 and `max` (`default` when absent).
fn bounded(req: &Request, name: &str, default: u32, max: u32) -> ApiResult<u32> {
    let url = req.url()?;
    let Some((_, value)) = url.query_pairs().find(|(k, _)| k == name) else {
        return Ok(default);
    };
    match value.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::InvalidInput {
            message: format!("'{name}' must be a whole number from 1 to {max}."),
        }
        .into()),
    }
}
