//! The writer object: one Durable Object per resource (named by its project, type and id),
//! through which every write to that resource passes. It is glue: it holds an async lock
//! across load → decide → D1 write (input gates do not cover awaits on D1), keeps the state it
//! last wrote in memory (which saves the D1 read of the next write), and retries once on a
//! fresh read when its copy turns out stale. What a write decides is the domain's; how it is
//! stored is the resource's [`Writes`]. The D1 batch still checks the version, so correctness
//! never rests on this object alone.
//!
//! Registering a resource: one line in [`Writer::fetch`]'s table.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use futures_util::lock::Mutex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use super::associate_role_table::AssociateRoles;
use super::bookmarks::{Bookmarks, HEADER as BOOKMARK_HEADER};
use super::business_unit_table::BusinessUnits;
use super::customer_group_table::CustomerGroups;
use super::customer_writes::CustomerWrites;
use super::d1::{Db, Sessions, PRIMARY};
use super::resources::ResourceWrites;
use super::type_table::Types;
use super::StoreError;

type CustomerGroupWrites = ResourceWrites<CustomerGroups>;
type TypeWrites = ResourceWrites<Types>;
type AssociateRoleWrites = ResourceWrites<AssociateRoles>;
type BusinessUnitWrites = ResourceWrites<BusinessUnits>;
use crate::domain::error::{ApiError, ApiResult, Rejection};

const BINDING: &str = "WRITER";

/// What a write answers with.
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The D1 bookmarks after the write, one per database it touched (read-your-writes for
    /// whoever carries them on).
    pub bookmarks: Bookmarks,
}

impl Reply {
    pub fn ok(body: String) -> Reply {
        Reply {
            status: 200,
            body,
            bookmarks: Bookmarks::default(),
        }
    }
}

/// Why one attempt at a write did not succeed.
pub enum Attempt {
    /// The D1 version check failed, or a conflict was found against the in-memory copy: the
    /// copy may be stale.
    StaleCopy,
    Rejected(Rejection),
}

impl<E: Into<Rejection>> From<E> for Attempt {
    fn from(error: E) -> Self {
        Attempt::Rejected(error.into())
    }
}

/// The platform a write runs on, inside the object.
pub struct Object<'a> {
    pub env: &'a Env,
    pub state: &'a State,
    sessions: Rc<Sessions>,
}

impl Object<'_> {
    /// The database of `project`, in the D1 sessions of the write being made: they start on
    /// the primary (a write decides on the latest state), and their bookmarks go back with
    /// the answer.
    pub fn db(&self, project: &str) -> Result<Rc<Db>, StoreError> {
        Ok(Rc::new(self.sessions.for_project(project)?))
    }

    /// The database holding customer `id` (with one database, [`Object::db`]; with customers
    /// over several, the customer's shard), in the write's sessions.
    pub fn customer_db(&self, project: &str, id: &str) -> Result<Rc<Db>, StoreError> {
        Ok(Rc::new(self.sessions.for_customer(project, id)?))
    }

    /// The write's D1 sessions, one per database.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
}

/// How a resource's writes load and store, for the writer object.
#[allow(async_fn_in_trait)]
pub trait Writes {
    /// The resource's `typeId`: the writer object's table entry and part of its name.
    const TYPE_ID: &'static str;
    /// What a write works on.
    type State: Clone + 'static;
    type Command: Serialize + DeserializeOwned;

    fn project(command: &Self::Command) -> &str;

    fn id(command: &Self::Command) -> &str;

    /// The resource fresh from the store, and whether it may be remembered; `None` if it does
    /// not exist.
    async fn load(
        object: &Object<'_>,
        command: &Self::Command,
    ) -> ApiResult<Option<(Self::State, bool)>>;

    /// Whether the command may see the resource (else it is not found).
    fn visible(state: &Self::State, command: &Self::Command) -> bool;

    /// Decides and stores the write; returns the answer and the state to remember.
    async fn write(
        object: &Object<'_>,
        current: &Self::State,
        command: &Self::Command,
    ) -> Result<(Reply, Option<Self::State>), Attempt>;

    /// The answer when a write lost its version check twice.
    async fn conflict(object: &Object<'_>, command: &Self::Command) -> Rejection;
}

/// Sends `command` to its resource's writer object; the reply is the API answer. The
/// resource's kind travels in the path and the command is the whole body, serialized once (and
/// parsed once, straight into the command, by the object).
pub async fn send<W: Writes>(env: &Env, command: &W::Command) -> ApiResult<Reply> {
    let name = format!(
        "{}\n{}\n{}",
        W::project(command),
        W::TYPE_ID,
        W::id(command)
    );
    let stub = env.durable_object(BINDING)?.get_by_name(&name)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command)?.into()));
    let url = format!("https://writer/{}", W::TYPE_ID);
    let mut response = stub
        .fetch_with_request(Request::new_with_init(&url, &init)?)
        .await?;
    let bookmarks = Bookmarks::parse(response.headers().get(BOOKMARK_HEADER)?.as_deref());
    Ok(Reply {
        status: response.status_code(),
        body: response.text().await?,
        bookmarks,
    })
}

