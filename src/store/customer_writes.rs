//! How a customer's writes load and store, for the writer object (`store::writer`): the
//! decision is the domain's (`domain::customer::writes`); here a new token goes to KV before
//! anything goes to D1, a change of the customer's email claims holds the email lock while it
//! is written, and the customer, its claims and its messages go to D1 in one batch — or, with
//! customers spread over shards (`store::shards`), the claims to the catalog first and the
//! customer to its shard second ([`write_batch`]).

use super::customer_table::{self, Customers};
use super::customers::{self, Loaded};
use super::d1::{Db, Sessions};
use super::passwords::WebCryptoPasswords;
use super::platform::CryptoRandom;
use super::sql::{Param, Statement};
use super::writer::{Attempt, Object, Reply, Writes};
use super::{config, email_lock, references, repository, shards, table, tokens, StoreError};
use crate::domain::customer::writes::{self, Answer, Outcome, Write, WriterCommand};
use crate::domain::customer::{Customer, StoredCustomer};
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::new_uuid;
use crate::domain::resource::Resource;
use worker::Env;

pub struct CustomerWrites;

impl Writes for CustomerWrites {
    const TYPE_ID: &'static str = Customer::TYPE_ID;
    type State = StoredCustomer;
    type Command = WriterCommand;

    fn project(command: &WriterCommand) -> &str {
        &command.project
    }

    fn id(command: &WriterCommand) -> &str {
        &command.id
    }

    /// A customer whose document cannot be read can still be deleted (and is never
    /// remembered: no other write may start from it).
    async fn load(
        object: &Object<'_>,
        command: &WriterCommand,
    ) -> ApiResult<Option<(StoredCustomer, bool)>> {
        let db = object.customer_db(&command.project, &command.id)?;
        Ok(
            match customers::load(&db, &command.project, &command.id).await? {
                None => None,
                Some(Loaded::Unreadable(skeleton))
                    if matches!(command.write, Write::Delete { .. }) =>
                {
                    Some((skeleton, false))
                }
                Some(loaded) => Some((loaded.readable()?, true)),
            },
        )
    }

    fn visible(state: &StoredCustomer, command: &WriterCommand) -> bool {
        command.sees(&state.customer)
    }

    async fn write(
        object: &Object<'_>,
        current: &StoredCustomer,
        command: &WriterCommand,
    ) -> Result<(Reply, Option<StoredCustomer>), Attempt> {
        let passwords = WebCryptoPasswords {
            iterations: config::pbkdf2_iterations(object.env),
        };
        let db = object.db(&command.project)?;
        let wanted = writes::wanted(current, command);
        let refs = references::load(&db, &command.project, &wanted).await?;
        let outcome =
            writes::decide(current, command, (&refs, &passwords), &mut CryptoRandom).await?;
        store(object, current, (&command.project, command.now_ms), outcome).await
    }

    async fn conflict(object: &Object<'_>, command: &WriterCommand) -> Rejection {
        let current = match object.customer_db(&command.project, &command.id) {
            Ok(db) => {
                repository::current_version::<Customers>(&db, &command.project, &command.id).await
            }
            Err(e) => Err(e),
        };
        match current {
            Ok(current) => writes::conflict(command, current).into(),
            Err(e) => e.into(),
        }
    }
}

/// Stores what a write decided and answers.
async fn store(
    object: &Object<'_>,
    current: &StoredCustomer,
    (project, now_ms): (&str, i64),
    outcome: Outcome,
) -> Result<(Reply, Option<StoredCustomer>), Attempt> {
    // Re-balancing: every customer write is refused (503), before a token is stored.
    Db::writable(object.env)?;
    let id = &current.customer.meta.id;
    let db = object.customer_db(project, id)?;
    match outcome {
        Outcome::Unchanged => Ok((Reply::ok(current.customer.to_json_string()), None)),
        Outcome::Changed {
            after,
            messages,
            answer,
        } => {
            store_token(object, &answer).await?;
            let place = (project, Customer::TYPE_ID);
            let batch = table::update::<Customers>(place, current, &after, &messages);
            write_claiming(object, (project, now_ms), current, &after, &batch).await?;
            let reply = answer_with(&answer, &after.customer);
            Ok((reply, Some(after)))
        }
        Outcome::MessagesOnly { messages, answer } => {
            store_token(object, &answer).await?;
            let batch: Vec<Statement> = messages
                .iter()
                .map(|m| table::message(project, m))
                .collect();
            db.batch(&batch).await?;
            Ok((
                answer_with(&answer, &current.customer),
                Some(current.clone()),
            ))
        }
        Outcome::Deleted {
            message,
            data_erasure,
        } => {
            let erasure = data_erasure
                .then(|| customer_table::erase_messages(project, id))
                .into_iter()
                .collect();
            let place = (project, Customer::TYPE_ID);
            let batch = table::delete::<Customers>(place, current, Some(&message), erasure);
            write_batch(
                object.sessions(),
                project,
                (Some(current), None),
                &batch,
                now_ms,
            )
            .await
            .map_err(|e| failed(e, &current.customer))?;
            Ok((Reply::ok(current.customer.to_json_string()), None))
        }
    }
}

