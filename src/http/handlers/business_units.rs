//! What is particular to business units beside the shared endpoints
//! (`handlers::resources`): `GET …/business-units/{id}/associates/{customerId}` and
//! `…/business-units/key={key}/associates/{customerId}` — an associate's explicit roles, the
//! roles it inherits from the units above, and the union of their permissions (scope
//! `view_business_units`).

use serde::Deserialize;
use worker::Response;

use crate::domain::auth::Scope;
use crate::domain::business_unit::associates;
use crate::domain::business_unit::BusinessUnit;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::references::Wanted;
use crate::domain::refs::ResourceIdentifier;
use crate::http::context::Call;
use crate::http::respond;
use crate::http::route::Target;
use crate::store::references;

/// The unit a path names, and its ancestors (in no particular order).
pub async fn unit_and_ancestors(
    call: &Call,
    wanted: &ResourceIdentifier,
) -> ApiResult<Vec<BusinessUnit>> {
    #[derive(Deserialize)]
    struct Doc {
        doc: String,
    }
    let statement = references::units_with_ancestors(&call.project, std::slice::from_ref(wanted));
    let rows: Vec<Doc> = call.db()?.all(&statement).await?;
    Ok(rows
        .iter()
        .map(|row| serde_json::from_str(&row.doc))
        .collect::<Result<_, _>>()?)
}

/// The resource identifier of a path's `{id}` or `key={key}`.
pub fn identifier(target: &Target) -> ResourceIdentifier {
    let (id, key) = match target {
        Target::Id(id) => (Some(id.clone()), None),
        Target::Key(key) => (None, Some(key.clone())),
    };
    ResourceIdentifier {
        type_id: None,
        id,
        key,
    }
}

/// The unit `wanted` names (404 if none) and what `customer_id` may do there (404 if the
/// customer is not an associate of it, explicitly or by inheritance).
pub async fn access_in(
    call: &Call,
    wanted: &ResourceIdentifier,
    customer_id: &str,
) -> ApiResult<(BusinessUnit, associates::AssociateAccess)> {
    let units = unit_and_ancestors(call, wanted).await?;
    let unit = units
        .iter()
        .find(|u| wanted.names(&u.meta.id, Some(u.key.as_str())))
        .ok_or_else(|| match (&wanted.id, &wanted.key) {
            (Some(id), _) => ApiError::not_found_id(id),
            (None, key) => ApiError::not_found_key(key.as_deref().unwrap_or_default()),
        })?;
    let ancestor = |key: &str| units.iter().find(|u| u.key.as_str() == key).cloned();
    let (explicit, inherited) =
        associates::role_keys(unit, customer_id, &ancestor).ok_or_else(|| {
            ApiError::ResourceNotFound {
                message: format!(
                    "The customer '{customer_id}' is not an associate of the business unit '{}'.",
                    unit.key.as_str()
                ),
            }
        })?;
    let mut roles = Wanted::default();
    for key in explicit.iter().chain(&inherited) {
        roles.role(&ResourceIdentifier {
            type_id: None,
            id: None,
            key: Some(key.clone()),
        });
    }
    let found = references::load(&call.db()?, &call.project, &roles).await?;
    let access = associates::access(customer_id, (&explicit, &inherited), &found.roles);
    Ok((unit.clone(), access))
}

/// The unit `wanted` names (404 if none) and a finder of its ancestors by key.
pub async fn unit_in_tree(
    call: &Call,
    wanted: &ResourceIdentifier,
) -> ApiResult<(BusinessUnit, Vec<BusinessUnit>)> {
    let units = unit_and_ancestors(call, wanted).await?;
    let unit = units
        .iter()
        .find(|u| wanted.names(&u.meta.id, Some(u.key.as_str())))
        .cloned()
        .ok_or_else(|| match (&wanted.id, &wanted.key) {
            (Some(id), _) => ApiError::not_found_id(id),
            (None, key) => ApiError::not_found_key(key.as_deref().unwrap_or_default()),
        })?;
    Ok((unit, units))
}

/// `GET …/business-units/{id or key=…}/associates/{customerId}`.
pub async fn associate(mut call: Call, target: &Target, customer_id: &str) -> ApiResult<Response> {
    let scope = Scope::new("view_business_units", &call.project, None);
    call.authorize(&[scope]).await?;
    let (_, access) = access_in(&call, &identifier(target), customer_id).await?;
    Ok(respond::json(200, serde_json::to_string(&access)?))
}
