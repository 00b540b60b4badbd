//! The writes to one customer that its Durable Object serializes (updates, deletes, password
//! changes and resets, email confirmation, token issue, re-hashing after a sign-in), and what
//! each decides. Every rule is here; the object only loads, locks and stores
//! (`store::writer`). Password hashing is asynchronous in the Worker (WebCrypto), so it comes in
//! through the [`Passwords`] port.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actions::UpdateAction;
use super::credentials::{self, TokenKind, TokenRecord};
use super::{delete, me, Customer, StoredCustomer};
use crate::domain::auth::{AccessGrant, StoreReach};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::Random;
use crate::domain::message::Message;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{self, UpdateContext, UpdateRequest, Updated};
use crate::domain::time;
use crate::domain::version::{self, Version};

/// Who writes: the API client (for `lastModifiedBy` and messages) and where it may write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    /// The author of a write to a customer fixed by the caller's own sign-in or token, not by
    /// a scope: a re-hash after a sign-in, a `/me` write. It reaches the whole project.
    pub fn internal(client_id: &str) -> Caller {
        Caller {
            client_id: client_id.to_string(),
            reach: StoreReach::Project,
        }
    }
}

/// A write to one customer. The Worker decides the time (`now_ms`), so the whole write sees
/// one clock.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriterCommand {
    pub project: String,
    pub id: String,
    /// The store of an in-store endpoint: a customer the store cannot see is not found.
    pub store: Option<String>,
    pub caller: Caller,
    pub now_ms: i64,
    pub write: Write,
    /// A `/me` write (the customer is the token's own): a store customer is then not found on
    /// the global path either (`me::visible`).
    #[serde(default)]
    pub own_profile: bool,
}

