//! Search on D1 (wasm32): the state of a project's search indexes, the project row, running a
//! compiled search (fuzzy terms expanded first), and the index builder — the `SearchIndexer`
//! Durable Object, one per (project, resource), which builds an index after activation in
//! bounded steps driven by its alarm, so the build survives the request that started it.
//!
//! Why an alarm: `wrangler dev` runs Durable Object alarms locally (Queues need more setup),
//! an alarm is retried by the platform if its handler fails, and one object per index keeps a
//! single builder per index. Each alarm runs steps (one D1 batch of `SEARCH_INDEX_BATCH`
//! customers each) for up to [`SLICE_MS`], then sets the next alarm at once (or after
//! `SEARCH_INDEX_PAUSE_MS`, one step per alarm). A failing step is tried again after a pause
//! and, after `domain::project::BUILD_ATTEMPTS` failed attempts, the build is given up: the
//! index is `Failed` (activating again starts a new build).

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use super::config;
use super::d1::Db;
use super::platform::now_ms;
use super::search_index;
use super::search_sql::{self, Expansions, Index};
use super::sql::{Param, Statement};
use super::StoreError;
use crate::domain::error::ApiError;
use crate::domain::project::{self, AfterFailure, IndexState, MyUnitSettings};
use crate::domain::search::{text, SearchRequest};
use crate::domain::time::iso_millis;

const BINDING: &str = "SEARCH_INDEXER";
/// How long one alarm keeps building before it hands over to the next.
const SLICE_MS: i64 = 10_000;

#[derive(Deserialize)]
struct StateRow {
    activated: i64,
    status: String,
    generation: i64,
    indexed: u64,
    failed: u64,
    estimated_total: u64,
    cursor: String,
    retry_count: Option<u64>,
    started_at: Option<String>,
    last_modified_at: String,
    last_used_at: Option<String>,
}

impl StateRow {
    fn state(&self) -> IndexState {
        IndexState {
            activated: self.activated == 1,
            status: self.status.clone(),
            indexed: self.indexed,
            failed: self.failed,
            estimated_total: self.estimated_total,
            retry_count: self.retry_count,
            started_at: self.started_at.clone(),
            last_modified_at: self.last_modified_at.clone(),
            last_used_at: self.last_used_at.clone(),
        }
    }
}

fn state_statement(project: &str, resource: &str) -> Statement {
    Statement::new(
        "SELECT activated, status, generation, indexed, failed, estimated_total, cursor, retry_count, started_at, last_modified_at, last_used_at \
         FROM search_indexes WHERE project = ?1 AND resource = ?2",
        vec![Param::text(project), Param::text(resource)],
    )
}

async fn state_row(db: &Db, project: &str, resource: &str) -> Result<Option<StateRow>, StoreError> {
    db.first(&state_statement(project, resource)).await
}

/// The state of a project's index of `resource`, if it was ever switched on or off.
pub async fn state(
    db: &Db,
    project: &str,
    resource: &str,
) -> Result<Option<IndexState>, StoreError> {
    Ok(state_row(db, project, resource).await?.map(|r| r.state()))
}

/// The project row: version, createdAt, lastModifiedAt (a project never updated has none).
pub async fn project_row(
    db: &Db,
    project: &str,
) -> Result<Option<(u64, String, String)>, StoreError> {
    Ok(project_settings(db, project)
        .await?
        .map(|(version, created, modified, _)| (version, created, modified)))
}

/// The project row with the settings of units created on `/me`.
pub async fn project_settings(
    db: &Db,
    project: &str,
) -> Result<Option<(u64, String, String, MyUnitSettings)>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        version: u64,
        created_at: String,
        last_modified_at: String,
        my_business_unit_status: String,
        my_business_unit_role: Option<String>,
    }
    let row: Option<Row> = db
        .first(&Statement::new(
            "SELECT version, created_at, last_modified_at, my_business_unit_status, my_business_unit_role \
             FROM projects WHERE project = ?1",
            vec![Param::text(project)],
        ))
        .await?;
    Ok(row.map(|r| {
        let settings = MyUnitSettings {
            status: r.my_business_unit_status,
            role: r.my_business_unit_role,
        };
        (r.version, r.created_at, r.last_modified_at, settings)
    }))
}