fn answer_with(answer: &Answer, customer: &Customer) -> Reply {
    match answer {
        Answer::Customer => Reply::ok(customer.to_json_string()),
        Answer::Token { body, .. } => Reply::ok(body.to_string()),
    }
}

/// A new token goes to KV before its message and marks go to D1: if D1 then fails, the value
/// was never handed out, so the stored token harms nobody.
async fn store_token(object: &Object<'_>, answer: &Answer) -> Result<(), Attempt> {
    if let Answer::Token { record, value, .. } = answer {
        let ttl_seconds = ((record.expires_at_ms - record.created_at_ms) / 1000).max(0) as u64;
        tokens::save_customer_token(object.env, value, record, ttl_seconds).await?;
    }
    Ok(())
}

/// Writes the batch; a change of the customer's email claims (a new email, other stores)
/// holds the email lock meanwhile (a concurrent claimant → 409 `LockedField`).
async fn write_claiming(
    object: &Object<'_>,
    (project, now_ms): (&str, i64),
    before: &StoredCustomer,
    after: &StoredCustomer,
    batch: &[Statement],
) -> Result<(), Attempt> {
    let change = (Some(before), Some(after));
    let dbs = object.sessions();
    if before.customer.email_claims() == after.customer.email_claims() {
        return write_batch(dbs, project, change, batch, now_ms)
            .await
            .map(|_| ())
            .map_err(|e| failed(e, &after.customer));
    }
    let email = after.customer.lowercase_email().to_string();
    let owner = new_uuid(&mut CryptoRandom);
    if !email_lock::claim(object.env, project, &email, &owner).await? {
        return Err(ApiError::LockedField {
            field: "email".into(),
        }
        .into());
    }
    let written = write_batch(dbs, project, change, batch, now_ms).await;
    release_later(object, project, email, owner);
    written.map(|_| ()).map_err(|e| failed(e, &after.customer))
}

/// A customer's write: before → after (`None`: before a create, after a delete).
pub type Change<'a> = (Option<&'a StoredCustomer>, Option<&'a StoredCustomer>);

/// Writes a customer's batch at `now_ms` (the write's clock) in the caller's D1 sessions `dbs`
/// (so their bookmarks cover the write). In one database: the batch. With shards: the catalog
/// part (stub row, email and anonymous-id claims, references and their guards, what the write
/// releases held under another id (`shards::hold`), and a record that the write is under way)
/// first, so a taken value fails before any customer row is written; then the shard part (the
/// row with its version guard, messages, search rows); then the held values and the record
/// are removed. If the shard part fails, the catalog part is undone and the error returned:
/// no customer is left half-written. While re-balancing, nothing is written:
/// `StoreError::Rebalancing` (503). A Worker dying between the two leaves the record; the
/// orphan sweep (`store::orphans`) repairs the catalog from the shard once the record is
/// `shards::ORPHAN_AGE_MS` old.
pub async fn write_batch(
    dbs: &Sessions,
    project: &str,
    change: Change<'_>,
    batch: &[Statement],
    now_ms: i64,
) -> Result<(), StoreError> {
    Db::writable(dbs.env())?;
    let catalog_db = dbs.for_project(project)?;
    if !dbs.is_sharded()? {
        return catalog_db.batch(batch).await.map(|_| ());
    }
    let (before, after) = change;
    let id = before.or(after).map_or("", |s| s.customer.meta.id.as_str());
    let (mut catalog, shard) = shards::split(project, before, after, batch);
    // A deleted customer's anonymous id is freed only once the customer is gone.
    let mut finish: Vec<Statement> = match after {
        None => catalog
            .extract_if(.., |s| s.sql.contains("customer_anonymous_ids"))
            .collect(),
        Some(_) => Vec::new(),
    };
    let (env, shard_db) = (dbs.env(), dbs.for_customer(project, id)?);
    if catalog.is_empty() {
        return write_shard(env, &shard_db, &shard).await;
    }
    let held = shards::hold(project, before, after);
    if !held.is_empty() {
        catalog.extend(held);
        finish.extend(shards::release(project, id));
    }
    catalog.push(shards::pending(project, id, now_ms));
    finish.push(shards::done(project, id, now_ms));
    catalog_db.batch(&catalog).await?;
    if lost_on_purpose(env, &shard) {
        return Err(StoreError::Other(
            "TEST_LOSE_SHARD_WRITE: shard part lost on purpose, catalog part kept".into(),
        ));
    }
    if let Err(e) = write_shard(env, &shard_db, &shard).await {
        undo_catalog_part(&catalog_db, project, change, now_ms).await;
        return Err(e);
    }
    // The write is done: a failure here leaves only the record (and held values), which the
    // orphan sweep clears, so it is logged, not answered.
    if let Err(e) = catalog_db.batch(&finish).await {
        worker::console_error!("customer {id}: its write's record not removed: {e}");
    }
    Ok(())
}