impl WriterCommand {
    /// Whether the path of this write sees `customer` (one it does not see is not found).
    pub fn sees(&self, customer: &Customer) -> bool {
        let store = self.store.as_deref();
        if self.own_profile {
            return me::visible(&customer.store_keys(), store);
        }
        store.is_none_or(|store| customer.visible_in_store(store))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Write {
    Update {
        request: UpdateRequest<UpdateAction>,
    },
    Delete {
        version: Version,
        data_erasure: bool,
    },
    ChangePassword {
        version: Version,
        current_password: String,
        new_password: String,
        /// Void the customer's OAuth sessions (a change on `/me/password`).
        #[serde(default)]
        end_sessions: bool,
    },
    IssueToken {
        kind: TokenKind,
        ttl_minutes: u32,
        invalidate_older_tokens: bool,
        version: Option<Version>,
    },
    ResetPassword {
        token: TokenRecord,
        new_password: String,
        version: Option<Version>,
    },
    ConfirmEmail {
        token: TokenRecord,
        version: Option<Version>,
    },
    /// After a sign-in: replace `old_hash` (made with fewer iterations) by `new_hash`. The
    /// version does not move; if anything changed meanwhile, nothing happens.
    Rehash {
        version: Version,
        old_hash: String,
        new_hash: String,
    },
}

impl Write {
    /// The version the write expects the customer to have, if it names one.
    pub fn expected_version(&self) -> Option<Version> {
        match self {
            Write::Update { request } => Some(request.version),
            Write::Delete { version, .. }
            | Write::ChangePassword { version, .. }
            | Write::Rehash { version, .. } => Some(*version),
            Write::IssueToken { version, .. }
            | Write::ResetPassword { version, .. }
            | Write::ConfirmEmail { version, .. } => *version,
        }
    }
}

/// The password work a decision needs (WebCrypto in the Worker; a stand-in in tests).
#[allow(async_fn_in_trait)]
pub trait Passwords {
    /// A new hash of `plain` at the configured cost.
    async fn hash(&self, plain: &str) -> ApiResult<String>;
    /// Whether `plain` is the password of `hash`.
    async fn verify(&self, plain: &str, hash: &str) -> ApiResult<bool>;
}

/// What a write decided, before it is stored. (One short-lived value per write: its variants'
/// sizes do not matter.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Nothing to store; answer with the customer as it is.
    Unchanged,
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

/// What a stored write answers with.
#[derive(Debug)]
pub enum Answer {
    Customer,
    /// A CustomerToken: the token is stored (in KV) before the write.
    Token {
        body: Value,
        record: TokenRecord,
        value: String,
    },
}

/// The referenced resources (custom types, customer groups) deciding `command` needs.
pub fn wanted(current: &StoredCustomer, command: &WriterCommand) -> Wanted {
    match &command.write {
        Write::Update { request } => resource::wanted(current, request),
        _ => Wanted::default(),
    }
}

/// Decides what `command` does to `current`, with the referenced resources `refs` loaded for
/// it ([`wanted`]). Nothing is stored yet. A store-limited caller may write only customers of
/// its stores, and change store lists only within them.
pub async fn decide<P: Passwords>(
    current: &StoredCustomer,
    command: &WriterCommand,
    (refs, passwords): (&Referenced, &P),
    rng: &mut dyn Random,
) -> ApiResult<Outcome> {
    let before = current.customer.store_keys();
    let reach = &command.caller.reach;
    if !matches!(command.write, Write::Rehash { .. }) {
        reach.check_write(&before, &before)?;
    }
    let write = Decision {
        current,
        by: ClientLogging::client(&command.caller.client_id),
        now_ms: time::write_time(command.now_ms, &current.customer.meta.last_modified_at),
        project: &command.project,
        refs,
    };
    let outcome = write.decide(&command.write, passwords, rng).await?;
    if let Outcome::Changed { after, .. } = &outcome {
        reach.check_write(&before, &after.customer.store_keys())?;
    }
    Ok(outcome)
}

/// One write's inputs, shared by its steps.
struct Decision<'a> {
    current: &'a StoredCustomer,
    by: ClientLogging,
    now_ms: i64,
    project: &'a str,
    refs: &'a Referenced,
}

impl Decision<'_> {
    async fn decide<P: Passwords>(
        &self,
        write: &Write,
        passwords: &P,
        rng: &mut dyn Random,
    ) -> ApiResult<Outcome> {
        match write {
            Write::Update { request } => self.update(request, passwords, rng).await,
            Write::Delete {
                version,
                data_erasure,
            } => Ok(Outcome::Deleted {
                message: delete::delete(
                    &self.current.customer,
                    *version,
                    *data_erasure,
                    self.now_ms,
                    &self.by,
                    rng,
                )?,
                data_erasure: *data_erasure,
            }),
            Write::ChangePassword {
                version,
                current_password,
                new_password,
                end_sessions,
            } => {
                let change = (*version, current_password.as_str(), new_password.as_str());
                self.change_password(change, *end_sessions, passwords, rng)
                    .await
            }
            Write::IssueToken {
                kind,
                ttl_minutes,
                invalidate_older_tokens,
                version,
            } => self.issue_token(*kind, *ttl_minutes, *invalidate_older_tokens, *version, rng),
            Write::ResetPassword {
                token,
                new_password,
                version,
            } => {
                self.reset_password(token, new_password, *version, passwords, rng)
                    .await
            }
            Write::ConfirmEmail { token, version } => self.confirm_email(token, *version, rng),
            Write::Rehash {
                version,
                old_hash,
                new_hash,
            } => Ok(self.rehash(*version, old_hash, new_hash)),
        }
    }

    /// The customer's answer to a change: stored if anything changed, else as it is.
    fn changed(&self, updated: Updated<StoredCustomer>) -> Outcome {
        if updated.changed_from(self.current) {
            Outcome::Changed {
                after: updated.state,
                messages: updated.messages,
                answer: Answer::Customer,
            }
        } else {
            Outcome::Unchanged
        }
    }

    /// `{version, actions}`; a password an action set is derived once, at the end.
    async fn update<P: Passwords>(
        &self,
        request: &UpdateRequest<UpdateAction>,
        passwords: &P,
        rng: &mut dyn Random,
    ) -> ApiResult<Outcome> {
        let ctx = UpdateContext {
            now_ms: self.now_ms,
            by: self.by.clone(),
            rng,
            refs: self.refs,
        };
        let mut updated = resource::update(self.current, request, ctx)?;
        if let Some(plain) = updated.state.new_password.take() {
            let hash = passwords.hash(&plain).await?;
            updated.state = updated.state.with_password_hash(hash);
        }
        Ok(self.changed(updated))
    }

    async fn change_password<P: Passwords>(
        &self,
        (version, current_password, new_password): (Version, &str, &str),
        end_sessions: bool,
        passwords: &P,
        rng: &mut dyn Random,
    ) -> ApiResult<Outcome> {
        version::check(version, self.current.customer.meta.version)?;
        credentials::require_password_mode(self.current)?;
        let matches = match &self.current.password_hash {
            Some(stored) => passwords.verify(current_password, stored).await?,
            None => false,
        };
        if !matches {
            return Err(ApiError::InvalidCurrentPassword.into());
        }
        let new_hash = passwords.hash(new_password).await?;
        let changed = credentials::change_password(
            self.current,
            (version, end_sessions),
            new_hash,
            self.now_ms,
            &self.by,
            rng,
        )?;
        Ok(self.changed(changed))
    }

