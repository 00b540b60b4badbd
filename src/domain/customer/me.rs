//! The storefront's view of its own customer (`/me…`): which customer fields and update
//! actions a shopper may touch, and where a customer's own token sees it. Everything else is
//! the customer's own rules: a `/me` request becomes a [`CustomerDraft`], an
//! [`UpdateRequest`] of customer [`UpdateAction`]s or a customer write, restricted here.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::actions::UpdateAction;
use super::draft::CustomerDraft;
use crate::domain::error::ApiError;
use crate::domain::json;
use crate::domain::resource::{parse_request, UpdateRequest};
use crate::domain::version::Version;

/// CustomerDraft fields MyCustomerDraft does not have: a shopper cannot set their own key,
/// numbers, group, verification or authentication mode, nor name an anonymous session (the
/// token names it).
pub const REFUSED_DRAFT_FIELDS: &[&str] = &[
    "key",
    "customerNumber",
    "externalId",
    "anonymousCart",
    "anonymousCartId",
    "anonymousId",
    "shippingAddresses",
    "billingAddresses",
    "isEmailVerified",
    "customerGroup",
    "customerGroupAssignments",
    "authenticationMode",
];

/// MyCustomerChangePassword: the customer is the token's.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyChangePasswordDraft {
    pub version: Version,
    pub current_password: String,
    pub new_password: String,
}

/// A MyCustomerDraft body as the CustomerDraft it is a subset of, with the anonymous session
/// of the token (if any) as its `anonymousId`. A refused field with a value → 400
/// `InvalidJsonInput` naming it (`null` equals absent, as everywhere).
pub fn parse_draft(body: &[u8], anonymous_id: Option<&str>) -> Result<CustomerDraft, ApiError> {
    let fields: Map<String, Value> = json::parse(body)?;
    if let Some(field) = REFUSED_DRAFT_FIELDS
        .iter()
        .find(|f| fields.get(**f).is_some_and(|v| !v.is_null()))
    {
        return Err(json::invalid_shape(
            field,
            "This field cannot be set through /me (it is not part of MyCustomerDraft).",
        ));
    }
    let mut draft: CustomerDraft = json::from_value(Value::Object(fields), "")?;
    draft.anonymous_id = anonymous_id.map(str::to_string);
    Ok(draft)
}

/// A MyCustomerUpdate body: `{version, actions}` with the 21 MyCustomer actions only. Another
/// customer action → 400 `InvalidJsonInput` naming it; an unknown one is refused as on
/// `/customers`.
pub fn parse_update(body: &[u8]) -> Result<UpdateRequest<UpdateAction>, ApiError> {
    let request: UpdateRequest<UpdateAction> = parse_request(body)?;
    for (i, action) in request.actions.iter().enumerate() {
        if let Some(name) = refused_action(action) {
            return Err(json::invalid_shape(
                &format!("actions[{i}] -> action"),
                &format!("'{name}' is not a MyCustomer update action: it cannot be used on /me."),
            ));
        }
    }
    Ok(request)
}

/// The name of a customer action `/me` does not offer, `None` for the 21 it does. Every
/// action is listed, so a new customer action must be placed on one side or the other.
fn refused_action(action: &UpdateAction) -> Option<&'static str> {
    use UpdateAction as A;
    match action {
        A::ChangeEmail { .. }
        | A::SetFirstName { .. }
        | A::SetLastName { .. }
        | A::SetMiddleName { .. }
        | A::SetTitle { .. }
        | A::SetSalutation { .. }
        | A::SetCompanyName { .. }
        | A::SetDateOfBirth { .. }
        | A::SetVatId { .. }
        | A::SetLocale { .. }
        | A::AddAddress { .. }
        | A::ChangeAddress { .. }
        | A::RemoveAddress { .. }
        | A::AddShippingAddressId { .. }
        | A::RemoveShippingAddressId { .. }
        | A::SetDefaultShippingAddress { .. }
        | A::AddBillingAddressId { .. }
        | A::RemoveBillingAddressId { .. }
        | A::SetDefaultBillingAddress { .. }
        | A::SetCustomType { .. }
        | A::SetCustomField { .. } => None,
        A::SetExternalId { .. } => Some("setExternalId"),
        A::SetKey { .. } => Some("setKey"),
        A::SetCustomerNumber { .. } => Some("setCustomerNumber"),
        A::SetCustomerGroup { .. } => Some("setCustomerGroup"),
        A::SetCustomerGroupAssignments { .. } => Some("setCustomerGroupAssignments"),
        A::AddCustomerGroupAssignment { .. } => Some("addCustomerGroupAssignment"),
        A::RemoveCustomerGroupAssignment { .. } => Some("removeCustomerGroupAssignment"),
        A::SetStores { .. } => Some("setStores"),
        A::AddStore { .. } => Some("addStore"),
        A::RemoveStore { .. } => Some("removeStore"),
        A::SetAuthenticationMode { .. } => Some("setAuthenticationMode"),
        A::SetAddressCustomType { .. } => Some("setAddressCustomType"),
        A::SetAddressCustomField { .. } => Some("setAddressCustomField"),
    }
}