#[durable_object]
pub struct Writer {
    state: State,
    env: Env,
    lock: Mutex<()>,
    /// The state this object last read or wrote, of whichever resource it serves.
    cached: RefCell<Option<Box<dyn Any>>>,
    /// The D1 sessions of the write being made (one at a time: under `lock`).
    sessions: RefCell<Rc<Sessions>>,
}

impl DurableObject for Writer {
    fn new(state: State, env: Env) -> Self {
        Writer {
            state,
            lock: Mutex::new(()),
            cached: RefCell::new(None),
            sessions: RefCell::new(Rc::new(Sessions::new(&env, Bookmarks::default(), PRIMARY))),
            env,
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let resource = url.path().trim_start_matches('/');
        let command = req.text().await?;
        let _serialized = self.lock.lock().await;
        let fresh = Sessions::new(&self.env, Bookmarks::default(), PRIMARY);
        self.sessions.replace(Rc::new(fresh));
        let reply = match resource {
            CustomerWrites::TYPE_ID => self.run::<CustomerWrites>(&command).await,
            CustomerGroupWrites::TYPE_ID => self.run::<CustomerGroupWrites>(&command).await,
            TypeWrites::TYPE_ID => self.run::<TypeWrites>(&command).await,
            AssociateRoleWrites::TYPE_ID => self.run::<AssociateRoleWrites>(&command).await,
            BusinessUnitWrites::TYPE_ID => self.run::<BusinessUnitWrites>(&command).await,
            other => Err(ApiError::General {
                message: format!("No writer for resources of type '{other}'."),
            }
            .into()),
        };
        let reply = reply.unwrap_or_else(|rejection| Reply {
            status: rejection.status(),
            body: rejection.to_json().to_string(),
            bookmarks: Bookmarks::default(),
        });
        let mut response = Response::ok(reply.body)?.with_status(reply.status);
        if let Some(bookmarks) = self.sessions.borrow().bookmarks().render() {
            response.headers_mut().set(BOOKMARK_HEADER, &bookmarks)?;
        }
        Ok(response)
    }
}

/// Whether to trust the in-memory copy.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    Cached,
    Fresh,
}

impl Writer {
    fn object(&self) -> Object<'_> {
        Object {
            env: &self.env,
            state: &self.state,
            sessions: Rc::clone(&self.sessions.borrow()),
        }
    }

    async fn run<W: Writes>(&self, command: &str) -> ApiResult<Reply> {
        // The Worker parsed the request's body within serde_json's depth limit; the command
        // wraps it in a few more levels, so the limit is not applied a second time.
        let mut reader = serde_json::Deserializer::from_str(command);
        reader.disable_recursion_limit();
        let command = W::Command::deserialize(&mut reader)?;
        let second = match self.attempt::<W>(&command, Read::Cached).await {
            Err(Attempt::StaleCopy) => self.attempt::<W>(&command, Read::Fresh).await,
            first => first,
        };
        match second {
            Ok(reply) => Ok(reply),
            Err(Attempt::Rejected(rejection)) => Err(rejection),
            Err(Attempt::StaleCopy) => Err(W::conflict(&self.object(), &command).await),
        }
    }

    async fn attempt<W: Writes>(&self, command: &W::Command, read: Read) -> Result<Reply, Attempt> {
        let current = self.current::<W>(command, read).await?;
        match W::write(&self.object(), &current, command).await {
            Ok((reply, after)) => {
                self.remember(after);
                Ok(reply)
            }
            // A version mismatch against the in-memory copy is checked again on a fresh read.
            Err(Attempt::Rejected(rejection))
                if read == Read::Cached
                    && matches!(
                        rejection.first(),
                        Some(ApiError::ConcurrentModification { .. })
                    ) =>
            {
                Err(Attempt::StaleCopy)
            }
            Err(failed) => {
                self.cached.replace(None);
                Err(failed)
            }
        }
    }

    /// The resource, from memory or the store; 404 if it does not exist or the command may
    /// not see it.
    async fn current<W: Writes>(&self, command: &W::Command, read: Read) -> ApiResult<W::State> {
        let cached = match read {
            Read::Cached => self
                .cached
                .borrow()
                .as_ref()
                .and_then(|c| c.downcast_ref::<W::State>())
                .cloned(),
            Read::Fresh => None,
        };
        let current = match cached {
            Some(state) => Some(state),
            None => {
                let loaded = W::load(&self.object(), command).await?;
                loaded.map(|(state, cacheable)| {
                    self.remember(cacheable.then(|| state.clone()));
                    state
                })
            }
        };
        current
            .filter(|state| W::visible(state, command))
            .ok_or_else(|| ApiError::not_found_id(W::id(command)).into())
    }

    fn remember<S: 'static>(&self, state: Option<S>) {
        self.cached
            .replace(state.map(|s| Box::new(s) as Box<dyn Any>));
    }
}
