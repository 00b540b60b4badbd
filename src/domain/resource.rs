//! The versioned-resource shape every resource of the API shares, written once:
//!
//! - **create**: a resource's draft is validated by its own module, which builds the resource
//!   with a fresh [`Meta`] (version 1) and its `…Created` message ([`created`]);
//! - **update**: `{version, actions}` ([`UpdateRequest`], parsed by [`parse_request`]) is
//!   applied all or nothing by [`update`]: the request's version must be the current one
//!   ([`version::check`]), the actions apply in order to one copy, and the **version rule**
//!   holds — the version rises by one for every action that changes something, an action that
//!   changes nothing leaves it and produces no message, each message carries the version its
//!   action produced, and `lastModifiedAt`, `versionModifiedAt` and `lastModifiedBy` move only
//!   with the version;
//! - **delete** with the current version: [`deleted`] checks it and makes the last message;
//! - get by id or key, and queries over the resource's field schema, are the store's
//!   (`store::repository`, `store::query_sql`), driven by the resource's schema.
//!
//! A resource contributes only what is its own: its representation (embedding [`Meta`]) and
//! [`Resource`]; the state its actions work on and its actions ([`Updatable`]); its messages'
//! payloads; its schema, columns and migration; its routes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};
use super::ids::Random;
use super::json;
use super::message::Message;
use super::references::{ActionContext, Referenced, Wanted};
use super::refs::ClientLogging;
use super::time::iso_millis;
use super::version::{self, Version};

/// Most actions one update may carry (commercetools' limit).
pub const MAX_ACTIONS: usize = 500;

/// The fields every versioned resource's representation starts with, in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub id: String,
    pub version: u64,
    pub version_modified_at: String,
    pub last_message_sequence_number: u64,
    pub created_at: String,
    pub last_modified_at: String,
    pub last_modified_by: ClientLogging,
    pub created_by: ClientLogging,
}

impl Meta {
    /// A new resource's: version 1, and one message (its `…Created`) so far.
    pub fn new(id: String, now: &str, by: &ClientLogging) -> Meta {
        Meta {
            id,
            version: 1,
            version_modified_at: now.to_string(),
            last_message_sequence_number: 1,
            created_at: now.to_string(),
            last_modified_at: now.to_string(),
            last_modified_by: by.clone(),
            created_by: by.clone(),
        }
    }

    /// The meta of a new resource without a `…Created` message (customer groups, types):
    /// version 1 and no message so far, so its first message is number 1.
    pub fn without_messages(id: String, now: &str, by: &ClientLogging) -> Meta {
        Meta {
            last_message_sequence_number: 0,
            ..Meta::new(id, now, by)
        }
    }
}

/// A resource with the versioned shape.
pub trait Resource {
    /// Its `typeId` in references and messages (`customer`, `customer-group`, …).
    const TYPE_ID: &'static str;

    fn meta(&self) -> &Meta;

    fn meta_mut(&mut self) -> &mut Meta;

    /// `resourceUserProvidedIdentifiers` of its messages (`{key?, …}`), if any.
    fn user_provided_identifiers(&self) -> Option<Value>;
}

/// What one update action did: nothing, or a change with the payloads of its messages (a
/// change may produce no message).
#[derive(Debug, PartialEq)]
pub enum Effect<P> {
    Unchanged,
    Changed(Vec<P>),
}

impl<P> Effect<P> {
    /// `Changed` with the message `payload` if `changed`, else `Unchanged`.
    pub fn with(changed: bool, payload: impl FnOnce() -> P) -> Effect<P> {
        if changed {
            Effect::Changed(vec![payload()])
        } else {
            Effect::Unchanged
        }
    }

    /// `Changed` without a message if `changed`, else `Unchanged`.
    pub fn silent(changed: bool) -> Effect<P> {
        if changed {
            Effect::Changed(Vec::new())
        } else {
            Effect::Unchanged
        }
    }
}

/// What update actions work on: the resource and whatever is stored beside it.
pub trait Updatable: Clone + PartialEq {
    type Resource: Resource;
    /// One update action, as parsed from `{"action": name, …}`.
    type Action: DeserializeOwned;
    /// The type-specific part of the resource's messages (`{"type": …, …}`).
    type Payload: Serialize;

    fn resource(&self) -> &Self::Resource;

    fn resource_mut(&mut self) -> &mut Self::Resource;

    /// The referenced resources `action` needs (custom types, customer groups), besides those
    /// the state refers to already.
    fn wants(&self, _action: &Self::Action, _wanted: &mut Wanted) {}

    /// Applies one action to this copy; an error fails the whole request.
    fn apply(
        &mut self,
        action: &Self::Action,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Self::Payload>>;

    /// After every action applied: what follows from the change as a whole (e.g. tokens a
    /// changed email voids), and the checks on the result (what the resource may hold).
    fn finish(&mut self, before: &Self, now_ms: i64) -> ApiResult<()>;
}

/// `{version, actions}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateRequest<A> {
    pub version: Version,
    pub actions: Vec<A>,
}

/// Parses an update body. Each action is parsed on its own so errors name it
/// (`actions[2] -> action: …`); more than [`MAX_ACTIONS`] actions is a 400.
pub fn parse_request<A: DeserializeOwned>(body: &[u8]) -> Result<UpdateRequest<A>, ApiError> {
    #[derive(Deserialize)]
    struct Raw {
        version: Version,
        actions: Vec<Value>,
    }
    let raw: Raw = json::parse(body)?;
    if raw.actions.len() > MAX_ACTIONS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "An update may carry at most {MAX_ACTIONS} actions; this one has {}.",
                raw.actions.len()
            ),
        });
    }
    let actions = raw
        .actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| parse_action(action, &format!("actions[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(UpdateRequest {
        version: raw.version,
        actions,
    })
}

