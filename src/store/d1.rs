//! D1: the one place that chooses which database a statement goes to, and runs statements
//! (built as plain data by `store::sql`, `store::table` and `store::query_sql`). Which
//! database holds a customer is `store::shards`' rule over `CUSTOMER_DATABASES` (and, while
//! re-balancing, `CUSTOMER_DATABASES_NEXT`: a customer whose bucket moves is read from its old
//! owner, else its new one, and writes are refused with [`StoreError::Rebalancing`]).

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, Env};

use super::bookmarks::Bookmarks;
use super::shards::{self, Layout, CATALOG as BINDING};
use super::sql::{Param, Statement};
use super::StoreError;

/// The databases of `CUSTOMER_DATABASES`, parsed once per isolate (again if the text changes).
pub fn layout(env: &Env) -> Result<Rc<Layout>, StoreError> {
    thread_local! {
        static PARSED: RefCell<Option<(String, Rc<Layout>)>> = const { RefCell::new(None) };
    }
    let var = |name: &str| env.var(name).map(|v| v.to_string()).unwrap_or_default();
    let (list, next) = (var("CUSTOMER_DATABASES"), var("CUSTOMER_DATABASES_NEXT"));
    let raw = format!("{list}\n{next}");
    if let Some(layout) = PARSED.with_borrow(|p| match p {
        Some((text, layout)) if *text == raw => Some(Rc::clone(layout)),
        _ => None,
    }) {
        return Ok(layout);
    }
    let layout =
        Rc::new(Layout::parse_with_next(Some(&list), Some(&next)).map_err(StoreError::Other)?);
    PARSED.set(Some((raw, Rc::clone(&layout))));
    Ok(layout)
}

/// The database of one project: every statement on the primary, or, [`Db::in_session`], in a
/// D1 session (which may read from a replica). A clone is the same connection or session.
#[derive(Clone)]
pub struct Db(Rc<Conn>);

enum Conn {
    Primary(D1Database),
    Session(D1DatabaseSession),
    /// A customer whose bucket is being moved (re-balancing): read from the old owner, then,
    /// if not found there, from the new one; never written (customer writes are refused).
    Moving(Db, Db),
    /// The catalog read as a place of customers while they are moved out of it (re-balancing
    /// from the single database): it holds stub rows beside full ones, and every read of
    /// `customers` skips the stubs (`shards::without_stubs`), so a stub is "no customer here".
    Stubbed(Db),
}

/// Where a request's session starts when the client sent no bookmark: any copy may answer.
pub const UNCONSTRAINED: &str = "first-unconstrained";
/// Where a write's session starts: on the primary, with the latest state.
pub const PRIMARY: &str = "first-primary";

impl Db {
    /// The database holding `project`'s resources. There is one today; spreading a project
    /// over several databases starts here.
    pub fn for_project(env: &Env, _project: &str) -> Result<Db, StoreError> {
        Ok(Db::primary(env.d1(BINDING)?))
    }

    /// The database holding customer `id` of `project` (its shard), with its messages and
    /// search rows. Unsharded: the project's database.
    pub fn for_customer(env: &Env, project: &str, id: &str) -> Result<Db, StoreError> {
        let layout = layout(env)?;
        if !layout.is_sharded() {
            return Db::for_project(env, project);
        }
        Db::in_places(&layout.places_of(id), |b| {
            Ok(Db::primary(env.d1(b)?).placed_as(&layout, b))
        })
    }

    /// This database (binding `binding`) as a place of customers: the catalog holding stubs
    /// beside full rows (moving out of the single database) reads past its stubs.
    fn placed_as(self, layout: &Layout, binding: &str) -> Db {
        match layout.holds_stubs(binding) {
            true => Db(Rc::new(Conn::Stubbed(self))),
            false => self,
        }
    }

    /// The database of a customer found in `places` (one, or its old and new owner while
    /// re-balancing moves it), each opened by `open`.
    fn in_places(
        places: &[&str],
        open: impl Fn(&str) -> Result<Db, StoreError>,
    ) -> Result<Db, StoreError> {
        match places {
            [old, new] => Ok(Db(Rc::new(Conn::Moving(open(old)?, open(new)?)))),
            _ => open(places[0]),
        }
    }

    /// Every database holding customers (the shards; unsharded, the project's database).
    pub fn customer_shards(env: &Env, project: &str) -> Result<Vec<Db>, StoreError> {
        let layout = layout(env)?;
        if !layout.is_sharded() {
            return Ok(vec![Db::for_project(env, project)?]);
        }
        layout
            .all_shards()
            .into_iter()
            .map(|b| Ok(Db::primary(env.d1(b)?).placed_as(&layout, b)))
            .collect()
    }

