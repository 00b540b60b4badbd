//! The customer writer: one Durable Object per customer, through which every write to that
//! customer passes (updates, deletes, password changes and resets, email verification, token
//! issue). It holds an async lock across load → check → apply → D1 write, because input gates
//! do not cover awaits on D1. The D1 batch still checks the version, so correctness never
//! rests on this object alone.
//!
//! The object keeps the last customer it wrote in memory, which saves the D1 read on the next
//! write. A stale copy (someone wrote D1 without this object) is caught by the batch's version
//! check; the write is then retried once on a fresh read.

use std::cell::RefCell;

use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{
    durable_object, D1Database, DurableObject, Env, Method, Request, RequestInit, Response, State,
};

use super::customers;
use super::email_lock;
use super::passwords;
use super::platform::CryptoRandom;
use super::tokens;
use super::StoreError;
use crate::domain::auth::{AccessGrant, StoreReach};
use crate::domain::credentials::{self, TokenKind, TokenRecord};
use crate::domain::customer::{ClientLogging, Customer, StoredCustomer};
use crate::domain::delete;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::new_uuid;
use crate::domain::message::Message;
use crate::domain::time;
use crate::domain::update::{self, UpdateContext, UpdateRequest};
use crate::http::respond;

const BINDING: &str = "CUSTOMER_WRITER";

/// A write to one customer, sent by the Worker to that customer's object. The Worker decides
/// the time (`now_ms`), so the whole write sees one clock.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriterCommand {
    pub project: String,
    pub id: String,
    /// The store of an in-store endpoint: a customer the store cannot see is not found.
    pub store: Option<String>,
    pub caller: Caller,
    pub now_ms: i64,
    pub pbkdf2_iterations: u32,
    pub write: Write,
}

/// Who writes: the API client (for `lastModifiedBy` and messages) and where it may write.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    pub client_id: String,
    /// A store-limited token writes only customers of its stores.
    pub reach: StoreReach,
}

