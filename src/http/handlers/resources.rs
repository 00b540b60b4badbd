//! The endpoints every resource with the shared shape gets (`store::kind::Kind`):
//! `/{projectKey}/{segment}` — query (GET), HEAD by predicate, create (POST) — and
//! `/{projectKey}/{segment}/{id}` or `…/key={key}` — get, HEAD, update (POST), delete with the
//! version. Registering a resource: one line in [`dispatch`].

use serde::Serialize;
use worker::{Method, Response};

use crate::domain::auth::Scope;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{self, parse_request, Resource, Updatable};
use crate::http::context::Call;
use crate::http::expand;
use crate::http::respond;
use crate::http::route::Target;
use crate::store::associate_role_table::AssociateRoles;
use crate::store::business_unit_table::BusinessUnits;
use crate::store::customer_group_table::CustomerGroups;
use crate::store::kind::Kind;
use crate::store::platform::CryptoRandom;
use crate::store::repository::{self, Lookup};
use crate::store::resources::{refusal, CommandOf, ResourceCommand, ResourceWrite, ResourceWrites};
use crate::store::type_table::Types;
use crate::store::{references, table, StoreError};

/// The table of resources with the shared shape, by path segment; the call back if no
/// resource lives under `segment`.
pub async fn dispatch(
    call: Call,
    segment: &str,
    target: Option<&Target>,
) -> Result<ApiResult<Response>, Call> {
    Ok(match segment {
        CustomerGroups::SEGMENT => handle::<CustomerGroups>(call, target).await,
        Types::SEGMENT => handle::<Types>(call, target).await,
        AssociateRoles::SEGMENT => handle::<AssociateRoles>(call, target).await,
        BusinessUnits::SEGMENT => handle::<BusinessUnits>(call, target).await,
        _ => return Err(call),
    })
}

async fn handle<K: Kind>(call: Call, target: Option<&Target>) -> ApiResult<Response>
where
    <K::State as Updatable>::Action: Serialize,
{
    let method = call.req.method();
    match (target, method) {
        (None, Method::Post) => create::<K>(call).await,
        (None, method) => query::<K>(call, method == Method::Head).await,
        (Some(target), Method::Get | Method::Head) => get::<K>(call, target).await,
        (Some(target), Method::Post) => update::<K>(call, target).await,
        (Some(target), _) => delete::<K>(call, target).await,
    }
}

async fn authorize<K: Kind>(call: &mut Call, manage: bool) -> ApiResult<ClientLogging> {
    let names = if manage {
        K::MANAGE_SCOPES
    } else {
        K::VIEW_SCOPES
    };
    let scopes: Vec<Scope> = names
        .iter()
        .map(|name| Scope::new(name, &call.project, None))
        .collect();
    let grant = call.authorize(&scopes).await?;
    Ok(ClientLogging::client(&grant.client_id))
}

async fn query<K: Kind>(mut call: Call, head: bool) -> ApiResult<Response> {
    authorize::<K>(&mut call, false).await?;
    crate::http::query::answer(&call, K::FIELDS, &K::QUERY_TABLE, head).await
}

/// `POST /{segment}`: 201 with the new resource; a project-wide limit and the references it
/// makes are guarded in the insert's batch.
async fn create<K: Kind>(mut call: Call) -> ApiResult<Response> {
    let by = authorize::<K>(&mut call, true).await?;
    let draft: K::Draft = call.json().await?;
    insert::<K>(&call, by, draft).await
}

/// How often a create is decided again when its batch finds the world changed since its
/// references were read (a business unit's parent moved to another tree).
const CREATE_ATTEMPTS: usize = 3;

/// Creates the resource `draft` describes (the caller is authorized): 201 with it. A batch
/// that fails its guards (`version_conflict`) is decided again on fresh references.
pub(crate) async fn insert<K: Kind>(
    call: &Call,
    by: ClientLogging,
    draft: K::Draft,
) -> ApiResult<Response> {
    let db = call.db()?;
    let mut attempt = 1;
    let state = loop {
        let refs = references::load(&db, &call.project, &K::wanted(&draft)).await?;
        let state = K::create(draft.clone(), (call.now_ms, &by), &refs, &mut CryptoRandom)?;
        match db.batch(&insert_batch::<K>(call, &by, &state)).await {
            Ok(_) => break state,
            Err(StoreError::VersionConflict) if attempt < CREATE_ATTEMPTS => attempt += 1,
            Err(e) => return Err(refusal::<K>(e, &state)),
        }
    };
    let doc = shown::<K>(call, serde_json::to_string(&state)?).await?;
    let body = expand::single(call, doc, false).await?;
    Ok(respond::json(201, body))
}

