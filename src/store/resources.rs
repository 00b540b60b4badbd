//! The writes of the resources that have nothing but the shared shape (`store::kind::Kind`):
//! update and delete through the writer object ([`ResourceWrites`]), and what D1's refusals
//! of their batches mean.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use super::d1::Db;
use super::kind::Kind;
use super::repository::{self, Lookup};
use super::table;
use super::writer::{Attempt, Object, Reply, Writes};
use super::{references, StoreError};
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{self, Resource, Updatable, UpdateContext, UpdateRequest};
use crate::domain::version::{self, Version};
use crate::store::platform::CryptoRandom;

/// A write to one resource of kind `A`'s actions, sent to its writer object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceCommand<A> {
    pub project: String,
    pub id: String,
    /// Who writes (`lastModifiedBy`).
    pub by: ClientLogging,
    pub now_ms: i64,
    pub write: ResourceWrite<A>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ResourceWrite<A> {
    Update { request: UpdateRequest<A> },
    Delete { version: Version },
}

/// The command type of a kind's writes.
pub type CommandOf<K> = ResourceCommand<<<K as Kind>::State as Updatable>::Action>;

/// The writes of kind `K`, for the writer object.
pub struct ResourceWrites<K>(PhantomData<K>);

impl<K: Kind> Writes for ResourceWrites<K>
where
    <K::State as Updatable>::Action: Serialize,
{
    const TYPE_ID: &'static str = <K::State as Resource>::TYPE_ID;
    type State = K::State;
    type Command = CommandOf<K>;

    fn project(command: &Self::Command) -> &str {
        &command.project
    }

    fn id(command: &Self::Command) -> &str {
        &command.id
    }

    async fn load(
        object: &Object<'_>,
        command: &Self::Command,
    ) -> ApiResult<Option<(K::State, bool)>> {
        let db = object.db(&command.project)?;
        let view =
            repository::view::<K::Table>(&db, &command.project, Lookup::Id(&command.id)).await?;
        Ok(match view {
            Some(view) => Some((serde_json::from_str(&view.doc)?, true)),
            None => None,
        })
    }

    fn visible(_: &K::State, _: &Self::Command) -> bool {
        true
    }

    async fn write(
        object: &Object<'_>,
        current: &K::State,
        command: &Self::Command,
    ) -> Result<(Reply, Option<K::State>), Attempt> {
        let db = object.db(&command.project)?;
        let place = (command.project.as_str(), Self::TYPE_ID);
        let by = command.by.clone();
        match &command.write {
            ResourceWrite::Update { request } => {
                let refs =
                    references::load(&db, &command.project, &resource::wanted(current, request))
                        .await?;
                let ctx = UpdateContext {
                    now_ms: command.now_ms,
                    by,
                    rng: &mut CryptoRandom,
                    refs: &refs,
                };
                let updated = resource::update(current, request, ctx)?;
                if !updated.changed_from(current) {
                    return Ok((Reply::ok(serde_json::to_string(current)?), None));
                }
                let batch =
                    table::update::<K::Table>(place, current, &updated.state, &updated.messages);
                run::<K>(&db, &batch, &updated.state).await?;
                Ok((
                    Reply::ok(serde_json::to_string(&updated.state)?),
                    Some(updated.state),
                ))
            }
            ResourceWrite::Delete { version } => {
                version::check(*version, current.meta().version)?;
                let message = match K::deleted(current) {
                    Some(payload) => Some(resource::deleted(
                        current,
                        *version,
                        &payload,
                        command.now_ms,
                        &by,
                        &mut CryptoRandom,
                    )?),
                    None => None,
                };
                let batch = table::delete::<K::Table>(place, current, message.as_ref(), Vec::new());
                if let Err(e) = db.batch(&batch).await {
                    return Err(deletion_refused::<K>((&db, &command.project), e, current).await);
                }
                Ok((Reply::ok(serde_json::to_string(current)?), None))
            }
        }
    }

    async fn conflict(object: &Object<'_>, command: &Self::Command) -> Rejection {
        let current = match object.db(&command.project) {
            Ok(db) => {
                repository::current_version::<K::Table>(&db, &command.project, &command.id).await
            }
            Err(e) => Err(e),
        };
        match current {
            Ok(Some(current)) => ApiError::ConcurrentModification {
                expected: match &command.write {
                    ResourceWrite::Update { request } => request.version.get(),
                    ResourceWrite::Delete { version } => version.get(),
                },
                current: Some(current),
            }
            .into(),
            Ok(None) => ApiError::not_found_id(&command.id).into(),
            Err(e) => e.into(),
        }
    }
}

/// Runs a write batch of kind `K`; what D1 refuses becomes the API's answer.
pub async fn run<K: Kind>(
    db: &Db,
    batch: &[super::sql::Statement],
    state: &K::State,
) -> Result<(), Attempt> {
    db.batch(batch)
        .await
        .map(|_| ())
        .map_err(|e| failed::<K>(e, state))
}

/// What a failed deletion means; a refusal because of references names what refers to it.
async fn deletion_refused<K: Kind>(
    (db, project): (&Db, &str),
    err: StoreError,
    state: &K::State,
) -> Attempt {
    if !matches!(err, StoreError::ReferenceExists) {
        return failed::<K>(err, state);
    }
    let type_id = <K::State as Resource>::TYPE_ID;

    match repository::referrer(db, project, type_id, &state.meta().id).await {
        Ok(referenced_by) => Attempt::Rejected(
            ApiError::ReferenceExists {
                type_id: type_id.into(),
                referenced_by,
            }
            .into(),
        ),
        Err(e) => e.into(),
    }
}

/// What a failed batch means for a resource of kind `K`.
fn failed<K: Kind>(err: StoreError, state: &K::State) -> Attempt {
    match err {
        StoreError::VersionConflict => Attempt::StaleCopy,
        other => refusal::<K>(other, state).into(),
    }
}

/// The API error for a batch D1 refused.
pub fn refusal<K: Kind>(err: StoreError, state: &K::State) -> Rejection {
    let type_id = <K::State as Resource>::TYPE_ID;
    match &err {
        StoreError::Duplicate(constraint) => match K::duplicate(constraint, state) {
            Some(duplicate) => duplicate.into(),
            None => err.into(),
        },
        StoreError::ReferenceExists => ApiError::ReferenceExists {
            type_id: type_id.into(),
            referenced_by: None,
        }
        .into(),
        StoreError::ReferenceMissing => ApiError::ReferencedResourceNotFound {
            type_id: "type".into(),
            id: None,
            key: None,
        }
        .into(),
        StoreError::LimitReached => ApiError::MaxResourceLimitExceeded {
            type_id: type_id.into(),
            limit: K::MAX_PER_PROJECT.unwrap_or_default(),
        }
        .into(),
        // A create whose guards kept failing (its business unit's tree kept moving).
        StoreError::VersionConflict => ApiError::ConcurrentModification {
            expected: 0,
            current: None,
        }
        .into(),
        _ => err.into(),
    }
}
