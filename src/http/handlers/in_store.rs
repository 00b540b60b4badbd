//! `/{projectKey}/in-store/key={storeKey}/business-units…`: the business units of one store —
//! those whose own stores, or inherited stores (`FromParent`), include it
//! (`domain::business_unit::inherited`). The project's `view_/manage_business_units` scope
//! or the store's (`…:{projectKey}:{storeKey}`) admits a request; a store-scoped token reaches
//! only its store's path. A unit of another store is 404, as if it did not exist.
//!
//! A unit created here must belong to the store: a draft in `Explicit` store mode without
//! `stores` gets the store; one listing other stores only, or a `FromParent` Division whose
//! parent is not in the store, is refused (400 `InvalidOperation`). Updates and deletes check
//! the unit before the write (an update may then move it out of the store).
//!
//! The associate lookup (`…/business-units/{id or key=…}/associates/{customerId}`) answers for
//! the store's units only.

use worker::{Method, Response};

use crate::domain::auth::{business_unit_scopes, Access, Scope};
use crate::domain::business_unit::draft::BusinessUnitDraft;
use crate::domain::business_unit::{inherited, BusinessUnit, StoreMode, UnitType};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::refs::{ClientLogging, ResourceIdentifier};
use crate::domain::resource::parse_request;
use crate::http::context::Call;
use crate::http::handlers::business_units::{
    access_in, identifier, one_with_inherited, unit_in_tree,
};
use crate::http::handlers::resources;
use crate::http::route::Target;
use crate::http::{expand, respond};
use crate::store::business_unit_table::BusinessUnits;
use crate::store::kind::Kind;
use crate::store::resources::ResourceWrite;

/// Every in-store business-unit endpoint.
pub async fn handle(call: Call, target: Option<&Target>) -> ApiResult<Response> {
    let method = call.req.method();
    match (target, method) {
        (None, Method::Post) => create(call).await,
        (None, method) => query(call, method == Method::Head).await,
        (Some(target), Method::Get | Method::Head) => get(call, target).await,
        (Some(target), Method::Post) => update(call, target).await,
        (Some(target), _) => delete(call, target).await,
    }
}

async fn authorize(call: &mut Call, access: Access) -> ApiResult<ClientLogging> {
    let scopes = business_unit_scopes(access, &call.project, call.store());
    let grant = call.authorize(&scopes).await?;
    Ok(ClientLogging::client(&grant.client_id))
}

fn store_of(call: &Call) -> &str {
    call.store().unwrap_or_default()
}

async fn query(mut call: Call, head: bool) -> ApiResult<Response> {
    authorize(&mut call, Access::View).await?;
    crate::http::query::answer(
        &call,
        BusinessUnits::FIELDS,
        &BusinessUnits::QUERY_TABLE,
        head,
    )
    .await
}

/// The unit `target` names if it belongs to the call's store; 404 otherwise.
async fn unit_in_store(call: &Call, target: &Target) -> ApiResult<BusinessUnit> {
    let (unit, units) = unit_in_tree(call, &identifier(target)).await?;
    let ancestor = |key: &str| units.iter().find(|u| u.key.as_str() == key).cloned();
    let store = store_of(call);
    if inherited::store_keys(&unit, &ancestor)
        .iter()
        .any(|k| k == store)
    {
        return Ok(unit);
    }
    Err(match target {
        Target::Id(id) => ApiError::not_found_id(id),
        Target::Key(key) => ApiError::not_found_key(key),
    }
    .into())
}

async fn get(mut call: Call, target: &Target) -> ApiResult<Response> {
    authorize(&mut call, Access::View).await?;
    let unit = unit_in_store(&call, target).await?;
    let doc = one_with_inherited(&call, serde_json::to_string(&unit)?).await?;
    let body = expand::single(&call, doc, false).await?;
    Ok(respond::json(200, body))
}

/// `GET …/in-store/key={storeKey}/business-units/{id or key=…}/associates/{customerId}`: the
/// associate lookup of a unit of the store (404 for a unit of another store). As
/// commercetools lists, it needs the project's `view_business_units` (a store-scoped token
/// does not do).
pub async fn associate(mut call: Call, target: &Target, customer_id: &str) -> ApiResult<Response> {
    let scope = Scope::new("view_business_units", &call.project, None);
    call.authorize(&[scope]).await?;
    let unit = unit_in_store(&call, target).await?;
    let unit = Target::Id(unit.meta.id);
    let (_, access) = access_in(&call, &identifier(&unit), customer_id).await?;
    Ok(respond::json(200, serde_json::to_string(&access)?))
}

async fn update(mut call: Call, target: &Target) -> ApiResult<Response> {
    let by = authorize(&mut call, Access::Manage).await?;
    let request = parse_request(&call.body().await?)?;
    let unit = unit_in_store(&call, target).await?;
    let target = Target::Id(unit.meta.id);
    let write = ResourceWrite::Update { request };
    resources::write::<BusinessUnits>(&call, &target, by, write).await
}

async fn delete(mut call: Call, target: &Target) -> ApiResult<Response> {
    let by = authorize(&mut call, Access::Manage).await?;
    let (version, _) = call.delete_params()?;
    let unit = unit_in_store(&call, target).await?;
    let target = Target::Id(unit.meta.id);
    let write = ResourceWrite::Delete { version };
    resources::write::<BusinessUnits>(&call, &target, by, write).await
}

async fn create(mut call: Call) -> ApiResult<Response> {
    let by = authorize(&mut call, Access::Manage).await?;
    let mut draft: BusinessUnitDraft = call.json().await?;
    let store = store_of(&call).to_string();
    let explicit = draft.store_mode.unwrap_or(match draft.unit_type {
        UnitType::Company => StoreMode::Explicit,
        UnitType::Division => StoreMode::FromParent,
    }) == StoreMode::Explicit;
    let inside = if explicit {
        let stores = draft.stores.get_or_insert_with(|| vec![by_key(&store)]);
        stores
            .iter()
            .any(|s| s.key.as_deref() == Some(store.as_str()))
    } else {
        parent_in_store(&call, draft.parent_unit.as_ref(), &store).await?
    };
    if !inside {
        return Err(ApiError::InvalidOperation {
            message: format!("A business unit created in the store '{store}' must belong to it."),
        }
        .into());
    }
    resources::insert::<BusinessUnits>(&call, by, draft).await
}

fn by_key(key: &str) -> ResourceIdentifier {
    ResourceIdentifier {
        type_id: Some("store".into()),
        id: None,
        key: Some(key.into()),
    }
}

/// Whether a `FromParent` child of `parent` would inherit `store` (a missing parent is left
/// to the create to report).
async fn parent_in_store(
    call: &Call,
    parent: Option<&ResourceIdentifier>,
    store: &str,
) -> ApiResult<bool> {
    let Some(parent) = parent else {
        return Ok(true);
    };
    let (unit, units) = match unit_in_tree(call, parent).await {
        Ok(found) => found,
        Err(e) if e.0.first().is_some_and(|e| e.status() == 404) => return Ok(true),
        Err(e) => return Err(e),
    };
    let ancestor = |key: &str| units.iter().find(|u| u.key.as_str() == key).cloned();
    Ok(inherited::stores_below(&unit, &ancestor)
        .iter()
        .any(|s| s.key == store))
}