/// The batch creating `state`: the project-wide limit's guard, the row, its side tables,
/// references and `…Created` message.
fn insert_batch<K: Kind>(
    call: &Call,
    by: &ClientLogging,
    state: &K::State,
) -> Vec<crate::store::sql::Statement> {
    let place = (&*call.project, <K::State as Resource>::TYPE_ID);
    let mut batch = Vec::new();
    if let Some(max) = K::MAX_PER_PROJECT {
        batch.push(table::limit_guard(
            <K::Table as table::Table>::NAME,
            &call.project,
            max,
        ));
    }
    let created: Vec<_> = K::created(state)
        .map(|payload| resource::created(state, &payload, by, &mut CryptoRandom))
        .into_iter()
        .collect();
    batch.extend(table::insert::<K::Table>(place, state, &created));
    batch
}

/// A resource document as answered: business units gain their inherited fields.
async fn shown<K: Kind>(call: &Call, doc: String) -> ApiResult<String> {
    if K::SEGMENT == BusinessUnits::SEGMENT {
        return super::business_units::one_with_inherited(call, doc).await;
    }
    Ok(doc)
}

fn lookup(target: &Target) -> Lookup<'_> {
    match target {
        Target::Id(id) => Lookup::Id(id),
        Target::Key(key) => Lookup::Key(key),
    }
}

fn not_found(target: &Target) -> ApiError {
    match target {
        Target::Id(id) => ApiError::not_found_id(id),
        Target::Key(key) => ApiError::not_found_key(key),
    }
}

async fn get<K: Kind>(mut call: Call, target: &Target) -> ApiResult<Response> {
    authorize::<K>(&mut call, false).await?;
    let view = repository::view::<K::Table>(&*call.db()?, &call.project, lookup(target))
        .await?
        .ok_or_else(|| not_found(target))?;
    let doc = shown::<K>(&call, view.doc).await?;
    Ok(respond::json(200, expand::single(&call, doc, false).await?))
}

/// Sends a write to the resource's writer object.
pub(crate) async fn write<K: Kind>(
    call: &Call,
    target: &Target,
    by: ClientLogging,
    write: ResourceWrite<<K::State as Updatable>::Action>,
) -> ApiResult<Response>
where
    <K::State as Updatable>::Action: Serialize,
{
    let id = match target {
        Target::Id(id) => id.clone(),
        Target::Key(key) => repository::id_by_key::<K::Table>(&*call.db()?, &call.project, key)
            .await?
            .ok_or_else(|| not_found(target))?,
    };
    let command: CommandOf<K> = ResourceCommand {
        project: call.project.to_string(),
        id,
        by,
        now_ms: call.now_ms,
        write,
    };
    let reply = call.send_write::<ResourceWrites<K>>(&command).await?;
    if let (Target::Key(_), 404) = (target, reply.status) {
        return Err(not_found(target).into());
    }
    let body = match reply.status {
        200 => expand::single(call, shown::<K>(call, reply.body).await?, false).await?,
        _ => reply.body,
    };
    Ok(respond::json(reply.status, body))
}

async fn update<K: Kind>(mut call: Call, target: &Target) -> ApiResult<Response>
where
    <K::State as Updatable>::Action: Serialize,
{
    let by = authorize::<K>(&mut call, true).await?;
    let request = parse_request(&call.body().await?)?;
    write::<K>(&call, target, by, ResourceWrite::Update { request }).await
}

async fn delete<K: Kind>(mut call: Call, target: &Target) -> ApiResult<Response>
where
    <K::State as Updatable>::Action: Serialize,
{
    let by = authorize::<K>(&mut call, true).await?;
    let (version, _) = call.delete_params()?;
    write::<K>(&call, target, by, ResourceWrite::Delete { version }).await
}