/// `{"action": name, …fields}` → the action, with errors under `path`. Clients send
/// internally tagged actions; they are turned into serde's externally tagged form
/// (`{name: {…}}`) so that a wrong or missing field is reported with its path, which serde
/// cannot do for internally tagged enums.
fn parse_action<A: DeserializeOwned>(action: Value, path: &str) -> Result<A, ApiError> {
    let Value::Object(mut fields) = action else {
        return Err(json::invalid_shape(
            path,
            "An update action must be a JSON object.",
        ));
    };
    let name = match fields.shift_remove("action") {
        Some(Value::String(name)) => name,
        None | Some(Value::Null) => {
            return Err(json::invalid_shape(
                &format!("{path} -> action"),
                "Missing required value",
            ))
        }
        Some(other) => {
            return Err(json::invalid_shape(
                &format!("{path} -> action"),
                &format!("expected the name of an update action, found {other}"),
            ))
        }
    };
    let mut tagged = Map::new();
    tagged.insert(name, Value::Object(fields));
    json::from_value(Value::Object(tagged), path)
}

/// Everything an update needs besides the state and the request.
pub struct UpdateContext<'a> {
    pub now_ms: i64,
    pub by: ClientLogging,
    pub rng: &'a mut dyn Random,
    /// The referenced resources the actions need (see [`wanted`]).
    pub refs: &'a Referenced,
}

/// The referenced resources applying `request` to `current` needs.
pub fn wanted<S: Updatable>(current: &S, request: &UpdateRequest<S::Action>) -> Wanted {
    let mut wanted = Wanted::default();
    for action in &request.actions {
        current.wants(action, &mut wanted);
    }
    wanted
}

/// The state after an update and the messages it produced.
#[derive(Debug)]
pub struct Updated<S> {
    pub state: S,
    pub messages: Vec<Message>,
}

impl<S: PartialEq> Updated<S> {
    /// True if anything stored changed.
    pub fn changed_from(&self, before: &S) -> bool {
        self.state != *before
    }
}

/// Applies `request` to `current`, all or nothing, under the version rule.
pub fn update<S: Updatable>(
    current: &S,
    request: &UpdateRequest<S::Action>,
    ctx: UpdateContext<'_>,
) -> ApiResult<Updated<S>> {
    let start = current.resource().meta();
    version::check(request.version, start.version)?;
    let now = iso_millis(ctx.now_ms);
    let (mut version, mut sequence) = (start.version, start.last_message_sequence_number);
    let mut work = current.clone();
    let mut messages = Vec::new();
    for action in &request.actions {
        let mut action_ctx = ActionContext {
            rng: ctx.rng,
            refs: ctx.refs,
        };
        if let Effect::Changed(payloads) = work.apply(action, &mut action_ctx)? {
            version += 1;
            for payload in payloads {
                sequence += 1;
                let message = Message::about(work.resource(), sequence, version, &payload);
                messages.push(message.sent(&now, &ctx.by, ctx.rng));
            }
        }
    }
    if version != start.version {
        let meta = work.resource_mut().meta_mut();
        meta.version = version;
        meta.last_message_sequence_number = sequence;
        meta.last_modified_at.clone_from(&now);
        meta.version_modified_at = now;
        meta.last_modified_by = ctx.by;
        // Payloads that embed the resource's state were taken before these fields moved;
        // that matches what each action produced.
    }
    work.finish(current, ctx.now_ms)?;
    Ok(Updated {
        state: work,
        messages,
    })
}

/// A change made outside update actions (a password reset, an email confirmation): the state
/// one version on, with the message of `payload` if there is one.
pub fn next_version<S: Updatable>(
    mut state: S,
    payload: Option<&S::Payload>,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> Updated<S> {
    let now = iso_millis(now_ms);
    let meta = state.resource_mut().meta_mut();
    meta.version += 1;
    meta.last_modified_at.clone_from(&now);
    meta.version_modified_at.clone_from(&now);
    meta.last_modified_by = by.clone();
    if payload.is_some() {
        meta.last_message_sequence_number += 1;
    }
    let (sequence, version) = (meta.last_message_sequence_number, meta.version);
    let messages = payload
        .map(|payload| Message::about(state.resource(), sequence, version, payload))
        .map(|draft| draft.sent(&now, by, rng))
        .into_iter()
        .collect();
    Updated { state, messages }
}

/// The `…Created` message of a new resource (sequence number 1, version 1).
pub fn created<R: Resource, P: Serialize>(
    resource: &R,
    payload: &P,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> Message {
    let now = resource.meta().created_at.clone();
    Message::about(resource, 1, 1, payload).sent(&now, by, rng)
}

/// Checks that `expected` is the resource's version and makes the message its deletion
/// stores. The deletion is the resource's last change: it "produces" the next version.
pub fn deleted<R: Resource, P: Serialize>(
    resource: &R,
    expected: Version,
    payload: &P,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Message> {
    let meta = resource.meta();
    version::check(expected, meta.version)?;
    let message = Message::about(
        resource,
        meta.last_message_sequence_number + 1,
        meta.version + 1,
        payload,
    );
    Ok(message.sent(&iso_millis(now_ms), by, rng))
}