impl Caller {
    pub fn of(grant: &AccessGrant, project: &str) -> Caller {
        Caller {
            client_id: grant.client_id.clone(),
            reach: grant.customer_write_reach(project),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Write {
    Update {
        request: UpdateRequest,
    },
    Delete {
        version: u64,
        data_erasure: bool,
    },
    ChangePassword {
        version: u64,
        current_password: String,
        new_password: String,
    },
    IssueToken {
        kind: TokenKind,
        ttl_minutes: u32,
        invalidate_older_tokens: bool,
        version: Option<u64>,
    },
    ResetPassword {
        token: TokenRecord,
        new_password: String,
        version: Option<u64>,
    },
    ConfirmEmail {
        token: TokenRecord,
        version: Option<u64>,
    },
    /// After a sign-in: replace `old_hash` (made with fewer iterations) by `new_hash`. The
    /// version does not move; if anything changed meanwhile, nothing happens.
    Rehash {
        version: u64,
        old_hash: String,
        new_hash: String,
    },
}

impl Write {
    fn expected_version(&self) -> Option<u64> {
        match self {
            Write::Update { request } => Some(request.version.get()),
            Write::Delete { version, .. }
            | Write::ChangePassword { version, .. }
            | Write::Rehash { version, .. } => Some(*version),
            Write::IssueToken { version, .. }
            | Write::ResetPassword { version, .. }
            | Write::ConfirmEmail { version, .. } => *version,
        }
    }
}

/// Sends `command` to its customer's writer; the reply is the API response.
pub async fn send(env: &Env, command: &WriterCommand) -> worker::Result<Response> {
    let stub = env
        .durable_object(BINDING)?
        .get_by_name(&format!("{}\n{}", command.project, command.id))?;
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

/// Why one attempt at a write did not succeed.
enum Attempt {
    /// The D1 version check failed, or a conflict was found against the in-memory copy: the
    /// copy may be stale.
    StaleCopy,
    Rejected(Rejection),
}

impl From<Rejection> for Attempt {
    fn from(rejection: Rejection) -> Self {
        Attempt::Rejected(rejection)
    }
}

impl From<ApiError> for Attempt {
    fn from(error: ApiError) -> Self {
        Attempt::Rejected(error.into())
    }
}

/// What a write decided, before it is stored.
enum Outcome {
    /// Nothing to store; answer with this body.
    Unchanged(String),
    /// Store `after` (and `messages`), then answer.
    Changed {
        after: StoredCustomer,
        messages: Vec<Message>,
        answer: Answer,
    },
    /// Store only messages (a token without invalidation), then answer.
    MessagesOnly {
        messages: Vec<Message>,
        answer: Answer,
    },
    Deleted {
        message: Message,
        data_erasure: bool,
    },
}

enum Answer {
    Customer,
    /// A CustomerToken (the token itself is stored before the write).
    Token {
        body: Value,
        record: TokenRecord,
        value: String,
    },
}

impl Answer {
    fn response(&self, customer: &Customer) -> Response {
        match self {
            Answer::Customer => respond::json(200, customer.to_json_string()),
            Answer::Token { body, .. } => respond::json(200, body.to_string()),
        }
    }
}

impl CustomerWriter {
    async fn execute(&self, command: &WriterCommand) -> ApiResult<Response> {
        let db = customers::database(&self.env).map_err(|e| respond::internal("D1 binding", e))?;
        // One email-lock owner for the whole command: a retry re-claims its own lock.
        let owner = new_uuid(&mut CryptoRandom);
        match self.attempt(&db, command, Read::Cached, &owner).await {
            Err(Attempt::StaleCopy) => {
                match self.attempt(&db, command, Read::Fresh, &owner).await {
                    Err(Attempt::StaleCopy) => Err(self.conflict(&db, command).await),
                    Err(Attempt::Rejected(rejection)) => Err(rejection),
                    Ok(response) => Ok(response),
                }
            }
            Err(Attempt::Rejected(rejection)) => Err(rejection),
            Ok(response) => Ok(response),
        }
    }

    /// The customer, from memory or D1; 404 if it does not exist or its store cannot see it.
    async fn current(
        &self,
        db: &D1Database,
        command: &WriterCommand,
        read: Read,
    ) -> ApiResult<StoredCustomer> {
        let cached = self.cached.borrow().clone();
        let stored = match (read, cached) {
            (Read::Cached, Some(stored)) if stored.customer.id == command.id => Some(stored),
            _ => {
                let loaded = match customers::load(db, &command.project, &command.id).await {
                    // A customer whose document cannot be read can still be deleted.
                    // (It is never cached: no other write may start from it.)
                    Err(StoreError::Unreadable(skeleton))
                        if matches!(command.write, Write::Delete { .. }) =>
                    {
                        self.cached.replace(None);
                        Some(*skeleton)
                    }
                    other => {
                        let loaded = other.map_err(|e| store_failure("load customer", e))?;
                        self.cached.replace(loaded.clone());
                        loaded
                    }
                };
                loaded
            }
        };
        stored
            .filter(|s| {
                command
                    .store
                    .as_deref()
                    .is_none_or(|st| s.customer.visible_in_store(st))
            })
            .ok_or_else(|| ApiError::not_found_id(&command.id).into())
    }

    async fn attempt(
        &self,
        db: &D1Database,
        command: &WriterCommand,
        read: Read,
        owner: &str,
    ) -> Result<Response, Attempt> {
        let current = self.current(db, command, read).await?;
        let before = current.customer.store_keys();
        if !matches!(command.write, Write::Rehash { .. }) {
            // Only customers of the caller's stores (or any, for a project-wide token).
            command.caller.reach.check_write(&before, &before)?;
        }
        // A version mismatch against the in-memory copy is checked again on a fresh read.
        let outcome = match self.decide(&current, command).await {
            Err(rejection)
                if read == Read::Cached
                    && matches!(
                        rejection.first(),
                        Some(ApiError::ConcurrentModification { .. })
                    ) =>
            {
                return Err(Attempt::StaleCopy)
            }
            other => other?,
        };
        let project = command.project.as_str();
        match outcome {
            Outcome::Unchanged(body) => Ok(respond::json(200, body)),
            Outcome::Changed {
                after,
                messages,
                answer,
            } => {
                command
                    .caller
                    .reach
                    .check_write(&before, &after.customer.store_keys())?;
                self.store_token(&answer, command.now_ms).await?;
                let lock = self
                    .claim_email_if_needed(project, &current.customer, &after.customer, owner)
                    .await?;
                let written =
                    customers::update(db, project, &current.customer, &after, &messages).await;
                self.release(project, lock);
                match written {
                    Ok(()) => {
                        self.cached.replace(Some(after.clone()));
                        Ok(answer.response(&after.customer))
                    }
                    Err(err) => Err(self.failed_write(err, &after.customer)),
                }
            }
            Outcome::MessagesOnly { messages, answer } => {
                self.store_token(&answer, command.now_ms).await?;
                customers::insert_messages(db, project, &messages)
                    .await
                    .map_err(|e| Attempt::Rejected(store_failure("write messages", e)))?;
                Ok(answer.response(&current.customer))
            }
            Outcome::Deleted {
                message,
                data_erasure,
            } => {
                match customers::delete(db, project, &current.customer, &message, data_erasure)
                    .await
                {
                    Ok(()) => {
                        self.cached.replace(None);
                        Ok(respond::json(200, current.customer.to_json_string()))
                    }
                    Err(err) => Err(self.failed_write(err, &current.customer)),
                }
            }
        }
    }

    /// What `command` does to `current` (nothing is stored yet).
    async fn decide(
        &self,
        current: &StoredCustomer,
        command: &WriterCommand,
    ) -> ApiResult<Outcome> {
        let by = ClientLogging::client(&command.caller.client_id);
        let now = time::write_time(command.now_ms, &current.customer.last_modified_at);
        let iterations = command.pbkdf2_iterations;
        let rng = &mut CryptoRandom;
        let changed = |updated: update::Updated| {
            if updated.changed_from(current) {
                Outcome::Changed {
                    after: updated.stored,
                    messages: updated.messages,
                    answer: Answer::Customer,
                }
            } else {
                Outcome::Unchanged(current.customer.to_json_string())
            }
        };
        Ok(match &command.write {
            Write::Update { request } => {
                let ctx = UpdateContext {
                    now_ms: now,
                    by,
                    rng,
                };
                let updated = update::apply(current, request, ctx)?;
                // At most one derivation: only the password the request leaves is hashed.
                changed(match updated.password_to_hash.clone() {
                    Some(plain) => updated.with_password_hash(hash(&plain, iterations).await?),
                    None => updated,
                })
            }
            Write::Delete {
                version,
                data_erasure,
            } => Outcome::Deleted {
                message: delete::delete(&current.customer, *version, *data_erasure, now, by, rng)?,
                data_erasure: *data_erasure,
            },
            Write::ChangePassword {
                version,
                current_password,
                new_password,
            } => {
                check_version(current, *version)?;
                credentials::require_password_mode(current)?;
                let matches = match &current.password_hash {
                    Some(stored) => passwords::verify(current_password, stored)
                        .await
                        .map_err(|e| respond::internal("password check", e))?,
                    None => false,
                };
                if !matches {
                    return Err(ApiError::InvalidCurrentPassword.into());
                }
                let new_hash = hash(new_password, iterations).await?;
                changed(credentials::change_password(
                    current, *version, new_hash, now, &by, rng,
                )?)
            }
            Write::IssueToken {
                kind,
                ttl_minutes,
                invalidate_older_tokens,
                version,
            } => {
                if let Some(version) = version {
                    check_version(current, *version)?;
                }
                if *kind == TokenKind::Password {
                    credentials::require_password_mode(current)?;
                }
                let issued = credentials::issue_token(
                    current,
                    &command.project,
                    *kind,
                    *ttl_minutes,
                    *invalidate_older_tokens,
                    now,
                    &by,
                    rng,
                );
                let answer = Answer::Token {
                    body: issued.response,
                    record: issued.record,
                    value: issued.value,
                };
                match issued.stored {
                    Some(after) => Outcome::Changed {
                        after,
                        messages: vec![issued.message],
                        answer,
                    },
                    None => Outcome::MessagesOnly {
                        messages: vec![issued.message],
                        answer,
                    },
                }
            }
            Write::ResetPassword {
                token,
                new_password,
                version,
            } => {
                credentials::check_token(token, TokenKind::Password, current, now)?;
                if let Some(version) = version {
                    check_version(current, *version)?;
                }
                credentials::require_password_mode(current)?;
                let new_hash = hash(new_password, iterations).await?;
                changed(credentials::reset_password(
                    current, *version, new_hash, now, &by, rng,
                )?)
            }
            Write::ConfirmEmail { token, version } => {
                credentials::check_token(token, TokenKind::Email, current, now)?;
                let confirmed = credentials::confirm_email(current, *version, now, &by, rng)?;
                if confirmed.stored == *current {
                    Outcome::Unchanged(current.customer.to_json_string())
                } else {
                    Outcome::Changed {
                        after: confirmed.stored,
                        messages: confirmed.messages,
                        answer: Answer::Customer,
                    }
                }
            }
            Write::Rehash {
                version,
                old_hash,
                new_hash,
            } => {
                if current.customer.version != *version
                    || current.password_hash.as_ref() != Some(old_hash)
                {
                    Outcome::Unchanged(current.customer.to_json_string())
                } else {
                    let mut after = current.clone();
                    after.customer.password = Some(crate::domain::password::mask(new_hash));
                    after.password_hash = Some(new_hash.clone());
                    Outcome::Changed {
                        after,
                        messages: Vec::new(),
                        answer: Answer::Customer,
                    }
                }
            }
        })
    }

    /// A new token goes to KV before its message and marks go to D1: if D1 then fails, the
    /// value was never handed out, so the stored token harms nobody.
    async fn store_token(&self, answer: &Answer, now_ms: i64) -> Result<(), Attempt> {
        if let Answer::Token { record, value, .. } = answer {
            let ttl_seconds = ((record.expires_at_ms - now_ms) / 1000).max(0) as u64;
            tokens::save_customer_token(&self.env, value, record, ttl_seconds)
                .await
                .map_err(|e| Attempt::Rejected(respond::internal("token store", e)))?;
        }
        Ok(())
    }

    /// A write whose customer's email claims change (new email, other stores) holds the email
    /// lock while it writes. Returns the lock to release: (lower-case email, owner).
    async fn claim_email_if_needed(
        &self,
        project: &str,
        before: &Customer,
        after: &Customer,
        owner: &str,
    ) -> Result<Option<(String, String)>, Attempt> {
        if before.email_claims() == after.email_claims() {
            return Ok(None);
        }
        let email = after.lowercase_email();
        let held = email_lock::claim(&self.env, project, &email, owner)
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
        Ok(Some((email, owner.to_string())))
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

    /// The answer when a write lost its version check twice: 409 with the version now current,
    /// or 404 if the customer is gone.
    async fn conflict(&self, db: &D1Database, command: &WriterCommand) -> Rejection {
        match customers::current_version(db, &command.project, &command.id).await {
            Ok(Some(current)) => ApiError::ConcurrentModification {
                expected: command.write.expected_version().unwrap_or(current),
                current: Some(current),
            }
            .into(),
            Ok(None) => ApiError::not_found_id(&command.id).into(),
            Err(e) => store_failure("read current version", e),
        }
    }
}

fn check_version(current: &StoredCustomer, expected: u64) -> ApiResult<()> {
    if current.customer.version == expected {
        Ok(())
    } else {
        Err(ApiError::ConcurrentModification {
            expected,
            current: Some(current.customer.version),
        }
        .into())
    }
}

async fn hash(plain: &str, iterations: u32) -> ApiResult<String> {
    passwords::hash(plain, iterations)
        .await
        .map_err(|e| respond::internal("password hash", e))
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

/// A statement SQLite found too complex is the query's fault (400); anything else is a 500.
pub fn store_failure(context: &str, err: StoreError) -> Rejection {
    match err {
        StoreError::TooComplex => ApiError::InvalidInput {
            message: "The query predicate is nested too deeply to run (the store allows an expression depth of 100). Flatten nested custom-field conditions or combine them with 'and'.".into(),
        }
        .into(),
        other => respond::internal(context, other),
    }
}