    /// The customer shards other than the catalog (what receives copies of the catalog's
    /// state; while moving out of the single database the catalog is also read as a shard).
    pub fn shards_beside_catalog(env: &Env) -> Result<Vec<Db>, StoreError> {
        layout(env)?
            .all_shards()
            .into_iter()
            .filter(|b| *b != BINDING)
            .map(|b| Ok(Db::primary(env.d1(b)?)))
            .collect()
    }

    /// Whether a re-balancing is under way (`CUSTOMER_DATABASES_NEXT` set): customer writes
    /// are refused with [`StoreError::Rebalancing`].
    pub fn is_rebalancing(env: &Env) -> Result<bool, StoreError> {
        Ok(layout(env)?.is_rebalancing())
    }

    /// `Err(StoreError::Rebalancing)` while a re-balancing is under way.
    pub fn writable(env: &Env) -> Result<(), StoreError> {
        match Db::is_rebalancing(env)? {
            true => Err(StoreError::Rebalancing),
            false => Ok(()),
        }
    }

    /// The database of binding `name` (the re-balancing step names its shards).
    pub fn named(env: &Env, name: &str) -> Result<Db, StoreError> {
        Ok(Db::primary(env.d1(name)?))
    }

    /// Whether customers live in shards beside the catalog (writes to them are split).
    pub fn is_sharded(env: &Env) -> Result<bool, StoreError> {
        Ok(layout(env)?.is_sharded())
    }

    /// Every database holding projects' resources (the catalog, then the customer shards),
    /// for work over all projects such as the message retention.
    pub fn every(env: &Env) -> Result<Vec<Db>, StoreError> {
        layout(env)?
            .every()
            .into_iter()
            .map(|b| Ok(Db::primary(env.d1(b)?)))
            .collect()
    }

    /// The database of what belongs to no project (API clients, whose ids are unique over
    /// all projects).
    pub fn shared(env: &Env) -> Result<Db, StoreError> {
        Ok(Db::primary(env.d1(BINDING)?))
    }

    /// The same database in a D1 session (the Sessions API: sequentially consistent reads,
    /// possibly from a replica) that starts at `bookmark` (a bookmark a client brought back, or
    /// [`UNCONSTRAINED`]). A session over a session is the session.
    pub fn in_session(self, bookmark: &str) -> Result<Db, StoreError> {
        match &*self.0 {
            Conn::Primary(db) => Ok(Db(Rc::new(Conn::Session(db.with_session(Some(bookmark))?)))),
            Conn::Stubbed(db) => Ok(Db(Rc::new(Conn::Stubbed(db.clone().in_session(bookmark)?)))),
            Conn::Session(_) | Conn::Moving(..) => Ok(self),
        }
    }

    fn primary(db: D1Database) -> Db {
        Db(Rc::new(Conn::Primary(db)))
    }

    /// The latest bookmark of the session (`None` outside a session, before any statement, or
    /// where the platform gives none).
    pub fn bookmark(&self) -> Option<String> {
        match &*self.0 {
            Conn::Session(session) => session.get_bookmark().ok().flatten(),
            Conn::Stubbed(db) => db.bookmark(),
            Conn::Primary(_) | Conn::Moving(..) => None,
        }
    }

    fn prepare(&self, statement: &Statement) -> Result<D1PreparedStatement, StoreError> {
        let values: Vec<JsValue> = statement.params.iter().map(js).collect();
        let prepared = match &*self.0 {
            Conn::Primary(db) => db.prepare(&statement.sql),
            Conn::Session(session) => session.prepare(&statement.sql),
            Conn::Stubbed(db) => return db.prepare(&shards::without_stubs(statement)),
            Conn::Moving(..) => return Err(StoreError::Rebalancing),
        };
        Ok(prepared.bind(&values)?)
    }

    /// The first row, if any (a moving customer: the old owner's, else the new one's).
    pub async fn first<T: DeserializeOwned>(
        &self,
        statement: &Statement,
    ) -> Result<Option<T>, StoreError> {
        if let Conn::Moving(old, new) = &*self.0 {
            if let Some(row) = Box::pin(old.first(statement)).await? {
                return Ok(Some(row));
            }
            return Box::pin(new.first(statement)).await;
        }
        Ok(self.prepare(statement)?.first(None).await?)
    }

    /// Every row (a moving customer: the old owner's rows, or, if it has none, the new
    /// one's; a statement on one customer's rows).
    pub async fn all<T: DeserializeOwned>(
        &self,
        statement: &Statement,
    ) -> Result<Vec<T>, StoreError> {
        if let Conn::Moving(old, new) = &*self.0 {
            let rows = Box::pin(old.all(statement)).await?;
            if !rows.is_empty() {
                return Ok(rows);
            }
            return Box::pin(new.all(statement)).await;
        }
        Ok(self.prepare(statement)?.all().await?.results()?)
    }

    /// Runs a statement that writes; returns how many rows it changed.
    pub async fn run(&self, statement: &Statement) -> Result<usize, StoreError> {
        let result = self.prepare(statement)?.run().await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
    }

