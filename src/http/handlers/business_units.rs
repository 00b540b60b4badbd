//! What is particular to business units beside the shared endpoints
//! (`handlers::resources`): `GET …/business-units/{id}/associates/{customerId}` and
//! `…/business-units/key={key}/associates/{customerId}` — an associate's explicit roles, the
//! roles it inherits from the units above, and the union of their permissions (scope
//! `view_business_units`).

use serde::Deserialize;
use worker::Response;

use crate::domain::auth::Scope;
use crate::domain::business_unit::BusinessUnit;
use crate::domain::business_unit::{associates, inherited};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::references::Wanted;
use crate::domain::refs::ResourceIdentifier;
use crate::http::context::Call;
use crate::http::respond;
use crate::http::route::Target;
use crate::store::references;

/// Unit documents with `inheritedStores` (units in `FromParent` store mode) and
/// `inheritedAssociates` (units in `ExplicitAndFromParent` associate mode) computed from their
/// ancestors as they are now (`domain::business_unit::inherited`): one recursive query for all
/// of `docs`. Documents that are not units pass through unchanged.
pub async fn with_inherited(call: &Call, docs: Vec<String>) -> ApiResult<Vec<String>> {
    let units: Vec<Option<BusinessUnit>> = docs
        .iter()
        .map(|doc| serde_json::from_str(doc).ok())
        .collect();
    let parents: Vec<ResourceIdentifier> = units
        .iter()
        .flatten()
        .filter_map(|u| u.parent_unit.as_ref())
        .map(|p| ResourceIdentifier {
            type_id: None,
            id: None,
            key: Some(p.key.clone()),
        })
        .collect();
    if parents.is_empty() {
        return Ok(docs);
    }
    let above = load_units(
        call,
        &references::units_with_ancestors(&call.project, &parents),
    )
    .await?;
    let ancestor = |key: &str| above.iter().find(|u| u.key.as_str() == key).cloned();
    let mut out = Vec::with_capacity(docs.len());
    for (doc, unit) in docs.into_iter().zip(units) {
        out.push(match unit {
            Some(unit) => decorate(doc, &unit, &ancestor)?,
            None => doc,
        });
    }
    Ok(out)
}

fn decorate(doc: String, unit: &BusinessUnit, ancestor: inherited::Ancestors) -> ApiResult<String> {
    let stores = inherited::stores(unit, ancestor);
    let associates = inherited::associates(unit, ancestor);
    if stores.is_none() && associates.is_none() {
        return Ok(doc);
    }
    let mut value: serde_json::Value = serde_json::from_str(&doc)?;
    if let Some(map) = value.as_object_mut() {
        if let Some(stores) = stores {
            map.insert("inheritedStores".into(), serde_json::to_value(stores)?);
        }
        if let Some(associates) = associates {
            map.insert(
                "inheritedAssociates".into(),
                serde_json::to_value(associates)?,
            );
        }
    }
    Ok(serde_json::to_string(&value)?)
}

/// One unit document with its inherited fields.
pub async fn one_with_inherited(call: &Call, doc: String) -> ApiResult<String> {
    Ok(with_inherited(call, vec![doc])
        .await?
        .pop()
        .unwrap_or_default())
}

async fn load_units(
    call: &Call,
    statement: &crate::store::sql::Statement,
) -> ApiResult<Vec<BusinessUnit>> {
    #[derive(Deserialize)]
    struct Doc {
        doc: String,
    }
    let rows: Vec<Doc> = call.db()?.all(statement).await?;
    Ok(rows
        .iter()
        .map(|row| serde_json::from_str(&row.doc))
        .collect::<Result<_, _>>()?)
}

/// The unit a path names, and its ancestors (in no particular order).
pub async fn unit_and_ancestors(
    call: &Call,
    wanted: &ResourceIdentifier,
) -> ApiResult<Vec<BusinessUnit>> {
    let statement = references::units_with_ancestors(&call.project, std::slice::from_ref(wanted));
    load_units(call, &statement).await
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
    let found = references::load(&*call.db()?, &call.project, &roles).await?;
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
