//! `/me/addresses…`: list, add, get, `PATCH`, delete, and `tags`. Every write is the
//! customer's address actions (`domain::emporix::addresses`) through the shared update path.

use serde_json::{json, Map, Value};

use super::{empty, json, Answer, Emporix};
use crate::domain::customer::actions::UpdateAction;
use crate::domain::customer::{Address, Customer};
use crate::domain::emporix::addresses::{self, Roles};
use crate::domain::emporix::errors::Failure;
use crate::domain::emporix::scopes::EmporixScope;

/// The address `id` of the customer (Emporix's 404 otherwise).
fn find<'a>(c: &'a Customer, id: &str) -> Result<&'a Address, Failure> {
    c.addresses
        .iter()
        .find(|a| a.id.as_deref() == Some(id))
        .ok_or_else(|| {
            let number = c.customer_number.as_deref().unwrap_or(&c.meta.id);
            Failure::not_found(&format!("Address {id} of customer {number} not found."))
        })
}

/// `GET /me/addresses`.
pub async fn list(mut x: Emporix) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerReadOwn)).await?;
    let customer = x.load(&id).await?.customer;
    json(200, &json!(addresses::list(&customer)))
}

/// `GET /me/addresses/{id}`.
pub async fn get(mut x: Emporix, address: &str) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerReadOwn)).await?;
    let customer = x.load(&id).await?.customer;
    json(
        200,
        &json!(addresses::view(&customer, find(&customer, address)?)),
    )
}

/// `POST /me/addresses`: `addAddress` (`CustomerAddressAdded`), then the roles its tags (and
/// `isDefault`) ask for: 201 `{id}`.
pub async fn create(mut x: Emporix) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    let bytes = x.call.body().await?;
    let address = addresses::parse(&bytes)?;
    let roles = addresses::wanted_roles(&address)?;
    let version = address.metadata.as_ref().and_then(|m| m.version);
    let draft = addresses::to_draft(&address, None);
    let added = x
        .update(&id, |_| {
            Ok((
                version,
                vec![UpdateAction::AddAddress {
                    address: draft.clone(),
                }],
            ))
        })
        .await?;
    let new_id = added
        .addresses
        .last()
        .and_then(|a| a.id.clone())
        .unwrap_or_default();
    if roles != Roles::default() || address.is_default == Some(true) {
        let default = address.is_default;
        x.update(&id, |s| {
            Ok((
                None,
                addresses::role_actions(&s.customer, &new_id, roles, default),
            ))
        })
        .await?;
    }
    json(201, &json!({"id": new_id}))
}

/// `PATCH /me/addresses/{id}` (merge patch of the address, its tags and `isDefault`): 200
/// with the address as it is now.
pub async fn patch(mut x: Emporix, address: &str) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    let patch: Map<String, Value> = x.body().await?;
    let updated = x
        .update(&id, |s| {
            let current = find(&s.customer, address)?;
            Ok(addresses::patch_actions(
                &s.customer,
                current,
                patch.clone(),
            )?)
        })
        .await?;
    json(
        200,
        &json!(addresses::view(&updated, find(&updated, address)?)),
    )
}

/// `DELETE /me/addresses/{id}`: `removeAddress`.
pub async fn delete(mut x: Emporix, address: &str) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    x.update(&id, |s| {
        find(&s.customer, address)?;
        let action = UpdateAction::RemoveAddress {
            address_id: Some(address.to_string()),
            address_key: None,
        };
        Ok((None, vec![action]))
    })
    .await?;
    empty(204)
}

/// `POST`/`DELETE /me/addresses/{id}/tags?tags=…`: the address gains or loses those roles.
pub async fn tags(mut x: Emporix, address: &str, add: bool) -> Answer {
    let (_, id) = x.customer(Some(EmporixScope::CustomerManageOwn)).await?;
    let asked = addresses::roles_of_query(x.query("tags").as_deref())?;
    x.update(&id, |s| {
        let current = addresses::view(&s.customer, find(&s.customer, address)?);
        let mut roles = addresses::wanted_roles(&current)?;
        roles.billing = if asked.billing { add } else { roles.billing };
        roles.shipping = if asked.shipping { add } else { roles.shipping };
        Ok((
            None,
            addresses::role_actions(&s.customer, address, roles, None),
        ))
    })
    .await?;
    empty(204)
}
