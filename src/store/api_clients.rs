//! The api-clients resource on D1, and client authentication against the bootstrap clients
//! of the configuration and the clients of the resource.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use super::config;
use super::StoreError;
use crate::domain::api_clients::ApiClientRecord;
use crate::domain::auth::{self, ApiClient};
use crate::domain::error::{ApiError, ApiResult};
use crate::http::respond;

#[derive(Deserialize)]
struct Row {
    project: String,
    id: String,
    name: String,
    scope: String,
    secret_sha256: String,
    created_at_ms: i64,
    delete_at_ms: Option<i64>,
    access_token_validity_seconds: Option<u64>,
    refresh_token_validity_seconds: Option<u64>,
}

impl From<Row> for ApiClientRecord {
    fn from(row: Row) -> Self {
        ApiClientRecord {
            id: row.id,
            project: row.project,
            name: row.name,
            scopes: row.scope.split_whitespace().map(str::to_string).collect(),
            secret_sha256: row.secret_sha256,
            created_at_ms: row.created_at_ms,
            delete_at_ms: row.delete_at_ms,
            access_token_validity_seconds: row.access_token_validity_seconds,
            refresh_token_validity_seconds: row.refresh_token_validity_seconds,
        }
    }
}

const COLUMNS: &str = "project, id, name, scope, secret_sha256, created_at_ms, delete_at_ms, \
     access_token_validity_seconds, refresh_token_validity_seconds";

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn opt_int(value: Option<i64>) -> JsValue {
    value.map_or(JsValue::NULL, |v| JsValue::from_f64(v as f64))
}

pub async fn insert(db: &D1Database, record: &ApiClientRecord) -> Result<(), StoreError> {
    db.prepare(format!(
        "INSERT INTO api_clients ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))
    .bind(&[
        text(&record.project),
        text(&record.id),
        text(&record.name),
        text(&record.scopes.join(" ")),
        text(&record.secret_sha256),
        JsValue::from_f64(record.created_at_ms as f64),
        opt_int(record.delete_at_ms),
        opt_int(record.access_token_validity_seconds.map(|v| v as i64)),
        opt_int(record.refresh_token_validity_seconds.map(|v| v as i64)),
    ])?
    .run()
    .await?;
    Ok(())
}

/// The client with this id, in any project (client ids are unique).
pub async fn by_id(db: &D1Database, id: &str) -> Result<Option<ApiClientRecord>, StoreError> {
    let row: Option<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM api_clients WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Into::into))
}

/// A page of the project's clients, oldest first, and how many there are.
pub async fn page(
    db: &D1Database,
    project: &str,
    limit: u32,
    offset: u32,
) -> Result<(Vec<ApiClientRecord>, u64), StoreError> {
    #[derive(Deserialize)]
    struct Total {
        total: u64,
    }
    let results = db
        .batch(vec![
            db.prepare(format!(
                "SELECT {COLUMNS} FROM api_clients WHERE project = ?1 ORDER BY created_at_ms, id LIMIT ?2 OFFSET ?3"
            ))
            .bind(&[text(project), JsValue::from(limit), JsValue::from(offset)])?,
            db.prepare("SELECT COUNT(*) AS total FROM api_clients WHERE project = ?1")
                .bind(&[text(project)])?,
        ])
        .await?;
    let (Some(rows), Some(total)) = (results.first(), results.get(1)) else {
        return Err(StoreError::Other(
            "an api-clients batch returned too few results".into(),
        ));
    };
    let rows: Vec<Row> = rows.results()?;
    let total: Vec<Total> = total.results()?;
    Ok((
        rows.into_iter().map(Into::into).collect(),
        total.first().map_or(0, |t| t.total),
    ))
}

/// Deletes the client; returns it if it existed in the project.
pub async fn delete(
    db: &D1Database,
    project: &str,
    id: &str,
) -> Result<Option<ApiClientRecord>, StoreError> {
    let row: Option<Row> = db
        .prepare(format!(
            "DELETE FROM api_clients WHERE project = ?1 AND id = ?2 RETURNING {COLUMNS}"
        ))
        .bind(&[text(project), text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Into::into))
}

/// The client of HTTP Basic credentials: a bootstrap client of the configuration, or a live
/// client of the api-clients resource. Anything else is 401 `invalid_client`.
pub async fn authenticate(
    env: &Env,
    authorization: Option<&str>,
    now_ms: i64,
) -> ApiResult<ApiClient> {
    let (id, secret) = auth::basic_credentials(authorization)?;
    let configured = config::api_clients(env).map_err(|e| respond::internal("configuration", e))?;
    if let Some(client) = configured.into_iter().find(|c| c.client_id == id) {
        return if client.secret_matches(&secret) {
            Ok(client)
        } else {
            Err(ApiError::InvalidClient.into())
        };
    }
    let db = super::customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
    let record = by_id(&db, &id)
        .await
        .map_err(|e| respond::internal("client lookup", e))?;
    record
        .and_then(|r| r.client(now_ms))
        .filter(|c| c.secret_matches(&secret))
        .ok_or_else(|| ApiError::InvalidClient.into())
}

/// Whether the client a token was issued to may still use it: a bootstrap client of the
/// configuration always, a client of the resource until it is deleted or past its `deleteAt`.
pub async fn is_live(env: &Env, client_id: &str, now_ms: i64) -> ApiResult<bool> {
    let configured = config::api_clients(env).map_err(|e| respond::internal("configuration", e))?;
    if configured.iter().any(|c| c.client_id == client_id) {
        return Ok(true);
    }
    let db = super::customers::database(env).map_err(|e| respond::internal("D1 binding", e))?;
    let record = by_id(&db, client_id)
        .await
        .map_err(|e| respond::internal("client lookup", e))?;
    Ok(record.is_some_and(|r| r.client(now_ms).is_some()))
}
