//! The customer writer: one Durable Object per customer, through which every write to that
//! customer passes (updates and deletes). It holds an async lock across
//! load → check → apply → D1 write, because input gates do not cover awaits on D1. The D1
//! batch still checks the version, so correctness never rests on this object alone.
//!
//! The object keeps the last customer it wrote in memory, which saves the D1 read on the next
//! write. A stale copy (someone wrote D1 without this object) is caught by the batch's version
//! check; the write is then retried once on a fresh read.

use std::cell::RefCell;

use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, D1Database, DurableObject, Env, Method, Request, RequestInit, Response, State,
};

use super::customers;
use super::email_lock;
use super::platform::{now_ms, CryptoRandom};
use super::StoreError;
use crate::domain::customer::{ClientLogging, Customer, StoredCustomer};
use crate::domain::delete;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::{new_uuid, Random};
use crate::domain::password;
use crate::domain::update::{self, UpdateContext, UpdateRequest};
use crate::http::respond;

const BINDING: &str = "CUSTOMER_WRITER";

/// A write to one customer, sent by the Worker to that customer's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum WriterCommand {
    Update {
        project: String,
        id: String,
        store: Option<String>,
        request: UpdateRequest,
        client_id: String,
        pbkdf2_iterations: u32,
    },
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
    fn target(&self) -> (&str, &str, Option<&str>) {
        match self {
            WriterCommand::Update {
                project, id, store, ..
            }
            | WriterCommand::Delete {
                project, id, store, ..
            } => (project, id, store.as_deref()),
        }
    }
}

/// Sends `command` to its customer's writer; the reply is the API response.
pub async fn send(env: &Env, command: &WriterCommand) -> worker::Result<Response> {
    let (project, id, _) = command.target();
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
    state: State,
    env: Env,
    lock: Mutex<()>,
    /// The customer as this object last read or wrote it.
    cached: RefCell<Option<StoredCustomer>>,
}

impl DurableObject for CustomerWriter {
    fn new(state: State, env: Env) -> Self {
        CustomerWriter {
            state,
            env,
            lock: Mutex::new(()),
            cached: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: WriterCommand = req.json().await?;
        let _serialized = self.lock.lock().await;
        Ok(match self.execute(&command).await {
            Ok(response) => response,
            Err(rejection) => respond::error(&rejection),
        })
    }
}

/// Whether to trust the in-memory copy of the customer.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    Cached,
    Fresh,
}

impl CustomerWriter {
    async fn execute(&self, command: &WriterCommand) -> ApiResult<Response> {
        let db = customers::database(&self.env).map_err(|e| respond::internal("D1 binding", e))?;
        // One retry on a fresh read if the in-memory copy turns out to be stale.
        match self.attempt(&db, command, Read::Cached).await {
            Err(Attempt::StaleCopy) => match self.attempt(&db, command, Read::Fresh).await {
                Err(Attempt::StaleCopy) => {
                    let (project, id, _) = command.target();
                    Err(conflict(&db, project, id, requested_version(command)).await)
                }
                other => other.map_err(Attempt::into_rejection),
            },
            other => other.map_err(Attempt::into_rejection),
        }
    }

    /// The customer, from memory or D1; 404 if it does not exist or its store cannot see it.
    async fn current(
        &self,
        db: &D1Database,
        project: &str,
        id: &str,
        store: Option<&str>,
        read: Read,
    ) -> ApiResult<StoredCustomer> {
        let cached = self.cached.borrow().clone();
        let stored = match (read, cached) {
            (Read::Cached, Some(stored)) if stored.customer.id == id => Some(stored),
            _ => {
                let loaded = customers::load(db, project, id)
                    .await
                    .map_err(|e| store_failure("load customer", e))?;
                self.cached.replace(loaded.clone());
                loaded
            }
        };
        stored
            .filter(|s| store.is_none_or(|st| s.customer.visible_in_store(st)))
            .ok_or_else(|| ApiError::not_found_id(id).into())
    }

    async fn attempt(
        &self,
        db: &D1Database,
        command: &WriterCommand,
        read: Read,
    ) -> Result<Response, Attempt> {
        match command {
            WriterCommand::Update {
                project,
                id,
                store,
                request,
                client_id,
                pbkdf2_iterations,
            } => {
                let current = self
                    .current(db, project, id, store.as_deref(), read)
                    .await?;
                let iterations = *pbkdf2_iterations;
                let applied = update::apply(
                    &current,
                    request,
                    UpdateContext {
                        now_ms: now_ms(),
                        by: ClientLogging::client(client_id),
                        rng: &mut CryptoRandom,
                        hash_password: &mut |plain| {
                            let mut salt = [0u8; password::SALT_LEN];
                            CryptoRandom.fill(&mut salt);
                            password::hash(plain, &salt, iterations)
                        },
                    },
                );
                let updated = applied.map_err(|r| check_conflict(r, read))?;
                if !updated.changed(&current.customer) {
                    return Ok(respond::json(200, current.customer.to_json_string()));
                }
                let after = &updated.stored;
                let lock = self
                    .claim_email_if_needed(project, &current.customer, &after.customer)
                    .await?;
                let written =
                    customers::update(db, project, &current.customer, after, &updated.messages)
                        .await;
                self.release(project, lock);
                match written {
                    Ok(()) => {
                        self.cached.replace(Some(after.clone()));
                        Ok(respond::json(200, after.customer.to_json_string()))
                    }
                    Err(err) => Err(self.failed_write(err, &after.customer)),
                }
            }
            WriterCommand::Delete {
                project,
                id,
                store,
                version,
                data_erasure,
                client_id,
            } => {
                let current = self
                    .current(db, project, id, store.as_deref(), read)
                    .await?;
                let message = delete::delete(
                    &current.customer,
                    *version,
                    *data_erasure,
                    now_ms(),
                    ClientLogging::client(client_id),
                    &mut CryptoRandom,
                )
                .map_err(|r| check_conflict(r, read))?;
                let written =
                    customers::delete(db, project, &current.customer, &message, *data_erasure)
                        .await;
                match written {
                    Ok(()) => {
                        self.cached.replace(None);
                        Ok(respond::json(200, current.customer.to_json_string()))
                    }
                    Err(err) => Err(self.failed_write(err, &current.customer)),
                }
            }
        }
    }