/// Undoes the catalog part of `change` after its shard part failed: removes the values the
/// write held (no other customer could take them meanwhile), writes the catalog part of the
/// opposite change without guards (a create's anonymous id goes with it; other writes
/// never touched theirs), and removes the write's record. A failure to undo is logged: the
/// record then stays, and the orphan sweep repairs the catalog from the shard later.
async fn undo_catalog_part(catalog: &Db, project: &str, change: Change<'_>, now_ms: i64) {
    let (before, after) = change;
    let id = before.or(after).map_or("", |s| s.customer.meta.id.as_str());
    let opposite = opposite_batch(project, change);
    let (undo, _) = shards::split(project, after, before, &opposite);
    let mut undo: Vec<Statement> = shards::release(project, id)
        .into_iter()
        .chain(shards::undo(undo))
        .filter(|s| !s.sql.contains("customer_anonymous_ids") || before.is_none())
        .collect();
    undo.push(shards::done(project, id, now_ms));
    if let Err(e) = catalog.batch(&undo).await {
        worker::console_error!("customer {id}: undoing its catalog claims failed: {e}");
    }
}

/// The batch of the opposite change (after → before), whose catalog part undoes this one's.
fn opposite_batch(project: &str, (before, after): Change<'_>) -> Vec<Statement> {
    let place = (project, Customer::TYPE_ID);
    match (after, before) {
        (Some(a), Some(b)) => table::update::<Customers>(place, a, b, &[]),
        (Some(a), None) => table::delete::<Customers>(place, a, None, Vec::new()),
        (None, Some(b)) => table::insert::<Customers>(place, b, &[]),
        (None, None) => Vec::new(),
    }
}

/// Runs the shard part of a write. `TEST_FAIL_SHARD_WRITE` (never set in a deployment) makes
/// it fail when a value it writes contains that text, to test the undo.
async fn write_shard(env: &Env, db: &Db, batch: &[Statement]) -> Result<(), StoreError> {
    if let Ok(marker) = env.var("TEST_FAIL_SHARD_WRITE") {
        let marker = marker.to_string();
        let marked =
            |p: &Param| matches!(p, Param::Text(t) if !marker.is_empty() && t.contains(&marker));
        if batch.iter().any(|s| s.params.iter().any(marked)) {
            return Err(StoreError::Other(
                "TEST_FAIL_SHARD_WRITE: shard write failed on purpose".into(),
            ));
        }
    }
    db.batch(batch).await.map(|_| ())
}

/// `TEST_LOSE_SHARD_WRITE` (never set in a deployment): a shard part writing a value that
/// contains that text is dropped after the catalog part was written, and nothing is undone —
/// what a Worker dying between the two parts leaves, for the orphan sweep's test.
fn lost_on_purpose(env: &Env, batch: &[Statement]) -> bool {
    let Ok(marker) = env.var("TEST_LOSE_SHARD_WRITE") else {
        return false;
    };
    let marker = marker.to_string();
    let marked =
        |p: &Param| matches!(p, Param::Text(t) if !marker.is_empty() && t.contains(&marker));
    batch.iter().any(|s| s.params.iter().any(marked))
}

/// Releases an email lock after the response is on its way.
fn release_later(object: &Object<'_>, project: &str, email: String, owner: String) {
    let env = object.env.clone();
    let project = project.to_string();
    object.state.wait_until(async move {
        if let Err(e) = email_lock::release(&env, &project, &email, &owner).await {
            worker::console_error!("email lock release: {e}");
        }
    });
}

/// What a failed D1 write means: a stale copy (retry), a taken unique value, or a 500.
fn failed(err: StoreError, attempted: &Customer) -> Attempt {
    match err {
        StoreError::VersionConflict => Attempt::StaleCopy,
        other => duplicate_or_failure(other, attempted).into(),
    }
}

/// A unique value taken by another customer becomes `DuplicateField`, a reference to a
/// resource deleted meanwhile `ReferencedResourceNotFound`, the deletion of a customer who is
/// an associate of a business unit `ReferenceExists`; anything else is a 500.
pub fn duplicate_or_failure(err: StoreError, customer: &Customer) -> Rejection {
    match &err {
        StoreError::ReferenceMissing => missing_reference(customer).into(),
        // Only business units refer to customers (as associates).
        StoreError::ReferenceExists => ApiError::ReferenceExists {
            type_id: "customer".into(),
            referenced_by: Some("business-unit".into()),
        }
        .into(),
        StoreError::Duplicate(constraint) => {
            match customer_table::duplicate(constraint, customer) {
                Some(duplicate) => duplicate.into(),
                None => err.into(),
            }
        }
        _ => err.into(),
    }
}

/// Which reference a refused write named, as far as can be told (the batch says only that one
/// was missing): the customer group if it has one, else its custom type.
fn missing_reference(customer: &Customer) -> ApiError {
    let (type_id, id) = match (&customer.customer_group, &customer.custom) {
        (Some(group), _) => ("customer-group", group.id.clone()),
        (None, Some(custom)) => ("type", custom.type_ref.id.clone()),
        (None, None) => ("customer-group", None),
    };
    ApiError::ReferencedResourceNotFound {
        type_id: type_id.into(),
        id,
        key: None,
    }
}
