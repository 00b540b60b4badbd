//! Search and the project resource: `POST`/`HEAD …/customers/search` and
//! `…/business-units/search`, their `GET …/search/indexing-status`, and `GET`/`POST /{projectKey}` (the project, with
//! `changeCustomerSearchStatus` and `changeBusinessUnitSearchStatus`).

use serde_json::json;
use worker::{Method, Response};

use crate::domain::auth::Scope;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::project::{
    self, ChangeSearchStatus, IndexState, MyUnitSettings, ProjectAction, SearchFeature,
};
use crate::domain::references::Wanted;
use crate::domain::refs::ResourceIdentifier;
use crate::domain::search::{
    fields, parse as parse_search, Query, Scalar, SearchRequest, Simple, Test,
};
use crate::domain::time::iso_millis;
use crate::http::context::Call;
use crate::http::respond;
use crate::store::d1::Db;
use crate::store::references;
use crate::store::search_index;
use crate::store::search_sql;
use crate::store::sql::Statement;
use crate::store::{search as search_store, StoreError};

fn not_ready(feature: &str) -> ApiError {
    ApiError::SearchNotReady {
        message: format!(
            "{feature} is not ready. Check the indexing-status endpoint and that the \
             feature has been activated in the project settings."
        ),
    }
}

/// `POST …/customers/search` (a page of `{id, relevance}`) and `HEAD` (200 once the index is
/// Ready, else 409 `SearchNotReady`).
pub async fn customers(mut call: Call) -> ApiResult<Response> {
    let scopes = [Scope::new("view_customers", &call.project, None)];
    call.authorize(&scopes).await?;
    search(call, search_sql::CUSTOMERS, &fields::CUSTOMERS, None).await
}

/// `POST`/`HEAD …/business-units/search`. A token with `view_business_units` only for some
/// stores (`view_business_units:{pk}:{store}`, or `manage_…`) finds only the units of those
/// stores (the unit's own `stores` or, in `storeMode` FromParent, its `inheritedStores`).
pub async fn business_units(mut call: Call) -> ApiResult<Response> {
    let project = call.project.to_string();
    let everywhere = Scope::new("view_business_units", &project, None);
    let grant = call.authenticate().await?;
    let stores = if grant.scopes.imply(&everywhere) {
        None
    } else {
        let mut stores: Vec<String> = grant
            .scopes
            .iter()
            .filter_map(|held| held.store.as_deref())
            .filter(|store| {
                let wanted = Scope::new("view_business_units", &project, Some(store));
                grant.scopes.imply(&wanted)
            })
            .map(str::to_string)
            .collect();
        stores.sort();
        stores.dedup();
        if stores.is_empty() {
            grant.authorize(&[everywhere])?;
        }
        Some(stores)
    };
    let schema = &fields::BUSINESS_UNITS;
    search(call, search_sql::BUSINESS_UNITS, schema, stores).await
}

/// A search on `index` (after the caller was authorized), restricted to the resources of
/// `stores` if given.
async fn search(
    mut call: Call,
    index: search_sql::Index,
    schema: &fields::Schema,
    stores: Option<Vec<String>>,
) -> ApiResult<Response> {
    let db = call.db()?;
    let feature = if index.resource == "customer" {
        "Customer Search"
    } else {
        "Business Unit Search"
    };
    let ready = |state: Option<IndexState>| {
        state
            .filter(IndexState::ready)
            .ok_or_else(|| not_ready(feature))
    };
    let sharded = index.resource == search_sql::CUSTOMERS.resource && Db::is_sharded(&call.env)?;
    let parsed = match call.req.method() {
        Method::Head => None,
        _ => Some(parse_search(&call.body().await?, schema)),
    };
    // Not ready (409) before bad input (400); the search itself runs with the state's read.
    let request = match parsed {
        Some(Ok(request)) if !sharded => restricted(request, schema, stores)?,
        parsed => {
            let state = ready(search_store::state(&db, &call.project, index.resource).await?)?;
            let Some(request) = parsed else {
                return Ok(respond::json(200, String::new()));
            };
            let request = restricted(request?, schema, stores)?;
            if project::use_to_record(state.last_used_at.as_deref(), call.now_ms) {
                record_use_later(&call, index.resource);
            }
            let shards = call.session.customer_shards(&call.project)?;
            let found = search_store::run_scattered(&shards, index, &call.project, &request);
            return Ok(page(&request, found.await??));
        }
    };
    let answer = search_store::run(&db, index, &call.project, &request).await?;
    let state = ready(answer.state)?;
    if project::use_to_record(state.last_used_at.as_deref(), call.now_ms) {
        record_use_later(&call, index.resource);
    }
    Ok(page(&request, answer.page?))
}

