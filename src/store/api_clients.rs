//! The api-clients resource on D1, and client authentication against the bootstrap clients
//! of the configuration and the clients of the resource.

use serde::Deserialize;
use worker::Env;

use super::config;
use super::d1::Db;
use super::sql::{Param, Statement};
use super::StoreError;
use crate::domain::api_clients::ApiClientRecord;
use crate::domain::auth::{self, ApiClient};
use crate::domain::error::{ApiError, ApiResult};

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

fn opt_int(value: Option<u64>) -> Param {
    value.map_or(Param::Null, Param::uint)
}

pub async fn insert(db: &Db, record: &ApiClientRecord) -> Result<(), StoreError> {
    let statement = Statement::new(
        format!("INSERT INTO api_clients ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        vec![
            Param::text(&record.project),
            Param::text(&record.id),
            Param::text(&record.name),
            Param::Text(record.scopes.join(" ")),
            Param::text(&record.secret_sha256),
            Param::Int(record.created_at_ms),
            record.delete_at_ms.map_or(Param::Null, Param::Int),
            opt_int(record.access_token_validity_seconds),
            opt_int(record.refresh_token_validity_seconds),
        ],
    );
    db.batch(&[statement]).await?;
    Ok(())
}

/// The client with this id, in any project (client ids are unique).
pub async fn by_id(db: &Db, id: &str) -> Result<Option<ApiClientRecord>, StoreError> {
    let statement = Statement::new(
        format!("SELECT {COLUMNS} FROM api_clients WHERE id = ?1"),
        vec![Param::text(id)],
    );
    let row: Option<Row> = db.first(&statement).await?;
    Ok(row.map(Into::into))
}

/// A page of the project's clients, oldest first, and how many there are.
pub async fn page(
    db: &Db,
    project: &str,
    limit: u32,
    offset: u32,
) -> Result<(Vec<ApiClientRecord>, u64), StoreError> {
    #[derive(Deserialize)]
    struct Total {
        total: u64,
    }
    let page = Statement::new(
        format!("SELECT {COLUMNS} FROM api_clients WHERE project = ?1 ORDER BY created_at_ms, id LIMIT ?2 OFFSET ?3"),
        vec![Param::text(project), Param::Int(limit.into()), Param::Int(offset.into())],
    );
    let total = Statement::new(
        "SELECT COUNT(*) AS total FROM api_clients WHERE project = ?1",
        vec![Param::text(project)],
    );
    let results = db.batch(&[page, total]).await?;
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
    db: &Db,
    project: &str,
    id: &str,
) -> Result<Option<ApiClientRecord>, StoreError> {
    let statement = Statement::new(
        format!("DELETE FROM api_clients WHERE project = ?1 AND id = ?2 RETURNING {COLUMNS}"),
        vec![Param::text(project), Param::text(id)],
    );
    let row: Option<Row> = db.first(&statement).await?;
    Ok(row.map(Into::into))
}

/// The clients of the configuration (`API_CLIENTS`); a broken configuration is a 500.
fn configured(env: &Env) -> ApiResult<std::rc::Rc<Vec<ApiClient>>> {
    config::api_clients(env).map_err(|e| StoreError::Other(e).into())
}

/// The client of HTTP Basic credentials: a bootstrap client of the configuration, or a live
/// client of the api-clients resource. Anything else is 401 `invalid_client`.
pub async fn authenticate(
    env: &Env,
    authorization: Option<&str>,
    now_ms: i64,
) -> ApiResult<ApiClient> {
    let (id, secret) = auth::basic_credentials(authorization)?;
    if let Some(client) = configured(env)?.iter().find(|c| c.client_id == id).cloned() {
        return if client.secret_matches(&secret) {
            Ok(client)
        } else {
            Err(ApiError::InvalidClient.into())
        };
    }
    let db = Db::shared(env)?;
    by_id(&db, &id)
        .await?
        .and_then(|r| r.client(now_ms))
        .filter(|c| c.secret_matches(&secret))
        .ok_or_else(|| ApiError::InvalidClient.into())
}

/// Whether the client a token was issued to may still use it: a bootstrap client of the
/// configuration always, a client of the resource until it is deleted or past its `deleteAt`.
pub async fn is_live(env: &Env, client_id: &str, now_ms: i64) -> ApiResult<bool> {
    if configured(env)?.iter().any(|c| c.client_id == client_id) {
        return Ok(true);
    }
    let db = Db::shared(env)?;
    let record = by_id(&db, client_id).await?;
    Ok(record.is_some_and(|r| r.client(now_ms).is_some()))
}
