//! The customer writer: one Durable Object per customer, through which every write to that
//! customer passes. It holds an async lock across load → check → apply → D1 write, because
//! input gates do not cover awaits on D1. The D1 batch still checks the version, so
//! correctness never rests on this object alone.

use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use super::customers;
use super::platform::{now_ms, CryptoRandom};
use super::StoreError;
use crate::domain::customer::ClientLogging;
use crate::domain::delete;
use crate::domain::error::{ApiError, ApiResult};
use crate::http::respond;

const BINDING: &str = "CUSTOMER_WRITER";

/// A write to one customer, sent by the Worker to that customer's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum WriterCommand {
    #[serde(rename_all = "camelCase")]
    Delete {
        project: String,
        id: String,
        store: Option<String>,
        version: u64,
        data_erasure: bool,
        client_id: String,
    },
}

impl WriterCommand {
    fn customer(&self) -> (&str, &str) {
        match self {
            WriterCommand::Delete { project, id, .. } => (project, id),
        }
    }
}

/// Sends `command` to its customer's writer; the reply is the API response.
pub async fn send(env: &Env, command: &WriterCommand) -> worker::Result<Response> {
    let (project, id) = command.customer();
    let stub = env
        .durable_object(BINDING)?
        .get_by_name(&format!("{project}\n{id}"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    stub.fetch_with_request(Request::new_with_init("https://customer-writer/", &init)?)
        .await
}

#[durable_object]
pub struct CustomerWriter {
    env: Env,
    lock: Mutex<()>,
}

impl DurableObject for CustomerWriter {
    fn new(_state: State, env: Env) -> Self {
        CustomerWriter {
            env,
            lock: Mutex::new(()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: WriterCommand = req.json().await?;
        let _serialized = self.lock.lock().await;
        Ok(match self.execute(command).await {
            Ok(response) => response,
            Err(rejection) => respond::error(&rejection),
        })
    }
}

impl CustomerWriter {
    async fn execute(&self, command: WriterCommand) -> ApiResult<Response> {
        let db = customers::database(&self.env).map_err(|e| respond::internal("D1 binding", e))?;
        match command {
            WriterCommand::Delete {
                project,
                id,
                store,
                version,
                data_erasure,
                client_id,
            } => {
                let stored = customers::load(&db, &project, &id)
                    .await
                    .map_err(|e| store_failure("load customer", e))?
                    .filter(|s| {
                        store
                            .as_deref()
                            .is_none_or(|st| s.customer.visible_in_store(st))
                    })
                    .ok_or_else(|| ApiError::not_found_id(&id))?;
                let message = delete::delete(
                    &stored.customer,
                    version,
                    data_erasure,
                    now_ms(),
                    ClientLogging::client(&client_id),
                    &mut CryptoRandom,
                )?;
                match customers::delete(&db, &project, &stored.customer, &message, data_erasure)
                    .await
                {
                    Ok(()) => Ok(respond::json(200, stored.customer.to_json_string())),
                    Err(StoreError::VersionConflict) => {
                        Err(conflict(&db, &project, &id, version).await)
                    }
                    Err(other) => Err(store_failure("delete customer", other)),
                }
            }
        }
    }
}

/// The answer when a write batch lost its version check: 409 with the version now current,
/// or 404 if the customer is gone.
async fn conflict(
    db: &worker::D1Database,
    project: &str,
    id: &str,
    expected: u64,
) -> crate::domain::error::Rejection {
    match customers::current_version(db, project, id).await {
        Ok(Some(current)) => ApiError::ConcurrentModification {
            expected,
            current: Some(current),
        }
        .into(),
        Ok(None) => ApiError::not_found_id(id).into(),
        Err(e) => store_failure("read current version", e),
    }
}

pub fn store_failure(context: &str, err: StoreError) -> crate::domain::error::Rejection {
    respond::internal(context, err)
}
