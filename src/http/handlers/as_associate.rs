//! `/{projectKey}/as-associate/{associateId}/business-units…`: a business customer's
//! associate (a customer id) working on the units it belongs to, under an API client's token
//! (`view_business_units` to read, `manage_business_units` to write). The associate's
//! permissions in the unit (explicit and inherited roles, as in the associate lookup) decide
//! each write (`domain::business_unit::permissions`); there is no delete.
//!
//! - get/HEAD by id or key: the unit, if the customer is an associate of it (else 404);
//! - query: the units where the customer is an explicit associate (inherited membership is
//!   not queryable; see the README);
//! - update: each action's permission in the unit, and `AddChildUnits` in a new parent;
//! - create: a Division, with `AddChildUnits` in its parent (a Company: 400).
//!
//! The permissions are read before the write goes to the unit's writer object, so a role
//! removed in between is not seen by that write.

use worker::{Method, Response};

use crate::domain::auth::Scope;
use crate::domain::business_unit::actions::BusinessUnitAction;
use crate::domain::business_unit::draft::BusinessUnitDraft;
use crate::domain::business_unit::permissions::{self, ADD_CHILD_UNITS};
use crate::domain::business_unit::UnitType;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::query;
use crate::domain::refs::{ClientLogging, ResourceIdentifier};
use crate::domain::resource::parse_request;
use crate::http::context::Call;
use crate::http::handlers::business_units::{access_in, identifier};
use crate::http::handlers::resources;
use crate::http::route::Target;
use crate::http::{expand, respond};
use crate::store::business_unit_table::BusinessUnits;
use crate::store::kind::Kind;
use crate::store::resources::ResourceWrite;

/// Every `as-associate` business-unit endpoint.
pub async fn handle(call: Call, associate: &str, target: Option<&Target>) -> ApiResult<Response> {
    let method = call.req.method();
    match (target, method) {
        (None, Method::Post) => create(call, associate).await,
        (None, method) => query(call, associate, method == Method::Head).await,
        (Some(target), Method::Post) => update(call, associate, target).await,
        (Some(target), _) => get(call, associate, target).await,
    }
}

async fn authorize(call: &mut Call, manage: bool) -> ApiResult<ClientLogging> {
    let name = if manage {
        "manage_business_units"
    } else {
        "view_business_units"
    };
    let grant = call
        .authorize(&[Scope::new(name, &call.project, None)])
        .await?;
    Ok(ClientLogging::client(&grant.client_id))
}

async fn get(mut call: Call, associate: &str, target: &Target) -> ApiResult<Response> {
    authorize(&mut call, false).await?;
    let (unit, _) = access_in(&call, &identifier(target), associate).await?;
    let body = expand::single(&call, serde_json::to_string(&unit)?, false).await?;
    Ok(respond::json(200, body))
}

async fn query(mut call: Call, associate: &str, head: bool) -> ApiResult<Response> {
    authorize(&mut call, false).await?;
    if associate.contains(['"', '\\']) {
        return Err(ApiError::InvalidInput {
            message: format!("'{associate}' is not a customer id."),
        }
        .into());
    }
    let mut pairs = call.query_pairs()?;
    pairs.push((
        "where".into(),
        format!("associates(customer(id = \"{associate}\"))"),
    ));
    let parsed = query::from_params(&pairs, BusinessUnits::FIELDS)?;
    crate::http::query::run(&call, &parsed, &BusinessUnits::QUERY_TABLE, head).await
}

async fn update(mut call: Call, associate: &str, target: &Target) -> ApiResult<Response> {
    let by = authorize(&mut call, true).await?;
    let request = parse_request::<BusinessUnitAction>(&call.body().await?)?;
    let (unit, access) = access_in(&call, &identifier(target), associate).await?;
    permissions::check_update(associate, &unit, &access.permissions, &request.actions)?;
    for action in &request.actions {
        if let Some(parent) = permissions::new_parent(action) {
            may_add_child(&call, associate, parent, &permissions::action_name(action)).await?;
        }
    }
    let client_id = by.client_id.unwrap_or_default();
    let target = Target::Id(unit.meta.id.clone());
    let write = ResourceWrite::Update { request };
    resources::write::<BusinessUnits>(&call, &target, client_id, write).await
}

async fn create(mut call: Call, associate: &str) -> ApiResult<Response> {
    let by = authorize(&mut call, true).await?;
    let draft: BusinessUnitDraft = call.json().await?;
    match (&draft.unit_type, &draft.parent_unit) {
        (UnitType::Division, Some(parent)) => {
            may_add_child(&call, associate, parent, "create a Division").await?
        }
        _ => {
            return Err(ApiError::InvalidOperation {
                message: "An associate can create only a Division (with a parentUnit).".into(),
            }
            .into())
        }
    }
    resources::insert::<BusinessUnits>(&call, by, draft).await
}

/// Ok if the associate holds `AddChildUnits` in `parent`; 403 if it does not, or is not an
/// associate there at all.
async fn may_add_child(
    call: &Call,
    associate: &str,
    parent: &ResourceIdentifier,
    doing: &str,
) -> ApiResult<()> {
    let label = parent.key.clone().or_else(|| parent.id.clone());
    let held = match access_in(call, parent, associate).await {
        Ok((unit, access)) => return require_child(associate, unit.key.as_str(), &access, doing),
        Err(e) if e.0.first().is_some_and(|e| e.status() == 404) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(permissions::require(
        associate,
        label.as_deref().unwrap_or_default(),
        &held,
        ADD_CHILD_UNITS,
        doing,
    )?)
}

fn require_child(
    associate: &str,
    unit_key: &str,
    access: &crate::domain::business_unit::associates::AssociateAccess,
    doing: &str,
) -> ApiResult<()> {
    Ok(permissions::require(
        associate,
        unit_key,
        &access.permissions,
        ADD_CHILD_UNITS,
        doing,
    )?)
}