/// Whether `/me` at `store` (`None`: the global path) shows a customer of `stores`: an
/// in-store path its store's customers and the global ones (as every in-store endpoint), the
/// global path only global customers: a store customer stays in its stores.
pub fn visible<S: AsRef<str>>(stores: &[S], store: Option<&str>) -> bool {
    match store {
        None => stores.is_empty(),
        Some(store) => stores.is_empty() || stores.iter().any(|s| s.as_ref() == store),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Vec<u8> {
        value.to_string().into_bytes()
    }

    #[test]
    fn the_draft_refuses_what_a_shopper_may_not_set() {
        for field in REFUSED_DRAFT_FIELDS {
            let mut draft = json!({"email": "a@b.c", "password": "p"});
            draft[*field] = json!("x");
            let err = parse_draft(&body(draft), None).unwrap_err();
            assert_eq!(err.code(), "InvalidJsonInput", "{field}");
            assert!(err.to_json()["detailedErrorMessage"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}: ")));
        }
        let ok = json!({"email": "a@b.c", "password": "p", "key": null, "firstName": "A",
                        "stores": [{"key": "s1", "typeId": "store"}]});
        let draft = parse_draft(&body(ok), Some("anon-1")).unwrap();
        assert_eq!(draft.anonymous_id.as_deref(), Some("anon-1"));
        assert_eq!(draft.first_name.as_deref(), Some("A"));
        assert!(parse_draft(b"[]", None).is_err());
        assert!(parse_draft(b"{", None).is_err());
    }

    #[test]
    fn updates_offer_the_21_my_customer_actions() {
        let allowed = [
            json!({"action": "changeEmail", "email": "x@y.z"}),
            json!({"action": "setFirstName", "firstName": "A"}),
            json!({"action": "setLocale", "locale": "de"}),
            json!({"action": "addAddress", "address": {"country": "DE"}}),
            json!({"action": "setCustomField", "name": "n", "value": 1}),
        ];
        let request = json!({"version": 1, "actions": allowed});
        assert_eq!(parse_update(&body(request)).unwrap().actions.len(), 5);
        for refused in [
            json!({"action": "setKey", "key": "k"}),
            json!({"action": "setCustomerGroup"}),
            json!({"action": "addStore", "store": {"key": "s"}}),
            json!({"action": "setAuthenticationMode", "authMode": "ExternalAuth"}),
        ] {
            let name = refused["action"].as_str().unwrap().to_string();
            let request = json!({"version": 1, "actions": [{"action": "setTitle"}, refused]});
            let err = parse_update(&body(request)).unwrap_err();
            let detail = err.to_json()["detailedErrorMessage"].to_string();
            assert!(detail.contains("actions[1] -> action"), "{detail}");
            assert!(detail.contains(&name), "{detail}");
        }
        let unknown = json!({"version": 1, "actions": [{"action": "nope"}]});
        assert_eq!(
            parse_update(&body(unknown)).unwrap_err().code(),
            "InvalidJsonInput"
        );
    }

    #[test]
    fn store_customers_stay_in_their_stores() {
        let none: [&str; 0] = [];
        assert!(visible(&none, None));
        assert!(visible(&none, Some("s1")));
        assert!(visible(&["s1"], Some("s1")));
        assert!(!visible(&["s1"], Some("s2")));
        assert!(!visible(&["s1"], None));
    }
}