    fn issue_token(
        &self,
        kind: TokenKind,
        ttl_minutes: u32,
        invalidate_older_tokens: bool,
        version: Option<Version>,
        rng: &mut dyn Random,
    ) -> ApiResult<Outcome> {
        if let Some(version) = version {
            version::check(version, self.current.customer.meta.version)?;
        }
        if kind == TokenKind::Password {
            credentials::require_password_mode(self.current)?;
        }
        let issued = credentials::issue_token(
            self.current,
            self.project,
            (kind, ttl_minutes, invalidate_older_tokens),
            self.now_ms,
            &self.by,
            rng,
        );
        let answer = Answer::Token {
            body: issued.response,
            record: issued.record,
            value: issued.value,
        };
        let messages = vec![issued.message];
        Ok(match issued.stored {
            Some(after) => Outcome::Changed {
                after,
                messages,
                answer,
            },
            None => Outcome::MessagesOnly { messages, answer },
        })
    }

    async fn reset_password<P: Passwords>(
        &self,
        token: &TokenRecord,
        new_password: &str,
        version: Option<Version>,
        passwords: &P,
        rng: &mut dyn Random,
    ) -> ApiResult<Outcome> {
        credentials::check_token(token, TokenKind::Password, self.current, self.now_ms)?;
        if let Some(version) = version {
            version::check(version, self.current.customer.meta.version)?;
        }
        credentials::require_password_mode(self.current)?;
        let new_hash = passwords.hash(new_password).await?;
        let reset = credentials::reset_password(
            self.current,
            version,
            new_hash,
            self.now_ms,
            &self.by,
            rng,
        )?;
        Ok(self.changed(reset))
    }

    fn confirm_email(
        &self,
        token: &TokenRecord,
        version: Option<Version>,
        rng: &mut dyn Random,
    ) -> ApiResult<Outcome> {
        credentials::check_token(token, TokenKind::Email, self.current, self.now_ms)?;
        let confirmed =
            credentials::confirm_email(self.current, version, self.now_ms, &self.by, rng)?;
        Ok(self.changed(confirmed))
    }

    /// A weaker hash replaced after a sign-in, unless the customer changed meanwhile.
    fn rehash(&self, version: Version, old_hash: &str, new_hash: &str) -> Outcome {
        let current = self.current;
        if version != current.customer.meta.version
            || current.password_hash.as_deref() != Some(old_hash)
        {
            return Outcome::Unchanged;
        }
        Outcome::Changed {
            after: current.clone().with_password_hash(new_hash.to_string()),
            messages: Vec::new(),
            answer: Answer::Customer,
        }
    }
}

/// 409 for a write whose version check failed twice (the current version now), or 404.
pub fn conflict(command: &WriterCommand, current: Option<u64>) -> ApiError {
    match current {
        Some(current) => ApiError::ConcurrentModification {
            expected: command
                .write
                .expected_version()
                .map_or(current, Version::get),
            current: Some(current),
        },
        None => ApiError::not_found_id(&command.id),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::customer::testing::customer;

    fn command(store: Option<&str>, own_profile: bool) -> WriterCommand {
        WriterCommand {
            project: "p".into(),
            id: "c".into(),
            store: store.map(str::to_string),
            caller: Caller::internal("client"),
            now_ms: 0,
            write: Write::Delete {
                version: Version::stored(1),
                data_erasure: false,
            },
            own_profile,
        }
    }

    #[test]
    fn a_me_write_sees_a_store_customer_in_its_stores_only() {
        let global = customer(json!({"email": "a@b.c", "password": "p"})).customer;
        let in_s1 = customer(json!({"email": "a@b.c", "password": "p",
                                    "stores": [{"key": "s1", "typeId": "store"}]}))
        .customer;
        for own_profile in [false, true] {
            assert!(command(None, own_profile).sees(&global));
            assert!(command(Some("s1"), own_profile).sees(&global));
            assert!(command(Some("s1"), own_profile).sees(&in_s1));
            assert!(!command(Some("s2"), own_profile).sees(&in_s1));
        }
        // The back office's global path sees every customer; a customer's own token does not
        // take a store customer out of its stores.
        assert!(command(None, false).sees(&in_s1));
        assert!(!command(None, true).sees(&in_s1));
    }
}