    /// The statements as one transaction: all of them, or none.
    pub async fn batch(&self, statements: &[Statement]) -> Result<Vec<D1Result>, StoreError> {
        if let Conn::Stubbed(db) = &*self.0 {
            let read: Vec<Statement> = statements.iter().map(shards::without_stubs).collect();
            return Box::pin(db.batch(&read)).await;
        }
        let prepared = statements
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match &*self.0 {
            Conn::Primary(db) => db.batch(prepared).await?,
            Conn::Session(session) => session.batch(prepared).await?,
            Conn::Stubbed(..) | Conn::Moving(..) => return Err(StoreError::Rebalancing),
        })
    }
}

/// The D1 sessions of one request, or of one write in a writer object: one per database it
/// touches (the catalog, a customer's shard, every shard of a scattered query), each starting
/// at the bookmark brought for that database, else at `start` ([`UNCONSTRAINED`] for a
/// request, [`PRIMARY`] for a write). [`Sessions::bookmarks`] gives the latest bookmark of
/// each database, for the answer.
pub struct Sessions {
    env: Env,
    brought: Bookmarks,
    start: &'static str,
    open: RefCell<Vec<(String, Db)>>,
    /// What writes made elsewhere (a writer object, an in-process call) answered with.
    written: RefCell<Bookmarks>,
}

impl Sessions {
    /// The sessions of a request that brought `brought` (bookmarks of databases this
    /// deployment does not have are dropped).
    pub fn new(env: &Env, brought: Bookmarks, start: &'static str) -> Sessions {
        let brought = match layout(env) {
            Ok(layout) => brought.only(&layout.every()),
            Err(_) => Bookmarks::default(),
        };
        Sessions {
            env: env.clone(),
            brought,
            start,
            open: RefCell::new(Vec::new()),
            written: RefCell::new(Bookmarks::default()),
        }
    }

    /// The session on database `binding`, opened on first use.
    fn database(&self, binding: &str) -> Result<Db, StoreError> {
        if let Some((_, db)) = self.open.borrow().iter().find(|(b, _)| b == binding) {
            return Ok(db.clone());
        }
        let start = self.brought.get(binding).unwrap_or(self.start);
        let db = Db::primary(self.env.d1(binding)?).in_session(start)?;
        self.open
            .borrow_mut()
            .push((binding.to_string(), db.clone()));
        Ok(db)
    }

    /// [`Db::for_project`], in this session.
    pub fn for_project(&self, _project: &str) -> Result<Db, StoreError> {
        self.database(BINDING)
    }

    /// [`Db::for_customer`], in this session.
    pub fn for_customer(&self, project: &str, id: &str) -> Result<Db, StoreError> {
        let layout = layout(&self.env)?;
        if !layout.is_sharded() {
            return self.for_project(project);
        }
        Db::in_places(&layout.places_of(id), |b| {
            Ok(self.database(b)?.placed_as(&layout, b))
        })
    }

    /// [`Db::customer_shards`], in this session.
    pub fn customer_shards(&self, project: &str) -> Result<Vec<Db>, StoreError> {
        let layout = layout(&self.env)?;
        if !layout.is_sharded() {
            return Ok(vec![self.for_project(project)?]);
        }
        layout
            .all_shards()
            .into_iter()
            .map(|b| Ok(self.database(b)?.placed_as(&layout, b)))
            .collect()
    }

    /// [`Db::every`], in this session.
    pub fn every(&self) -> Result<Vec<Db>, StoreError> {
        layout(&self.env)?
            .every()
            .into_iter()
            .map(|b| self.database(b))
            .collect()
    }

    /// Whether customers live in shards beside the catalog.
    pub fn is_sharded(&self) -> Result<bool, StoreError> {
        Db::is_sharded(&self.env)
    }

    /// The platform.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Takes the bookmarks a write made elsewhere answered with (they are at least as late as
    /// anything this request read before it).
    pub fn wrote(&self, bookmarks: &Bookmarks) {
        self.written.borrow_mut().update(bookmarks);
    }

    /// The latest bookmark of each database: of a write made elsewhere, else of this
    /// session, else the one brought (carried on for databases this request did not touch).
    pub fn bookmarks(&self) -> Bookmarks {
        let mut latest = self.brought.clone();
        for (binding, db) in self.open.borrow().iter() {
            if let Some(bookmark) = db.bookmark() {
                latest.set(binding, bookmark);
            }
        }
        latest.update(&self.written.borrow());
        latest
    }
}

/// A parameter as D1 binds it.
fn js(param: &Param) -> JsValue {
    match param {
        Param::Text(s) => JsValue::from_str(s),
        Param::Int(i) => JsValue::from_f64(*i as f64),
        Param::Real(f) => JsValue::from_f64(*f),
        Param::Null => JsValue::NULL,
    }
}