/// The request restricted to the resources of `stores`, if given (an unscored filter).
fn restricted(
    mut request: SearchRequest,
    schema: &fields::Schema,
    stores: Option<Vec<String>>,
) -> ApiResult<SearchRequest> {
    if let Some(stores) = stores {
        let only = Query::Filter(vec![Query::Or(vec![
            in_stores(schema, "stores.key", &stores)?,
            in_stores(schema, "inheritedStores.key", &stores)?,
        ])]);
        request.query = Some(match request.query.take() {
            None => only,
            Some(query) => Query::And(vec![only, query]),
        });
    }
    Ok(request)
}

/// The response of a search: `{total, limit, offset, results: [{id, relevance}]}`.
fn page(request: &SearchRequest, (hits, total): (Vec<search_store::Hit>, u64)) -> Response {
    let results: Vec<_> = hits
        .iter()
        .map(|h| json!({"id": h.id, "relevance": h.relevance}))
        .collect();
    let body = json!({"total": total, "limit": request.limit, "offset": request.offset, "results": results});
    respond::json(200, body.to_string())
}

/// Records, once the response is on its way, that a search used the index (a `POST`; `HEAD`
/// only asks whether the index is ready): an index no search uses for 30 days is switched off
/// by the scheduled handler.
fn record_use_later(call: &Call, resource: &'static str) {
    let (env, project, now) = (
        call.env.clone(),
        call.project.to_string(),
        iso_millis(call.now_ms),
    );
    call.ctx.wait_until(async move {
        let recorded = match crate::store::d1::Db::for_project(&env, &project) {
            Ok(db) => search_store::record_use(&db, &project, resource, &now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = recorded {
            worker::console_error!("search use of {project} not recorded: {e}");
        }
    });
}

/// An unscored `exact` of `field` on any of `stores`.
fn in_stores(schema: &fields::Schema, field: &str, stores: &[String]) -> ApiResult<Query> {
    let field = schema
        .field(field, None)
        .map_err(|message| ApiError::InvalidInput { message })?;
    Ok(Query::Simple(Simple {
        field,
        boost: 0.0,
        test: Test::Exact {
            values: stores.iter().cloned().map(Scalar::Text).collect(),
            case_insensitive: false,
        },
    }))
}

/// `GET …/customers/search/indexing-status`.
pub async fn customers_indexing_status(call: Call) -> ApiResult<Response> {
    indexing_status(call, "customer").await
}

/// `GET …/business-units/search/indexing-status`.
pub async fn business_units_indexing_status(call: Call) -> ApiResult<Response> {
    indexing_status(call, "business-unit").await
}

async fn indexing_status(mut call: Call, resource: &str) -> ApiResult<Response> {
    let scopes = [Scope::new("view_project_settings", &call.project, None)];
    call.authorize(&scopes).await?;
    let state = search_store::state(&*call.db()?, &call.project, resource).await?;
    let body = IndexState::indexing_status(state.as_ref());
    Ok(respond::json(200, body.to_string()))
}

/// `GET /{projectKey}` (view_project_settings) and `POST /{projectKey}` (manage_project).
pub async fn project(mut call: Call) -> ApiResult<Response> {
    let (name, read) = match call.req.method() {
        Method::Post => ("manage_project", false),
        _ => ("view_project_settings", true),
    };
    call.authorize(&[Scope::new(name, &call.project, None)])
        .await?;
    if !read {
        update_project(&mut call).await?;
    }
    Ok(respond::json(200, representation(&call).await?))
}

async fn representation(call: &Call) -> ApiResult<String> {
    let db = call.db()?;
    let row = search_store::project_settings(&db, &call.project).await?;
    let (version, created, modified, my_units) =
        row.unwrap_or((1, iso_millis(0), iso_millis(0), MyUnitSettings::default()));
    let customers = search_store::state(&db, &call.project, "customer").await?;
    let units = search_store::state(&db, &call.project, "business-unit").await?;
    let body = project::representation(
        &call.project,
        version,
        (&created, &modified),
        (customers.as_ref(), units.as_ref()),
        &my_units,
    );
    Ok(body.to_string())
}

/// Applies `{version, actions}`; an activation starts the index builder after the write. An
/// update that changes nothing keeps the version.
async fn update_project(call: &mut Call) -> ApiResult<()> {
    let update = project::parse_update(&call.body().await?)?;
    let db = call.db()?;
    let row = search_store::project_settings(&db, &call.project).await?;
    let (current, settings) = row.map_or((1, MyUnitSettings::default()), |r| (r.0, r.3));
    if update.version != current {
        return Err(ApiError::ConcurrentModification {
            expected: update.version,
            current: Some(current),
        }
        .into());
    }
    let now = iso_millis(call.now_ms);
    let mut statements = Vec::new();
    let mut start = Vec::new();
    for action in &update.actions {
        match action {
            ProjectAction::Search(change) => {
                search_statements(call, change, &now, (&mut statements, &mut start)).await?
            }
            ProjectAction::MyUnitStatus(status) if *status != settings.status => {
                statements.push(search_store::set_my_unit_status(&call.project, status));
            }
            ProjectAction::MyUnitRole(role) => {
                let key = role_key(call, role).await?;
                if settings.role.as_deref() != Some(key.as_str()) {
                    statements.extend(search_store::set_my_unit_role(&call.project, &key));
                }
            }
            ProjectAction::MyUnitStatus(_) => {}
        }
    }
    if statements.is_empty() {
        return Ok(());
    }
    match search_store::update_project(&db, &call.project, update.version, &now, statements).await {
        Err(StoreError::VersionConflict) => {
            let current = search_store::project_row(&db, &call.project)
                .await?
                .map(|r| r.0);
            return Err(ApiError::ConcurrentModification {
                expected: update.version,
                current,
            }
            .into());
        }
        Err(StoreError::ReferenceMissing) => return Err(missing_role(None).into()),
        other => other?,
    }
    for action in &update.actions {
        if let ProjectAction::Search(change) = action {
            search_store::mirror(&call.env, &call.project, change.feature.resource()).await?;
        }
    }
    for resource in start {
        start_later(call, resource);
    }
    Ok(())
}

/// The statements of a search action (and the builders to start after them).
async fn search_statements(
    call: &Call,
    change: &ChangeSearchStatus,
    now: &str,
    (statements, start): (&mut Vec<Statement>, &mut Vec<&'static str>),
) -> ApiResult<()> {
    let ChangeSearchStatus { feature, activate } = change;
    let def = match feature {
        SearchFeature::Customers => search_index::CUSTOMERS,
        SearchFeature::BusinessUnits => search_index::BUSINESS_UNITS,
    };
    let state = search_store::state(&*call.db()?, &call.project, feature.resource()).await?;
    let on = state.as_ref().is_some_and(|s| s.activated);
    let failed = state.as_ref().is_some_and(IndexState::failed);
    if *activate && on && !failed && !state.as_ref().is_some_and(IndexState::ready) {
        // Activated but not built: the builder is asked again (a lost start is resumed).
        start_later(call, feature.resource());
    }
    if *activate && (!on || failed) {
        // Off, or a build given up: a new build.
        statements.push(search_index::activate(def, &call.project, now));
        start.push(feature.resource());
    } else if !*activate && on {
        statements.extend(search_index::deactivate(def, &call.project, now));
    }
    Ok(())
}

/// The key of the associate role `role` names (400 `ReferencedResourceNotFound` if none).
async fn role_key(call: &Call, role: &ResourceIdentifier) -> ApiResult<String> {
    let mut wanted = Wanted::default();
    wanted.role(role);
    let found = references::load(&*call.db()?, &call.project, &wanted).await?;
    found
        .roles
        .first()
        .map(|r| r.key.as_str().to_string())
        .ok_or_else(|| missing_role(Some(role)).into())
}

fn missing_role(role: Option<&ResourceIdentifier>) -> ApiError {
    ApiError::ReferencedResourceNotFound {
        type_id: "associate-role".into(),
        id: role.and_then(|r| r.id.clone()),
        key: role.and_then(|r| r.key.clone()),
    }
}

/// Asks the index builder to start once the response is on its way: the update answers at
/// once (the build's progress shows in the indexing status). Under `wrangler dev`, awaiting the
/// builder object's answer could hold the response until its alarm finished the build.
fn start_later(call: &Call, resource: &'static str) {
    let env = call.env.clone();
    let project = call.project.to_string();
    call.ctx.wait_until(async move {
        if let Err(e) = search_store::start_builder(&env, &project, resource).await {
            worker::console_error!("search index builder of {project}: {e}");
        }
    });
}