/// Sets the status of units created on `/me` (in a project update's batch).
pub fn set_my_unit_status(project: &str, status: &str) -> Statement {
    Statement::new(
        "UPDATE projects SET my_business_unit_status = ?2 WHERE project = ?1",
        vec![Param::text(project), Param::text(status)],
    )
}

/// Sets the role the creator of a unit on `/me` gets (in a project update's batch), with a
/// guard that the role still exists.
pub fn set_my_unit_role(project: &str, role_key: &str) -> Vec<Statement> {
    vec![
        Statement::new(
            "INSERT INTO reference_guards (ok) SELECT COUNT(*) FROM associate_roles WHERE project = ?1 AND key = ?2",
            vec![Param::text(project), Param::text(role_key)],
        ),
        Statement::new(
            "UPDATE projects SET my_business_unit_role = ?2 WHERE project = ?1",
            vec![Param::text(project), Param::text(role_key)],
        ),
    ]
}

/// Writes a project update at `version` (the batch aborts with `VersionConflict` if the
/// project moved on): the version rises by one, `also` runs in the same batch.
pub async fn update_project(
    db: &Db,
    project: &str,
    version: u64,
    now: &str,
    also: Vec<Statement>,
) -> Result<(), StoreError> {
    let p = || vec![Param::text(project), Param::text(now)];
    let mut batch = vec![
        Statement::new(
            "INSERT OR IGNORE INTO projects (project, version, created_at, last_modified_at) VALUES (?1, 1, ?2, ?2)",
            p(),
        ),
        Statement::new(
            "INSERT INTO version_guards (ok) SELECT COUNT(*) FROM projects WHERE project = ?1 AND version = ?2",
            vec![Param::text(project), Param::uint(version)],
        ),
        Statement::new(
            "UPDATE projects SET version = version + 1, last_modified_at = ?2 WHERE project = ?1",
            p(),
        ),
    ];
    batch.extend(also);
    db.batch(&batch).await.map(|_| ())
}

/// Records that a search used the project's index of `resource` at `now`.
pub async fn record_use(
    db: &Db,
    project: &str,
    resource: &str,
    now: &str,
) -> Result<(), StoreError> {
    let def = search_index::Def::of(resource)
        .ok_or_else(|| StoreError::Other(format!("no search index of {resource}")))?;
    db.batch(&[search_index::record_use(def, project, now)])
        .await
        .map(|_| ())
}