    /// A write whose customer's email claims change (new email, other stores) holds the email
    /// lock while it writes. Returns the lock to release: (lower-case email, owner).
    async fn claim_email_if_needed(
        &self,
        project: &str,
        before: &Customer,
        after: &Customer,
    ) -> Result<Option<(String, String)>, Attempt> {
        if before.email_claims() == after.email_claims() {
            return Ok(None);
        }
        let email = after.lowercase_email();
        let owner = new_uuid(&mut CryptoRandom);
        let held = email_lock::claim(&self.env, project, &email, &owner)
            .await
            .map_err(|e| Attempt::Rejected(respond::internal("email lock", e)))?;
        if !held {
            return Err(Attempt::Rejected(
                ApiError::LockedField {
                    field: "email".into(),
                }
                .into(),
            ));
        }
        Ok(Some((email, owner)))
    }

    /// Releases an email lock after the response is on its way.
    fn release(&self, project: &str, lock: Option<(String, String)>) {
        if let Some((email, owner)) = lock {
            let env = self.env.clone();
            let project = project.to_string();
            self.state.wait_until(async move {
                if let Err(e) = email_lock::release(&env, &project, &email, &owner).await {
                    worker::console_error!("email lock release: {e}");
                }
            });
        }
    }

    /// What a failed D1 write means: a stale copy (retry), a taken unique value, or a 500.
    fn failed_write(&self, err: StoreError, attempted: &Customer) -> Attempt {
        self.cached.replace(None);
        match err {
            StoreError::VersionConflict => Attempt::StaleCopy,
            other => Attempt::Rejected(duplicate_or_failure(other, attempted)),
        }
    }
}

/// Why one attempt at a write did not succeed.
enum Attempt {
    /// The D1 version check failed: the copy the write started from was stale.
    StaleCopy,
    Rejected(Rejection),
}

impl Attempt {
    fn into_rejection(self) -> Rejection {
        match self {
            Attempt::Rejected(rejection) => rejection,
            Attempt::StaleCopy => respond::internal("customer writer", "stale copy after retry"),
        }
    }
}

impl From<Rejection> for Attempt {
    fn from(rejection: Rejection) -> Self {
        Attempt::Rejected(rejection)
    }
}

/// A version mismatch found against the in-memory copy is checked again on a fresh read
/// before it is reported: the copy may be the stale one.
fn check_conflict(rejection: Rejection, read: Read) -> Attempt {
    let conflict = matches!(
        rejection.first(),
        Some(ApiError::ConcurrentModification { .. })
    );
    if conflict && read == Read::Cached {
        Attempt::StaleCopy
    } else {
        Attempt::Rejected(rejection)
    }
}

fn requested_version(command: &WriterCommand) -> u64 {
    match command {
        WriterCommand::Update { request, .. } => request.version,
        WriterCommand::Delete { version, .. } => *version,
    }
}

/// The answer when a write lost its version check twice: 409 with the version now current,
/// or 404 if the customer is gone.
async fn conflict(db: &D1Database, project: &str, id: &str, expected: u64) -> Rejection {
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

/// A unique value taken by another customer becomes `DuplicateField`; anything else is a 500.
pub fn duplicate_or_failure(err: StoreError, customer: &Customer) -> Rejection {
    let duplicate = |field: &str, value: &str, message: Option<&str>| ApiError::DuplicateField {
        field: field.into(),
        duplicate_value: value.into(),
        message: message.map(str::to_string),
    };
    match err {
        StoreError::Duplicate("email") => duplicate(
            "email",
            &customer.email,
            Some("There is already an existing customer with the provided email."),
        )
        .into(),
        StoreError::Duplicate("key") => {
            duplicate("key", customer.key.as_deref().unwrap_or_default(), None).into()
        }
        StoreError::Duplicate("customerNumber") => duplicate(
            "customerNumber",
            customer.customer_number.as_deref().unwrap_or_default(),
            None,
        )
        .into(),
        other => store_failure("write customer", other),
    }
}

pub fn store_failure(context: &str, err: StoreError) -> Rejection {
    respond::internal(context, err)
}