/// Switches off every index (of every project and database) that no search used for
/// `domain::project::UNUSED_DAYS` at `now_ms`; returns how many. An index searched meanwhile
/// stays on (the batch's guard).
pub async fn deactivate_unused(env: &Env, now_ms: i64) -> Result<usize, StoreError> {
    #[derive(Deserialize)]
    struct Unused {
        project: String,
        resource: String,
    }
    let (before, now) = (project::unused_before(now_ms), iso_millis(now_ms));
    let mut switched_off = 0;
    // The catalog only: customer shards hold copies of the state ([`mirror`]), updated here.
    {
        let db = Db::shared(env)?;
        let unused: Vec<Unused> = db.all(&search_index::unused(&before)).await?;
        for index in unused {
            let Some(def) = search_index::Def::of(&index.resource) else {
                continue;
            };
            match db
                .batch(&search_index::deactivate_unused(
                    def,
                    &index.project,
                    &before,
                    &now,
                ))
                .await
            {
                Ok(_) => {
                    switched_off += 1;
                    mirror(env, &index.project, index.resource.as_str()).await?;
                }
                Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(switched_off)
}

/// One result row of a search page.
#[derive(Deserialize)]
pub struct Hit {
    pub id: String,
    pub relevance: f64,
    pub total: u64,
}

/// A search's answer: the state of the index it ran on, and the page and total (or why the
/// request cannot run) — to be used only if that state is ready.
pub struct Answer {
    pub state: Option<IndexState>,
    pub page: Result<(Vec<Hit>, u64), ApiError>,
}

/// Runs a search in one D1 round trip with the read of the index's state (a search with
/// fuzzy terms: two, the state read with the indexed terms they may match, then the page); a
/// page past the end costs one more for the total. The page runs before the state is known
/// to be ready: the caller uses it only if it is.
pub async fn run(
    db: &Db,
    index: Index,
    project: &str,
    request: &SearchRequest,
) -> Result<Answer, StoreError> {
    let fuzzy = search_sql::fuzzy_terms(request.query.as_ref());
    let mut first = vec![state_statement(project, index.resource)];
    first.extend(
        fuzzy
            .iter()
            .map(|(term, level)| search_sql::fuzzy_candidates(index, term, *level)),
    );
    let page = match fuzzy.is_empty() {
        true => match search_sql::compile(index, project, request, &Expansions::new()) {
            Ok(page) => Some(page),
            Err(e) => return only_state(db, project, index, Err(e)).await,
        },
        false => None,
    };
    first.extend(page.clone());
    let mut results = db.batch(&first).await?.into_iter();
    let state = rows::<StateRow>(results.next())?
        .into_iter()
        .next()
        .map(|r| r.state());
    let (page, hits) = match page {
        Some(page) => (page, rows::<Hit>(results.last())?),
        None if !state.as_ref().is_some_and(IndexState::ready) => {
            return Ok(Answer {
                state,
                page: Ok((Vec::new(), 0)),
            })
        }
        None => {
            let mut expansions = Expansions::new();
            for ((term, level), found) in fuzzy.into_iter().zip(results) {
                let found = candidates(rows::<Terms>(Some(found))?);
                let kept = search_sql::keep_within(&term, level, found);
                expansions.insert((term, level), kept);
            }
            let page = match search_sql::compile(index, project, request, &expansions) {
                Ok(page) => page,
                Err(e) => {
                    return Ok(Answer {
                        state,
                        page: Err(e),
                    })
                }
            };
            let hits = db.all(&page).await?;
            (page, hits)
        }
    };
    let total = match hits.first() {
        Some(hit) => hit.total,
        None if request.offset == 0 || !state.as_ref().is_some_and(IndexState::ready) => 0,
        None => {
            #[derive(Deserialize)]
            struct Count {
                total: u64,
            }
            let count: Option<Count> = db.first(&search_sql::count_of(&page)).await?;
            count.map_or(0, |c| c.total)
        }
    };
    Ok(Answer {
        state,
        page: Ok((hits, total)),
    })
}

/// The answer of a search that cannot run (`page`), with the index's state.
async fn only_state(
    db: &Db,
    project: &str,
    index: Index,
    page: Result<(Vec<Hit>, u64), ApiError>,
) -> Result<Answer, StoreError> {
    let state = state_row(db, project, index.resource).await?;
    Ok(Answer {
        state: state.map(|r| r.state()),
        page,
    })
}

/// The rows of one statement of a batch.
fn rows<T: serde::de::DeserializeOwned>(
    result: Option<worker::D1Result>,
) -> Result<Vec<T>, StoreError> {
    match result {
        Some(result) => Ok(result.results()?),
        None => Err(StoreError::Other("a batch answered too few results".into())),
    }
}

/// The fuzzy candidates of a term, as `search_sql::fuzzy_candidates` answers them: one row,
/// the terms separated by spaces.
#[derive(Deserialize)]
struct Terms {
    terms: Option<String>,
}

fn candidates(rows: Vec<Terms>) -> Vec<String> {
    rows.into_iter()
        .filter_map(|r| r.terms)
        .flat_map(|t| t.split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The request's fuzzy terms, each with the indexed terms of `db` within its edit distance.
async fn expand_fuzzy_terms(
    db: &Db,
    index: Index,
    request: &SearchRequest,
) -> Result<Expansions, StoreError> {
    let mut expansions = Expansions::new();
    for (term, level) in search_sql::fuzzy_terms(request.query.as_ref()) {
        let found: Vec<Terms> = db
            .all(&search_sql::fuzzy_candidates(index, &term, level))
            .await?;
        let kept = search_sql::keep_within(&term, level, candidates(found));
        expansions.insert((term, level), kept);
    }
    Ok(expansions)
}

/// Runs a search over several databases (customers over shards), in parallel: each expands
/// fuzzy terms against its own indexed terms and answers its first `offset + limit` matches
/// with their sort keys and its count; the merge orders them as one database would
/// (`search_sql::merge`). Relevance (BM25) is computed per database, from its own statistics.
pub async fn run_scattered(
    dbs: &[Db],
    index: Index,
    project: &str,
    request: &SearchRequest,
) -> Result<Result<(Vec<Hit>, u64), ApiError>, StoreError> {
    use futures_util::future::try_join_all;
    use search_sql::ScatteredHit;
    use serde_json::{Map, Value};
    let asked = try_join_all(dbs.iter().map(|db| async move {
        let expansions = expand_fuzzy_terms(db, index, request).await?;
        let scattered = match search_sql::compile_scattered(index, project, request, &expansions) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let rows: Vec<Map<String, Value>> = db.all(&scattered.statement).await?;
        let hits: Vec<ScatteredHit> = rows
            .into_iter()
            .map(|row| ScatteredHit {
                id: row
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                relevance: row.get("relevance").and_then(Value::as_f64).unwrap_or(0.0),
                total: row.get("total").and_then(Value::as_u64).unwrap_or(0),
                keys: (0..scattered.descending.len())
                    .map(|i| row.get(&format!("s{i}")).cloned().unwrap_or(Value::Null))
                    .collect(),
            })
            .collect();
        Ok::<_, StoreError>(Ok((hits, scattered.descending)))
    }))
    .await?;
    let mut lists = Vec::new();
    let mut descending = Vec::new();
    for answer in asked {
        match answer {
            Ok((hits, desc)) => {
                lists.push(hits);
                descending = desc;
            }
            Err(e) => return Ok(Err(e)),
        }
    }
    let (page, total) = search_sql::merge(lists, &descending, (request.offset, request.limit));
    let hits = page
        .into_iter()
        .map(|(id, relevance)| Hit {
            id,
            relevance,
            total,
        })
        .collect();
    Ok(Ok((hits, total)))
}

/// Copies the catalog's state of the project's customer index into every customer shard
/// (`search_index::mirror`), after an activation or deactivation and when the builder
/// starts a slice; unsharded, or for another resource, nothing. The catalog itself (a place
/// of customers while they are moved out of it) keeps its own state.
pub async fn mirror(env: &Env, project: &str, resource: &str) -> Result<(), StoreError> {
    if resource != search_index::CUSTOMERS.resource || !Db::is_sharded(env)? {
        return Ok(());
    }
    let catalog = Db::for_project(env, project)?;
    let Some(row) = state_row(&catalog, project, resource).await? else {
        return Ok(());
    };
    let now = iso_millis(now_ms());
    let statements = search_index::mirror(
        search_index::CUSTOMERS,
        project,
        (row.activated == 1, row.generation),
        &now,
    );
    let shards = Db::shards_beside_catalog(env)?;
    futures_util::future::try_join_all(shards.iter().map(|db| db.batch(&statements))).await?;
    Ok(())
}

/// What the builder object is asked to build.
#[derive(Serialize, Deserialize, Clone)]
struct Job {
    project: String,
    resource: String,
}

/// Asks the project's builder of `resource` to start (it sets its alarm and returns).
pub async fn start_builder(env: &Env, project: &str, resource: &str) -> Result<(), StoreError> {
    let stub = env
        .durable_object(BINDING)?
        .get_by_name(&format!("{project}\n{resource}"))?;
    let job = Job {
        project: project.to_string(),
        resource: resource.to_string(),
    };
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(
        serde_json::to_string(&job)
            .map_err(|e| StoreError::Other(e.to_string()))?
            .into(),
    ));
    stub.fetch_with_request(Request::new_with_init("https://indexer/", &init)?)
        .await?;
    Ok(())
}

#[durable_object]
pub struct SearchIndexer {
    state: State,
    env: Env,
}

impl DurableObject for SearchIndexer {
    fn new(state: State, env: Env) -> Self {
        SearchIndexer { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let job: Job = req.json().await?;
        self.state.storage().put("job", &job).await?;
        self.state.storage().set_alarm(1).await?;
        Response::ok("scheduled")
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let Some(job) = self.state.storage().get::<Job>("job").await.ok().flatten() else {
            return Response::ok("no job");
        };
        match self.build(&job).await {
            Ok(true) => {
                self.state.storage().delete("job").await?;
                Response::ok("done")
            }
            Ok(false) => {
                let pause = config::search_index_pause_ms(&self.env).max(1);
                self.state.storage().set_alarm(pause).await?;
                Response::ok("more")
            }
            Err(e) => {
                worker::console_error!("search index build of {}: {e}", job.project);
                self.failed_attempt(&job).await
            }
        }
    }
}

impl SearchIndexer {
    /// Builds for one time slice; `true` when there is nothing more to do.
    async fn build(&self, job: &Job) -> Result<bool, StoreError> {
        let db = Db::for_project(&self.env, &job.project)?;
        let batch = config::search_index_batch(&self.env);
        let one_step = config::search_index_pause_ms(&self.env) > 0;
        let started = now_ms();
        let shards =
            if job.resource == search_index::CUSTOMERS.resource && Db::is_sharded(&self.env)? {
                mirror(&self.env, &job.project, &job.resource).await?;
                Some(Db::customer_shards(&self.env, &job.project)?)
            } else {
                None
            };
        loop {
            let Some(row) = state_row(&db, &job.project, &job.resource).await? else {
                return Ok(true);
            };
            let stale = row.activated != 1 || row.status == "Ready";
            let Some(def) = search_index::Def::of(&job.resource).filter(|_| !stale) else {
                return Ok(true);
            };
            let done = match &shards {
                Some(shards) => step_sharded((&db, shards), def, &job.project, &row, batch).await?,
                None => step(&db, def, &job.project, &row, batch).await?,
            };
            if done {
                return Ok(true);
            }
            if one_step || now_ms() - started > SLICE_MS {
                return Ok(false);
            }
        }
    }

    /// After a failed step: counts the attempt and retries after a pause, or gives the build
    /// up as `Failed` (`domain::project::after_failed_attempt`). If even that cannot be
    /// written, the alarm fails and the platform retries it.
    async fn failed_attempt(&self, job: &Job) -> worker::Result<Response> {
        let stored = |e: StoreError| worker::Error::RustError(e.to_string());
        let db = Db::for_project(&self.env, &job.project).map_err(stored)?;
        let row = state_row(&db, &job.project, &job.resource)
            .await
            .map_err(stored)?;
        let (Some(row), Some(def)) = (row, search_index::Def::of(&job.resource)) else {
            self.state.storage().delete("job").await?;
            return Response::ok("no index");
        };
        let attempts = row.retry_count.unwrap_or(0) + 1;
        match project::after_failed_attempt(attempts) {
            AfterFailure::RetryIn(pause) => {
                let counted =
                    search_index::attempt_failed(def, &job.project, row.generation, attempts);
                db.batch(&[counted]).await.map_err(stored)?;
                self.state.storage().set_alarm(pause).await?;
                Response::ok("retry")
            }
            AfterFailure::GiveUp => {
                // Over shards the cursor is `{shard}:{id}`: the step's customers are counted
                // from the catalog's stubs after that id (an estimate).
                let sharded = job.resource == search_index::CUSTOMERS.resource
                    && Db::is_sharded(&self.env).map_err(stored)?;
                let cursor = match row.cursor.split_once(':') {
                    Some((_, id)) if sharded => id,
                    _ => row.cursor.as_str(),
                };
                let step = (
                    row.generation,
                    cursor,
                    config::search_index_batch(&self.env),
                );
                let now = iso_millis(now_ms());
                let failed = search_index::build_failed(def, &job.project, step, attempts, &now);
                db.batch(&[failed]).await.map_err(stored)?;
                self.state.storage().delete("job").await?;
                Response::ok("failed")
            }
        }
    }
}

/// The id of a resource the builder indexes next.
#[derive(Deserialize)]
struct Id {
    id: String,
}

/// One builder step over the next `batch` resources; `true` once the index is Ready.
async fn step(
    db: &Db,
    def: search_index::Def,
    project: &str,
    row: &StateRow,
    batch: u32,
) -> Result<bool, StoreError> {
    let ids: Vec<Id> = db
        .all(&search_index::next_ids(def, project, &row.cursor, batch))
        .await?;
    let now = iso_millis(now_ms());
    match ids.last() {
        None => {
            db.batch(&search_index::build_done(
                def,
                project,
                row.generation,
                &now,
            ))
            .await?;
            Ok(true)
        }
        Some(last) => {
            let range = (row.cursor.as_str(), last.id.as_str());
            let terms = terms_between(db, def, project, range).await?;
            let count = ids.len() as u64;
            let mut batch =
                search_index::build_step(def, project, row.generation, range, count, &now);
            batch.extend(search_index::remember_terms(def, &terms));
            db.batch(&batch).await?;
            Ok(false)
        }
    }
}

/// One builder step with customers over shards: the shards are walked one after the other;
/// the catalog's cursor is `{shard}:{last id}` (`""`: the first shard from its start). The
/// rows are written in the shard (guarded by its copy of the state), the progress in the
/// catalog.
async fn step_sharded(
    (catalog, shards): (&Db, &[Db]),
    def: search_index::Def,
    project: &str,
    row: &StateRow,
    batch: u32,
) -> Result<bool, StoreError> {
    let (shard, after) = match row.cursor.split_once(':') {
        Some((n, id)) => (n.parse::<usize>().unwrap_or(usize::MAX), id),
        None => (0, ""),
    };
    let now = iso_millis(now_ms());
    let Some(db) = shards.get(shard) else {
        catalog
            .batch(&search_index::build_done(
                def,
                project,
                row.generation,
                &now,
            ))
            .await?;
        return Ok(true);
    };
    let ids: Vec<Id> = db
        .all(&search_index::next_ids(def, project, after, batch))
        .await?;
    let Some(last) = ids.last() else {
        let next = format!("{}:", shard + 1);
        let progress = search_index::build_progress(def, project, row.generation, (&next, 0), &now);
        catalog.batch(&[progress]).await?;
        return Ok(false);
    };
    let range = (after, last.id.as_str());
    let terms = terms_between(db, def, project, range).await?;
    let mut rows = search_index::build_rows(def, project, row.generation, range);
    rows.extend(search_index::remember_terms(def, &terms));
    db.batch(&rows).await?;
    let cursor = format!("{shard}:{}", last.id);
    let count = ids.len() as u64;
    let progress =
        search_index::build_progress(def, project, row.generation, (&cursor, count), &now);
    catalog.batch(&[progress]).await?;
    Ok(false)
}

/// The distinct terms of the resources with ids in the range that are not kept as candidates
/// of fuzzy matching yet.
async fn terms_between(
    db: &Db,
    def: search_index::Def,
    project: &str,
    range: (&str, &str),
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Text {
        text: String,
    }
    let texts: Vec<Text> = db
        .all(&search_index::texts_between(def, project, range))
        .await?;
    let mut terms: Vec<String> = texts.iter().flat_map(|t| text::terms(&t.text)).collect();
    terms.sort();
    terms.dedup();
    let unkept: Vec<Terms> = db.all(&search_index::unkept_terms(def, &terms)).await?;
    Ok(candidates(unkept))
}
